#include "propagation/form/job_form.hpp"

#include "propagation/form/names.hpp"
#include "propagation/json/bounded_json.hpp"

#include <cmath>
#include <initializer_list>
#include <limits>
#include <set>
#include <utility>

namespace propagation::form {

namespace {

using njson = nlohmann::json;

constexpr std::int64_t int32_min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
// Kubernetes' HighestUserDefinablePriority.
constexpr std::int64_t max_priority = 1'000'000'000;
// KubeRay: a RayJob's name leaves room for the RayCluster and pod names derived from it.
constexpr std::size_t max_rayjob_name = 47;
// Karmada: cluster names are DNS-1123 labels of at most 48 characters.
constexpr std::size_t max_cluster_name = 48;
constexpr std::size_t max_hyperparameter_key = 63;
// Bad values are quoted back in messages; a huge value is cut so messages stay small.
constexpr std::size_t max_quoted_bytes = 256;

/// Go's %q-style quoting (JSON escaping is close enough for messages), cut when huge.
std::string quote(std::string_view s) {
    std::string text(s.substr(0, max_quoted_bytes));
    std::string out = njson(text).dump(-1, ' ', false, njson::error_handler_t::replace);
    if (s.size() > max_quoted_bytes) {
        out.insert(out.size() - 1, "...");
    }
    return out;
}

/// The schema type name of a JSON value as Kubernetes' validation words it.
std::string_view schema_type(const njson& v) {
    switch (v.type()) {
    case njson::value_t::null: return "null";
    case njson::value_t::object: return "object";
    case njson::value_t::array: return "array";
    case njson::value_t::string: return "string";
    case njson::value_t::boolean: return "boolean";
    case njson::value_t::number_integer:
    case njson::value_t::number_unsigned: return "integer";
    case njson::value_t::number_float: return "number";
    default: return "unknown";
    }
}

/// A JSON number as the message shows it.
std::string number_text(const njson& v) {
    return v.dump(-1, ' ', false, njson::error_handler_t::replace);
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= s.size()) {
            return false;  // truncated sequence
        }
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values beyond U+10FFFF are not UTF-8.
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
            (extra == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::string child(const std::string& path, std::string_view name) {
    std::string out = path;
    if (!out.empty()) {
        out += '.';
    }
    out.append(name);
    return out;
}

std::string index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

/// Collects field errors in the API server's words, up to a limit.
class collector {
public:
    explicit collector(std::size_t max_causes) : max_causes_(max_causes) {}

    void add(std::string field, std::string message, std::string reason) {
        if (causes_.size() < max_causes_) {
            causes_.push_back(field_error{std::move(field), std::move(message), std::move(reason)});
        } else {
            ++dropped_;
        }
    }

    void invalid(const std::string& path, const std::string& value, std::string_view detail) {
        std::string msg = "Invalid value: " + value;
        if (!detail.empty()) {
            msg.append(": ").append(detail);
        }
        add(path, std::move(msg), "FieldValueInvalid");
    }

    void required(const std::string& path, std::string_view detail = {}) {
        std::string msg = "Required value";
        if (!detail.empty()) {
            msg.append(": ").append(detail);
        }
        add(path, std::move(msg), "FieldValueRequired");
    }

    void type_invalid(const std::string& path, const njson& v, std::string_view expected) {
        const std::string actual(schema_type(v));
        add(path,
            "Invalid value: \"" + actual + "\": " + path + " in body must be of type " +
                std::string(expected) + ": \"" + actual + "\"",
            "FieldValueTypeInvalid");
    }

    void not_supported(const std::string& path, std::string_view value,
                       std::initializer_list<std::string_view> supported) {
        std::string msg = "Unsupported value: " + quote(value) + ": supported values: ";
        bool first = true;
        for (auto s : supported) {
            if (!first) {
                msg += ", ";
            }
            first = false;
            msg += quote(s);
        }
        add(path, std::move(msg), "FieldValueNotSupported");
    }

    void duplicate(const std::string& path, std::string_view value, std::string_view detail = {}) {
        std::string msg = "Duplicate value: " + quote(value);
        if (!detail.empty()) {
            msg.append(": ").append(detail);
        }
        add(path, std::move(msg), "FieldValueDuplicate");
    }

    void too_long(const std::string& path, std::size_t max) {
        add(path, "Too long: may not be more than " + std::to_string(max) + " bytes",
            "FieldValueTooLong");
    }

    void too_many(const std::string& path, std::size_t actual, std::size_t max) {
        add(path,
            "Too many: " + std::to_string(actual) + ": must have at most " + std::to_string(max) +
                " items",
            "FieldValueTooMany");
    }

    void forbidden(const std::string& path, std::string_view detail) {
        add(path, "Forbidden: " + std::string(detail), "FieldValueForbidden");
    }

    void unknown(const std::string& path) {
        add(path, "unknown field " + quote(path), "FieldUnknown");
    }

    /// One cause per Kubernetes validation message, as the API server reports them.
    void invalid_each(const std::string& path, std::string_view value,
                      const std::vector<std::string>& messages) {
        for (const auto& m : messages) {
            invalid(path, quote(value), m);
        }
    }

    bool ok() const { return causes_.empty(); }

    error finish() && {
        if (dropped_ > 0) {
            causes_.push_back(field_error{
                "", "and " + std::to_string(dropped_) + " more problems not listed",
                "FieldValueInvalid"});
        }
        return invalid_error(std::move(causes_));
    }

private:
    std::size_t max_causes_;
    std::size_t dropped_ = 0;
    std::vector<field_error> causes_;
};

/// The member `key` of `obj`, or nullptr when absent or null (null means "not set").
const njson* member(const njson& obj, std::string_view key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        return nullptr;
    }
    return &*it;
}

void report_unknown(collector& c, const njson& obj, const std::string& path,
                    std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : obj.items()) {
        bool found = false;
        for (auto k : known) {
            found = found || k == key;
        }
        if (!found) {
            c.unknown(child(path, key));
        }
    }
}

/// A string value; a wrong type, bad UTF-8 or excess length is reported and yields nullopt.
std::optional<std::string> string_value(collector& c, const njson& v, const std::string& path,
                                        std::size_t max_bytes) {
    if (!v.is_string()) {
        c.type_invalid(path, v, "string");
        return std::nullopt;
    }
    const auto& s = v.get_ref<const std::string&>();
    if (!valid_utf8(s)) {
        c.invalid(path, quote(s), "must be valid UTF-8");
        return std::nullopt;
    }
    if (s.size() > max_bytes) {
        c.too_long(path, max_bytes);
        return std::nullopt;
    }
    return s;
}

/// An optional string field: absent, null and "" all mean "not given".
std::optional<std::string> optional_string(collector& c, const njson& obj, std::string_view key,
                                           const std::string& path, std::size_t max_bytes) {
    const njson* v = member(obj, key);
    if (v == nullptr) {
        return std::nullopt;
    }
    auto s = string_value(c, *v, path, max_bytes);
    if (s && s->empty()) {
        return std::nullopt;
    }
    return s;
}

/// Kubernetes' range wording; a one-sided bound is named alone unless the value is outside
/// the field's type altogether.
std::string range_detail(std::int64_t lo, std::int64_t hi, std::int64_t type_lo,
                         std::int64_t type_hi, bool beyond_type) {
    if (!beyond_type && hi == type_hi && lo != type_lo) {
        return lo == 1 ? "must be greater than 0"
                       : "must be greater than or equal to " + std::to_string(lo);
    }
    if (!beyond_type && lo == type_lo && hi != type_hi) {
        return "must be less than or equal to " + std::to_string(hi);
    }
    return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
           ", inclusive";
}

/// An integer in [lo, hi]. JSON floats without a fraction count as integers (as OpenAPI
/// validation accepts 4.0 for an integer); anything else is a type error.
std::optional<std::int64_t> integer_value(collector& c, const njson& v, const std::string& path,
                                          std::int64_t lo, std::int64_t hi,
                                          std::int64_t type_lo = int32_min,
                                          std::int64_t type_hi = int32_max) {
    std::int64_t x = 0;
    bool in_range = true;
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        in_range = u <= static_cast<std::uint64_t>(int64_max);
        x = in_range ? static_cast<std::int64_t>(u) : int64_max;
    } else if (v.is_number_integer()) {
        x = v.get<std::int64_t>();
    } else if (v.is_number_float()) {
        const double d = v.get<double>();
        if (!std::isfinite(d) || std::trunc(d) != d) {
            c.type_invalid(path, v, "integer");
            return std::nullopt;
        }
        // 2^63 is exactly representable; anything at or beyond it does not fit.
        in_range = d >= -9223372036854775808.0 && d < 9223372036854775808.0;
        x = in_range ? static_cast<std::int64_t>(d) : (d < 0 ? int64_max * -1 - 1 : int64_max);
    } else {
        c.type_invalid(path, v, "integer");
        return std::nullopt;
    }
    if (!in_range || x < lo || x > hi) {
        const bool beyond_type = !in_range || x < type_lo || x > type_hi;
        c.invalid(path, number_text(v), range_detail(lo, hi, type_lo, type_hi, beyond_type));
        return std::nullopt;
    }
    return x;
}

