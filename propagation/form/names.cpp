#include "propagation/form/names.hpp"

namespace propagation::form {

namespace {

// Kubernetes' pattern texts, quoted in its messages.
constexpr std::string_view dns1123_label_fmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view dns1123_subdomain_fmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view dns1035_label_fmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view label_key_fmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view label_value_fmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr std::string_view env_var_name_fmt = "[-._a-zA-Z][-._a-zA-Z0-9]*";

constexpr std::string_view dns1123_label_msg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character";
constexpr std::string_view dns1123_subdomain_msg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view dns1035_label_msg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character";
constexpr std::string_view label_key_msg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::string_view label_value_msg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view env_var_name_msg =
    "a valid environment variable name must consist of alphabetic characters, digits, '_', "
    "'-', or '.', and must not start with a digit";

/// Kubernetes' RegexError: "<msg> (e.g. 'a' or 'b', regex used for validation is '<fmt>')".
std::string regex_error(std::string_view msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples) {
    std::string out(msg);
    out += " (e.g. ";
    bool first = true;
    for (auto e : examples) {
        if (!first) {
            out += " or ";
        }
        first = false;
        out.append("'").append(e).append("', ");
    }
    out.append("regex used for validation is '").append(fmt).append("')");
    return out;
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` (or with `[a-z]` first when `alpha_first`).
bool matches_label(std::string_view s, bool alpha_first) {
    if (s.empty()) {
        return false;
    }
    const char first = s.front();
    if (alpha_first ? !(first >= 'a' && first <= 'z') : !is_lower_alnum(first)) {
        return false;
    }
    if (!is_lower_alnum(s.back())) {
        return false;
    }
    for (char c : s) {
        if (!is_lower_alnum(c) && c != '-') {
            return false;
        }
    }
    return true;
}

bool matches_subdomain(std::string_view s) {
    std::size_t start = 0;
    while (true) {
        const auto dot = s.find('.', start);
        const auto part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
        if (!matches_label(part, false)) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        start = dot + 1;
    }
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
bool matches_label_key_name(std::string_view s) {
    if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) {
        return false;
    }
    for (char c : s) {
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string max_len_error(std::size_t length) {
    return "must be no more than " + std::to_string(length) + " characters";
}

std::string join_errors(const std::vector<std::string>& errors) {
    std::string out;
    for (const auto& e : errors) {
        if (!out.empty()) {
            out += ", ";
        }
        out += e;
    }
    return out;
}

std::vector<std::string> is_dns1123_label(std::string_view value) {
    std::vector<std::string> errs;
    if (value.size() > dns1123_label_max_length) {
        errs.push_back(max_len_error(dns1123_label_max_length));
    }
    if (!matches_label(value, false)) {
        if (matches_subdomain(value)) {
            // A valid subdomain that is not a label: the dots are the problem.
            errs.emplace_back("must not contain dots");
        } else {
            errs.push_back(regex_error(dns1123_label_msg, dns1123_label_fmt,
                                       {"my-name", "123-abc"}));
        }
    }
    return errs;
}

std::vector<std::string> is_dns1123_subdomain(std::string_view value) {
    std::vector<std::string> errs;
    if (value.size() > dns1123_subdomain_max_length) {
        errs.push_back(max_len_error(dns1123_subdomain_max_length));
    }
    if (!matches_subdomain(value)) {
        errs.push_back(regex_error(dns1123_subdomain_msg, dns1123_subdomain_fmt, {"example.com"}));
    }
    return errs;
}

std::vector<std::string> is_dns1035_label(std::string_view value) {
    std::vector<std::string> errs;
    if (value.size() > dns1035_label_max_length) {
        errs.push_back(max_len_error(dns1035_label_max_length));
    }
    if (!matches_label(value, true)) {
        errs.push_back(regex_error(dns1035_label_msg, dns1035_label_fmt, {"my-name", "abc-123"}));
    }
    return errs;
}

std::vector<std::string> is_label_key(std::string_view value) {
    std::vector<std::string> errs;
    std::string_view name = value;
    if (const auto slash = value.find('/'); slash != std::string_view::npos) {
        const auto prefix = value.substr(0, slash);
        name = value.substr(slash + 1);
        if (name.find('/') != std::string_view::npos) {
            errs.push_back("a valid label key " +
                           regex_error(label_key_msg, label_key_fmt,
                                       {"MyName", "my.name", "123-abc"}) +
                           " with an optional DNS subdomain prefix and '/' (e.g. "
                           "'example.com/MyName')");
            return errs;
        }
        if (prefix.empty()) {
            errs.emplace_back("prefix part must be non-empty");
        } else {
            for (auto& msg : is_dns1123_subdomain(prefix)) {
                errs.push_back("prefix part " + msg);
            }
        }
    }
    if (name.empty()) {
        errs.emplace_back("name part must be non-empty");
    } else if (name.size() > label_key_name_max_length) {
        errs.push_back("name part " + max_len_error(label_key_name_max_length));
    }
    if (!matches_label_key_name(name)) {
        errs.push_back("name part " + regex_error(label_key_msg, label_key_fmt,
                                                  {"MyName", "my.name", "123-abc"}));
    }
    return errs;
}

std::vector<std::string> is_label_value(std::string_view value) {
    std::vector<std::string> errs;
    if (value.size() > label_value_max_length) {
        errs.push_back(max_len_error(label_value_max_length));
    }
    if (!value.empty() && !matches_label_key_name(value)) {
        errs.push_back(regex_error(label_value_msg, label_value_fmt,
                                   {"MyValue", "my_value", "12345"}));
    }
    return errs;
}

std::vector<std::string> is_env_var_name(std::string_view value) {
    std::vector<std::string> errs;
    auto allowed = [](char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' ||
               c == '_' || (!first && c >= '0' && c <= '9');
    };
    bool ok = !value.empty();
    for (std::size_t i = 0; ok && i < value.size(); ++i) {
        ok = allowed(value[i], i == 0);
    }
    if (!ok) {
        errs.push_back(regex_error(env_var_name_msg, env_var_name_fmt,
                                   {"my.env-name", "MY_ENV.NAME", "MyEnvName1"}));
    }
    if (value == ".") {
        errs.emplace_back("must not be '.'");
    } else if (value == "..") {
        errs.emplace_back("must not be '..'");
    } else if (value.substr(0, 2) == "..") {
        errs.emplace_back("must not start with '..'");
    }
    return errs;
}

}  // namespace propagation::form
