#include "sim/model/names.hpp"

#include <nlohmann/json.hpp>

namespace fedsim::model {

namespace {

bool lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
    return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

std::string regex_error(std::string msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples) {
    msg += " (e.g. ";
    bool first = true;
    for (auto e : examples) {
        if (!first)
            msg += " or ";
        first = false;
        msg += "'" + std::string(e) + "', ";
    }
    msg += "regex used for validation is '" + std::string(fmt) + "')";
    return msg;
}

std::string max_len(std::size_t n) {
    return "must be no more than " + std::to_string(n) + " characters";
}

bool is_label(std::string_view s) {
    if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back()))
        return false;
    for (char c : s) {
        if (!lower_alnum(c) && c != '-')
            return false;
    }
    return true;
}

bool is_subdomain(std::string_view s) {
    if (s.empty())
        return false;
    std::size_t start = 0;
    while (true) {
        auto dot = s.find('.', start);
        auto part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
        if (!is_label(part))
            return false;
        if (dot == std::string_view::npos)
            return true;
        start = dot + 1;
    }
}

const char* subdomain_fmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const char* qname_fmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const char* qname_msg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character";

bool is_qname_part(std::string_view s) {
    if (s.empty() || !alnum(s.front()) || !alnum(s.back()))
        return false;
    for (char c : s) {
        if (!alnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

}  // namespace

std::vector<std::string> dns1123_subdomain_errors(std::string_view name) {
    std::vector<std::string> out;
    if (name.size() > 253)
        out.push_back(max_len(253));
    if (!is_subdomain(name)) {
        out.push_back(
            regex_error("a lowercase RFC 1123 subdomain must consist of lower case "
                        "alphanumeric characters, '-' or '.', and must start and end "
                        "with an alphanumeric character",
                        subdomain_fmt, {"example.com"}));
    }
    return out;
}

std::vector<std::string> dns1123_label_errors(std::string_view name) {
    std::vector<std::string> out;
    if (name.size() > 63)
        out.push_back(max_len(63));
    if (!is_label(name)) {
        out.push_back(
            regex_error("a lowercase RFC 1123 label must consist of lower case "
                        "alphanumeric characters or '-', and must start and end with "
                        "an alphanumeric character",
                        "[a-z0-9]([-a-z0-9]*[a-z0-9])?", {"my-name", "123-abc"}));
    }
    return out;
}

std::vector<std::string> dns1035_label_errors(std::string_view name) {
    std::vector<std::string> out;
    if (name.size() > 63)
        out.push_back(max_len(63));
    bool ok = is_label(name) && name.front() >= 'a' && name.front() <= 'z';
    if (!ok) {
        out.push_back(
            regex_error("a DNS-1035 label must consist of lower case alphanumeric "
                        "characters or '-', start with an alphabetic character, and "
                        "end with an alphanumeric character",
                        "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
    }
    return out;
}

std::string validate_qualified_name(std::string_view name) {
    std::string_view prefix;
    std::string_view part = name;
    auto slash = name.find('/');
    if (slash != std::string_view::npos) {
        if (name.find('/', slash + 1) != std::string_view::npos) {
            return "a qualified name " +
                   regex_error(qname_msg, qname_fmt, {"MyName", "my.name", "123-abc"}) +
                   " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
        }
        prefix = name.substr(0, slash);
        part = name.substr(slash + 1);
        if (prefix.empty())
            return "prefix part must be non-empty";
        auto errs = dns1123_subdomain_errors(prefix);
        if (!errs.empty())
            return "prefix part " + errs.front();
    }
    if (part.empty())
        return "name part must be non-empty";
    if (part.size() > 63)
        return "name part " + max_len(63);
    if (!is_qname_part(part)) {
        return "name part " + regex_error(qname_msg, qname_fmt, {"MyName", "my.name", "123-abc"});
    }
    return "";
}

std::string validate_label_value(std::string_view value) {
    if (value.empty())
        return "";
    if (value.size() > 63)
        return max_len(63);
    if (!is_qname_part(value)) {
        return regex_error(
            "a valid label must be an empty string or consist of alphanumeric "
            "characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character",
            "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"});
    }
    return "";
}

std::string invalid_value_prefix(std::string_view value) {
    return "Invalid value: " + nlohmann::json(std::string(value)).dump() + ": ";
}

}  // namespace fedsim::model