/// A Kubernetes quantity given as a string or a JSON number; "" means "not given".
std::optional<quantity> quantity_value(collector& c, const njson& obj, std::string_view key,
                                       const std::string& path, bool* given = nullptr) {
    const njson* v = member(obj, key);
    if (v == nullptr) {
        return std::nullopt;
    }
    std::string text;
    if (v->is_string()) {
        const auto& s = v->get_ref<const std::string&>();
        if (s.size() > quantity::max_text_bytes * 2) {
            c.too_long(path, quantity::max_text_bytes);
            return std::nullopt;
        }
        // Quantity.UnmarshalJSON trims surrounding whitespace.
        text = std::string(trim(s));
        if (text.empty()) {
            return std::nullopt;
        }
    } else if (v->is_number()) {
        text = number_text(*v);
    } else {
        c.type_invalid(path, *v, "string");
        return std::nullopt;
    }
    if (given != nullptr) {
        *given = true;
    }
    auto q = quantity::parse(text);
    if (!q) {
        c.invalid(path, quote(text), q.error().causes.empty() ? q.error().message
                                                               : q.error().causes[0].message);
        return std::nullopt;
    }
    return *q;
}

std::optional<placement_strategy> strategy_from(std::string_view s) {
    if (s == "spread") return placement_strategy::spread;
    if (s == "pack") return placement_strategy::pack;
    if (s == "single") return placement_strategy::single;
    if (s == "duplicate") return placement_strategy::duplicate;
    return std::nullopt;
}

/// Karmada's cluster-name rule; reports and returns false when `name` breaks it.
bool check_cluster_name(collector& c, const std::string& path, std::string_view name) {
    auto errs = is_dns1123_label(name);
    if (errs.empty() && name.size() > max_cluster_name) {
        errs.push_back(max_len_error(max_cluster_name));
    }
    c.invalid_each(path, name, errs);
    return errs.empty();
}

bool is_hyperparameter_key(std::string_view key) {
    if (key.empty() || key.size() > max_hyperparameter_key) {
        return false;
    }
    auto letter = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); };
    if (!letter(key[0]) && key[0] != '_') {
        return false;
    }
    for (char ch : key) {
        if (!letter(ch) && !(ch >= '0' && ch <= '9') && ch != '_' && ch != '.' && ch != '-') {
            return false;
        }
    }
    return true;
}

/// A string list (command or args): strings only, bounded count and total bytes.
std::vector<std::string> string_list(collector& c, const njson& v, const std::string& path,
                                     const form_limits& limits, std::size_t& total_bytes) {
    std::vector<std::string> out;
    if (v.size() > limits.max_args) {
        c.too_many(path, v.size(), limits.max_args);
        return out;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (auto s = string_value(c, v[i], index(path, i), limits.max_command_bytes)) {
            total_bytes += s->size();
            out.push_back(std::move(*s));
        }
    }
    return out;
}

/// The extended-resource rule for `gpuResource`: a domain-prefixed name outside Kubernetes'
/// own namespaces (cpu, memory, hugepages-*, ... are not GPUs).
void check_gpu_resource(collector& c, const std::string& path, const std::string& name) {
    auto errs = is_label_key(name);
    if (!errs.empty()) {
        c.invalid_each(path, name, errs);
        return;
    }
    const auto slash = name.find('/');
    if (slash == std::string::npos) {
        c.invalid(path, quote(name),
                  "must be an extended resource name with a domain prefix, such as "
                  "\"nvidia.com/gpu\"; built-in resources such as cpu and memory are not GPUs");
        return;
    }
    const std::string_view domain = std::string_view(name).substr(0, slash);
    const bool kubernetes_domain =
        domain == "kubernetes.io" ||
        (domain.size() > 14 && domain.substr(domain.size() - 14) == ".kubernetes.io");
    if (kubernetes_domain || domain.substr(0, 9) == "requests.") {
        c.invalid(path, quote(name),
                  "must be an extended resource name outside the kubernetes.io namespace, such "
                  "as \"nvidia.com/gpu\"");
    }
}

/// True for an object of at most `limits.max_map_entries` members; otherwise records why not.
bool is_bounded_object(collector& c, const njson& v, const std::string& path,
                       const form_limits& limits) {
    if (!v.is_object()) {
        c.type_invalid(path, v, "object");
        return false;
    }
    if (v.size() > limits.max_map_entries) {
        c.too_many(path, v.size(), limits.max_map_entries);
        return false;
    }
    return true;
}

void parse_hyperparameters(collector& c, const njson& v, const std::string& path,
                           const form_limits& limits, job_form& f) {
    if (!is_bounded_object(c, v, path, limits)) {
        return;
    }
    std::map<std::string, std::string> env_names;  // HP_ name → key that produced it
    for (const auto& [key, value] : v.items()) {
        const std::string p = child(path, key);
        if (!is_hyperparameter_key(key)) {
            c.invalid(p, quote(key),
                      "a hyperparameter name must start with a letter or '_' and consist of "
                      "letters, digits, '_', '.' or '-', at most 63 characters (e.g. "
                      "'learning_rate')");
            continue;
        }
        std::string text;
        if (value.is_string()) {
            auto s = string_value(c, value, p, limits.max_string_bytes);
            if (!s) {
                continue;
            }
            text = std::move(*s);
        } else if (value.is_boolean()) {
            text = value.get<bool>() ? "true" : "false";
        } else if (value.is_number()) {
            text = number_text(value);  // shortest text that reads back as the same number
        } else {
            c.type_invalid(p, value, "string, number or boolean");
            continue;
        }
        const std::string env = hyperparameter_env_name(key);
        if (auto [it, inserted] = env_names.emplace(env, key); !inserted) {
            c.duplicate(p, env, "hyperparameters." + it->second + " maps to the same variable");
            continue;
        }
        f.hyperparameters.emplace(key, std::move(text));
    }
}

void parse_env(collector& c, const njson& v, const std::string& path, const form_limits& limits,
               job_form& f) {
    std::map<std::string, std::string> seen;  // name → path where first set
    auto add = [&](const std::string& name_path, std::string name, std::string value) {
        const auto errs = is_env_var_name(name);
        if (!errs.empty()) {
            c.invalid_each(name_path, name, errs);
            return;
        }
        if (auto [it, inserted] = seen.emplace(name, name_path); !inserted) {
            c.duplicate(name_path, name);
            return;
        }
        f.env.push_back(env_var{std::move(name), std::move(value)});
    };
    if (v.size() > limits.max_map_entries) {
        c.too_many(path, v.size(), limits.max_map_entries);
        return;
    }
    if (v.is_object()) {
        for (const auto& [key, value] : v.items()) {
            const std::string p = child(path, key);
            std::string text;
            if (!value.is_null()) {
                auto s = string_value(c, value, p, limits.max_string_bytes);
                if (!s) {
                    continue;
                }
                text = std::move(*s);
            }
            add(p, key, std::move(text));
        }
        return;
    }
    if (!v.is_array()) {
        c.type_invalid(path, v, "array");
        return;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string p = index(path, i);
        const njson& item = v[i];
        if (!item.is_object()) {
            c.type_invalid(p, item, "object");
            continue;
        }
        report_unknown(c, item, p, {"name", "value"});
        const std::string name_path = child(p, "name");
        std::optional<std::string> name;
        if (const njson* n = member(item, "name")) {
            name = string_value(c, *n, name_path, limits.max_string_bytes);
        } else {
            c.required(name_path);
        }
        std::string value;
        bool value_ok = true;
        if (const njson* val = member(item, "value")) {
            auto s = string_value(c, *val, child(p, "value"), limits.max_string_bytes);
            value_ok = s.has_value();
            value = s.value_or("");
        }
        if (name && value_ok) {
            add(name_path, std::move(*name), std::move(value));
        }
    }
}

void parse_labels(collector& c, const njson& v, const std::string& path,
                  const form_limits& limits, job_form& f) {
    if (!is_bounded_object(c, v, path, limits)) {
        return;
    }
    for (const auto& [key, value] : v.items()) {
        const std::string p = child(path, key);
        const auto key_errs = is_label_key(key);
        c.invalid_each(p, key, key_errs);
        auto s = string_value(c, value, p, limits.max_string_bytes);
        if (!s) {
            continue;
        }
        const auto value_errs = is_label_value(*s);
        c.invalid_each(p, *s, value_errs);
        if (key_errs.empty() && value_errs.empty()) {
            f.labels.emplace(key, std::move(*s));
        }
    }
}

void parse_target_clusters(collector& c, const njson& v, const std::string& path,
                           const form_limits& limits, job_form& f) {
    if (!v.is_array()) {
        c.type_invalid(path, v, "array");
        return;
    }
    if (v.size() > limits.max_target_clusters) {
        c.too_many(path, v.size(), limits.max_target_clusters);
        return;
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string p = index(path, i);
        auto s = string_value(c, v[i], p, limits.max_string_bytes);
        if (!s) {
            continue;
        }
        if (s->empty()) {
            c.required(p);
            continue;
        }
        if (!check_cluster_name(c, p, *s)) {
            continue;
        }
        if (!seen.insert(*s).second) {
            c.duplicate(p, *s);
            continue;
        }
        f.target_clusters.push_back(std::move(*s));
    }
}

void parse_placement(collector& c, const njson& v, const std::string& path,
                     const form_limits& limits, job_form& f) {
    if (!v.is_object()) {
        c.type_invalid(path, v, "object");
        return;
    }
    report_unknown(c, v, path, {"strategy", "clusterWeights"});
    const std::string strategy_path = child(path, "strategy");
    if (auto s = optional_string(c, v, "strategy", strategy_path, limits.max_string_bytes)) {
        if (auto st = strategy_from(*s)) {
            f.placement.strategy = st;
        } else {
            c.not_supported(strategy_path, *s, {"spread", "pack", "single", "duplicate"});
        }
    }
    const njson* weights = member(v, "clusterWeights");
    if (weights == nullptr) {
        return;
    }
    const std::string weights_path = child(path, "clusterWeights");
    if (!weights->is_object()) {
        c.type_invalid(weights_path, *weights, "object");
        return;
    }
    if (weights->size() > limits.max_map_entries) {
        c.too_many(weights_path, weights->size(), limits.max_map_entries);
        return;
    }
    for (const auto& [key, value] : weights->items()) {
        const std::string p = child(weights_path, key);
        const bool name_ok = check_cluster_name(c, p, key);
        auto w = integer_value(c, value, p, 1, limits.max_cluster_weight, 0, int64_max);
        if (name_ok && w) {
            f.placement.cluster_weights.emplace(key, *w);
        }
    }
}

}  // namespace

std::string_view to_string(job_type t) {
    switch (t) {
    case job_type::job: return "job";
    case job_type::pytorch: return "pytorch";
    case job_type::ray: return "ray";
    case job_type::volcano: return "volcano";
    case job_type::notebook: return "notebook";
    }
    return "job";
}

std::string_view to_string(placement_strategy s) {
    switch (s) {
    case placement_strategy::spread: return "spread";
    case placement_strategy::pack: return "pack";
    case placement_strategy::single: return "single";
    case placement_strategy::duplicate: return "duplicate";
    }
    return "spread";
}

placement_strategy job_form::effective_strategy() const {
    if (placement.strategy) {
        return *placement.strategy;
    }
    return type == job_type::job ? placement_strategy::spread : placement_strategy::single;
}

std::string hyperparameter_env_name(std::string_view key) {
    std::string out = "HP_";
    for (char ch : key) {
        if (ch >= 'a' && ch <= 'z') {
            out += static_cast<char>(ch - 'a' + 'A');
        } else if ((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) {
            out += ch;
        } else {
            out += '_';
        }
    }
    return out;
}

result<job_form> parse_job_form(const nlohmann::json& doc, const form_limits& limits) {
    if (!doc.is_object()) {
        return bad_input_error("the job form must be a JSON object, not " +
                               std::string(schema_type(doc)));
    }
    collector c(limits.max_causes);
    job_form f;
    const std::string root;

    report_unknown(c, doc,
                   root, {"name", "namespace", "jobType", "framework", "image", "command", "args",
                          "replicas", "workersPerNode", "cpuRequest", "cpuLimit", "memoryRequest",
                          "memoryLimit", "gpuRequest", "gpuResource", "gpuModel", "storageClass",
                          "storageSize", "hyperparameters", "env", "labels", "targetClusters",
                          "placement", "priority", "ttlSecondsAfterFinished", "backoffLimit",
                          "activeDeadlineSeconds"});

    // jobType first: the name rules and the allowed strategies depend on it.
    bool type_known = true;
    if (auto t = optional_string(c, doc, "jobType", "jobType", limits.max_string_bytes)) {
        if (auto jt = parse_job_type(*t)) {
            f.type = *jt;
        } else {
            type_known = false;
            c.not_supported("jobType", *t, {"job", "pytorch", "ray", "volcano", "notebook"});
        }
    }

    if (const njson* v = member(doc, "name")) {
        if (auto s = string_value(c, *v, "name", limits.max_string_bytes)) {
            f.name = std::move(*s);
            if (f.name.empty()) {
                c.required("name");
            } else if (type_known &&
                       (f.type == job_type::ray || f.type == job_type::pytorch)) {
                c.invalid_each("name", f.name, is_dns1035_label(f.name));
                if (f.type == job_type::ray && f.name.size() > max_rayjob_name &&
                    f.name.size() <= dns1035_label_max_length) {
                    c.invalid("name", quote(f.name),
                              "a RayJob name must be no more than 47 characters");
                }
            } else {
                c.invalid_each("name", f.name, is_dns1123_label(f.name));
            }
        }
    } else {
        c.required("name");
    }

    if (auto ns = optional_string(c, doc, "namespace", "namespace", limits.max_string_bytes)) {
        c.invalid_each("namespace", *ns, is_dns1123_label(*ns));
        f.namespace_ = std::move(*ns);
    }

    if (auto fw = optional_string(c, doc, "framework", "framework", limits.max_string_bytes)) {
        f.framework = std::move(*fw);
    }

    if (const njson* v = member(doc, "image")) {
        if (auto s = string_value(c, *v, "image", limits.max_string_bytes)) {
            bool blank = true;
            bool has_space = false;
            for (char ch : *s) {
                blank = blank && is_space(ch);
                has_space = has_space || is_space(ch) || static_cast<unsigned char>(ch) < 0x20 ||
                            ch == 0x7f;
            }
            if (blank) {
                c.required("image");
            } else if (has_space) {
                c.invalid("image", quote(*s),
                          "must not contain whitespace or control characters");
            } else {
                f.image = std::move(*s);
            }
        }
    } else {
        c.required("image");
    }

    std::size_t command_bytes = 0;
    if (const njson* v = member(doc, "command")) {
        if (v->is_string()) {
            if (auto s = string_value(c, *v, "command", limits.max_command_bytes);
                s && !s->empty()) {
                command_bytes += s->size();
                f.command = {std::move(*s)};
                f.command_is_shell = true;
            }
        } else if (v->is_array()) {
            f.command = string_list(c, *v, "command", limits, command_bytes);
        } else {
            c.type_invalid("command", *v, "string or array");
        }
    }
    if (const njson* v = member(doc, "args")) {
        if (v->is_array()) {
            f.args = string_list(c, *v, "args", limits, command_bytes);
        } else {
            c.type_invalid("args", *v, "array");
        }
    }
    if (command_bytes > limits.max_command_bytes) {
        c.too_long(f.args.empty() ? "command" : "args", limits.max_command_bytes);
    }

    bool replicas_given = false;
    if (const njson* v = member(doc, "replicas")) {
        replicas_given = true;
        if (auto n = integer_value(c, *v, "replicas", 1, limits.max_replicas)) {
            f.replicas = static_cast<std::int32_t>(*n);
        }
    }
    if (f.type == job_type::notebook && replicas_given && f.replicas != 1) {
        c.invalid("replicas", std::to_string(f.replicas), "a notebook runs exactly 1 replica");
    }
    if (const njson* v = member(doc, "workersPerNode")) {
        if (auto n = integer_value(c, *v, "workersPerNode", 1, limits.max_workers_per_node)) {
            f.workers_per_node = static_cast<std::int32_t>(*n);
        }
    }

    f.cpu_request = quantity_value(c, doc, "cpuRequest", "cpuRequest");
    f.cpu_limit = quantity_value(c, doc, "cpuLimit", "cpuLimit");
    f.memory_request = quantity_value(c, doc, "memoryRequest", "memoryRequest");
    f.memory_limit = quantity_value(c, doc, "memoryLimit", "memoryLimit");
    auto check_resource = [&](std::optional<quantity>& request, std::optional<quantity>& limit,
                              const char* request_path, const char* limit_path,
                              std::string_view resource) {
        auto non_negative = [&](std::optional<quantity>& q, const char* path) {
            if (q && q->sign() < 0) {
                c.invalid(path, quote(q->to_string()), "must be greater than or equal to 0");
                q.reset();
            }
        };
        non_negative(request, request_path);
        non_negative(limit, limit_path);
        if (request && limit && *limit < *request) {
            c.invalid(request_path, quote(request->to_string()),
                      "must be less than or equal to " + std::string(resource) + " limit of " +
                          limit->to_string());
        }
    };
    check_resource(f.cpu_request, f.cpu_limit, "cpuRequest", "cpuLimit", "cpu");
    check_resource(f.memory_request, f.memory_limit, "memoryRequest", "memoryLimit", "memory");

    if (const njson* v = member(doc, "gpuRequest")) {
        if (auto n = integer_value(c, *v, "gpuRequest", 0, limits.max_gpu_per_replica)) {
            f.gpu_request = static_cast<std::int32_t>(*n);
        }
    }
    if (auto s = optional_string(c, doc, "gpuResource", "gpuResource", limits.max_string_bytes)) {
        check_gpu_resource(c, "gpuResource", *s);
        f.gpu_resource = std::move(*s);
    }
    if (auto s = optional_string(c, doc, "gpuModel", "gpuModel", limits.max_string_bytes)) {
        c.invalid_each("gpuModel", *s, is_label_value(*s));
        f.gpu_model = std::move(*s);
    }
    if (auto s = optional_string(c, doc, "storageClass", "storageClass",
                                 limits.max_string_bytes)) {
        c.invalid_each("storageClass", *s, is_dns1123_subdomain(*s));
        f.storage_class = std::move(*s);
    }
    bool storage_size_given = false;
    f.storage_size = quantity_value(c, doc, "storageSize", "storageSize", &storage_size_given);
    if (f.storage_size && f.storage_size->sign() <= 0) {
        c.invalid("storageSize", quote(f.storage_size->to_string()), "must be greater than 0");
        f.storage_size.reset();
    }
    if (!f.storage_class.empty() && !storage_size_given) {
        c.required("storageSize", "a volume of storageClass " + quote(f.storage_class) +
                                      " needs a size");
    }

    if (const njson* v = member(doc, "hyperparameters")) {
        parse_hyperparameters(c, *v, "hyperparameters", limits, f);
    }
    if (const njson* v = member(doc, "env")) {
        parse_env(c, *v, "env", limits, f);
        // A hyperparameter's variable must not be set twice.
        for (const auto& [key, value] : f.hyperparameters) {
            const std::string env = hyperparameter_env_name(key);
            for (const auto& e : f.env) {
                if (e.name == env) {
                    c.duplicate("hyperparameters." + key, env,
                                "also set in env; hyperparameters become HP_ variables");
                }
            }
        }
    }
    if (const njson* v = member(doc, "labels")) {
        parse_labels(c, *v, "labels", limits, f);
    }
    if (const njson* v = member(doc, "targetClusters")) {
        parse_target_clusters(c, *v, "targetClusters", limits, f);
    }
    if (const njson* v = member(doc, "placement")) {
        parse_placement(c, *v, "placement", limits, f);
    }
    if (f.placement.strategy && type_known && f.type != job_type::job &&
        *f.placement.strategy != placement_strategy::single) {
        c.invalid("placement.strategy", quote(to_string(*f.placement.strategy)),
                  "a " + std::string(to_string(f.type)) +
                      " job cannot be divided across clusters: only \"single\" is supported");
    }
    if (!f.target_clusters.empty()) {
        for (const auto& [cluster, weight] : f.placement.cluster_weights) {
            bool listed = false;
            for (const auto& t : f.target_clusters) {
                listed = listed || t == cluster;
            }
            if (!listed) {
                c.invalid("placement.clusterWeights." + cluster, quote(cluster),
                          "is not one of targetClusters");
            }
        }
    }

    if (const njson* v = member(doc, "priority")) {
        if (auto n = integer_value(c, *v, "priority", int32_min, max_priority)) {
            f.priority = static_cast<std::int32_t>(*n);
        }
    }
    if (const njson* v = member(doc, "ttlSecondsAfterFinished")) {
        if (auto n = integer_value(c, *v, "ttlSecondsAfterFinished", 0, int32_max)) {
            f.ttl_seconds_after_finished = static_cast<std::int32_t>(*n);
        }
    }
    if (const njson* v = member(doc, "backoffLimit")) {
        if (auto n = integer_value(c, *v, "backoffLimit", 0, int32_max)) {
            f.backoff_limit = static_cast<std::int32_t>(*n);
        }
    }
    if (const njson* v = member(doc, "activeDeadlineSeconds")) {
        if (auto n = integer_value(c, *v, "activeDeadlineSeconds", 1, int64_max,
                                   std::numeric_limits<std::int64_t>::min(), int64_max)) {
            f.active_deadline_seconds = *n;
        }
    }

    if (!c.ok()) {
        return std::move(c).finish();
    }
    return f;
}

result<job_form> parse_job_form_text(std::string_view text, const form_limits& limits) {
    if (text.size() > limits.max_text_bytes) {
        return bad_input_error("the job form is " + std::to_string(text.size()) +
                               " bytes; the limit is " + std::to_string(limits.max_text_bytes));
    }
    result<nlohmann::json> doc = bad_input_error("");
    try {
        doc = propagation::json::parse_bounded(text, {limits.max_text_bytes, limits.max_depth});
    } catch (const nlohmann::json::exception& e) {
        // e.g. a number too large for a double ("1e400") is reported as out_of_range.
        std::string what = e.what();
        if (auto pos = what.find("] "); pos != std::string::npos) {
            what.erase(0, pos + 2);
        }
        return bad_input_error("invalid JSON: " + what);
    }
    if (!doc) {
        return doc.error();
    }
    return parse_job_form(*doc, limits);
}

nlohmann::json to_json(const job_form& f) {
    njson out = njson::object();
    out["name"] = f.name;
    out["namespace"] = f.namespace_;
    out["jobType"] = to_string(f.type);
    if (!f.framework.empty()) {
        out["framework"] = f.framework;
    }
    out["image"] = f.image;
    if (f.command_is_shell && f.command.size() == 1) {
        out["command"] = f.command.front();
    } else if (!f.command.empty()) {
        out["command"] = f.command;
    }
    if (!f.args.empty()) {
        out["args"] = f.args;
    }
    out["replicas"] = f.replicas;
    out["workersPerNode"] = f.workers_per_node;
    auto put_quantity = [&](const char* key, const std::optional<quantity>& q) {
        if (q) {
            out[key] = q->to_string();
        }
    };
    put_quantity("cpuRequest", f.cpu_request);
    put_quantity("cpuLimit", f.cpu_limit);
    put_quantity("memoryRequest", f.memory_request);
    put_quantity("memoryLimit", f.memory_limit);
    out["gpuRequest"] = f.gpu_request;
    out["gpuResource"] = f.gpu_resource;
    if (!f.gpu_model.empty()) {
        out["gpuModel"] = f.gpu_model;
    }
    if (!f.storage_class.empty()) {
        out["storageClass"] = f.storage_class;
    }
    put_quantity("storageSize", f.storage_size);
    if (!f.hyperparameters.empty()) {
        out["hyperparameters"] = f.hyperparameters;
    }
    if (!f.env.empty()) {
        njson env = njson::array();
        for (const auto& e : f.env) {
            env.push_back({{"name", e.name}, {"value", e.value}});
        }
        out["env"] = std::move(env);
    }
    if (!f.labels.empty()) {
        out["labels"] = f.labels;
    }
    if (!f.target_clusters.empty()) {
        out["targetClusters"] = f.target_clusters;
    }
    njson placement = njson::object();
    if (f.placement.strategy) {
        placement["strategy"] = to_string(*f.placement.strategy);
    }
    if (!f.placement.cluster_weights.empty()) {
        placement["clusterWeights"] = f.placement.cluster_weights;
    }
    if (!placement.empty()) {
        out["placement"] = std::move(placement);
    }
    out["priority"] = f.priority;
    if (f.ttl_seconds_after_finished) {
        out["ttlSecondsAfterFinished"] = *f.ttl_seconds_after_finished;
    }
    if (f.backoff_limit) {
        out["backoffLimit"] = *f.backoff_limit;
    }
    if (f.active_deadline_seconds) {
        out["activeDeadlineSeconds"] = *f.active_deadline_seconds;
    }
    return out;
}

std::optional<job_type> parse_job_type(std::string_view s) {
    for (auto t : {job_type::job, job_type::pytorch, job_type::ray, job_type::volcano,
                   job_type::notebook}) {
        if (to_string(t) == s) {
            return t;
        }
    }
    return std::nullopt;
}

}  // namespace propagation::form
