#include "tests/support/crd_schema.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace test_support {

namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// YAML <-> JSON

// YAML 1.2 core schema resolution of a plain (unquoted) scalar.
json resolve_plain_scalar(const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
        return nullptr;
    }
    if (s == "true" || s == "True" || s == "TRUE") {
        return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
        return false;
    }
    static const std::regex int_re("^[-+]?[0-9]+$");
    static const std::regex float_re(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
    if (std::regex_match(s, int_re)) {
        errno = 0;
        if (s[0] == '-') {
            const long long v = std::strtoll(s.c_str(), nullptr, 10);
            if (errno == 0) {
                return static_cast<std::int64_t>(v);
            }
        } else {
            const unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
            if (errno == 0) {
                if (v <=
                    static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max())) {
                    return static_cast<std::int64_t>(v);
                }
                return static_cast<std::uint64_t>(v);
            }
        }
        return std::strtod(s.c_str(), nullptr);
    }
    if (std::regex_match(s, float_re)) {
        return std::strtod(s.c_str(), nullptr);
    }
    return s;
}

json yaml_to_json(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return nullptr;
        case YAML::NodeType::Scalar:
            // "?" marks a plain scalar; quoted scalars ("!") and explicit tags stay strings.
            if (node.Tag() == "?") {
                return resolve_plain_scalar(node.Scalar());
            }
            return node.Scalar();
        case YAML::NodeType::Sequence: {
            json out = json::array();
            for (const auto& item : node) {
                out.push_back(yaml_to_json(item));
            }
            return out;
        }
        case YAML::NodeType::Map: {
            json out = json::object();
            for (const auto& kv : node) {
                out[kv.first.Scalar()] = yaml_to_json(kv.second);
            }
            return out;
        }
    }
    return nullptr;
}

// True when a YAML 1.1 or 1.2 reader would not read `s`, written plain, back as this string.
bool needs_quotes(const std::string& s) {
    if (!resolve_plain_scalar(s).is_string()) {
        return true;
    }
    static const std::set<std::string> yaml11_words = {
        "y",  "Y",  "yes", "Yes", "YES", "n",    "N",    "no",   "No",    "NO",   "on",
        "On", "ON", "off", "Off", "OFF", ".inf", ".Inf", ".INF", "-.inf", ".nan", ".NaN"};
    if (yaml11_words.count(s) != 0) {
        return true;
    }
    // Octal/hex/sexagesimal-looking numbers of YAML 1.1 and anything multi-line or padded.
    static const std::regex numberish(R"(^[-+]?(0[xXoO][0-9a-fA-F]+|[0-9][0-9_:]*(\.[0-9_]*)?)$)");
    return std::regex_match(s, numberish) || s.find('\n') != std::string::npos ||
           s.front() == ' ' || s.back() == ' ';
}

void emit(YAML::Emitter& out, const json& v) {
    switch (v.type()) {
        case json::value_t::object:
            if (v.empty()) {
                out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
                return;
            }
            out << YAML::BeginMap;
            for (auto it = v.begin(); it != v.end(); ++it) {
                out << YAML::Key;
                if (needs_quotes(it.key())) {
                    out << YAML::DoubleQuoted;
                }
                out << it.key() << YAML::Value;
                emit(out, it.value());
            }
            out << YAML::EndMap;
            return;
        case json::value_t::array:
            if (v.empty()) {
                out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
                return;
            }
            out << YAML::BeginSeq;
            for (const auto& item : v) {
                emit(out, item);
            }
            out << YAML::EndSeq;
            return;
        case json::value_t::string: {
            const auto& s = v.get_ref<const std::string&>();
            if (s.empty() || needs_quotes(s)) {
                out << YAML::DoubleQuoted;
            }
            out << s;
            return;
        }
        case json::value_t::null:
            out << YAML::Null;
            return;
        default:
            out << v.dump();  // numbers and booleans, written plain
            return;
    }
}

// ---------------------------------------------------------------------------------------------
// The walker

const std::set<std::string>& handled_keywords() {
    static const std::set<std::string> k = {
        "type", "properties", "required", "items", "additionalProperties", "enum", "pattern",
        "maxLength", "minLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minItems", "maxItems", "minProperties", "maxProperties", "nullable", "format",
        "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
        "allOf", "anyOf", "oneOf", "not", "$ref", "uniqueItems",
        // Deliberately not evaluated (documentation, defaulting, CEL, merge hints).
        "description", "default", "example", "title", "x-kubernetes-validations",
        "x-kubernetes-map-type", "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key",
        "x-kubernetes-group-version-kind", "x-kubernetes-unions"};
    return k;
}

const std::regex* cached_regex(const std::string& pattern) {
    static std::mutex mu;
    static std::map<std::string, std::optional<std::regex>> cache;
    std::lock_guard lock(mu);
    auto it = cache.find(pattern);
    if (it == cache.end()) {
        std::optional<std::regex> re;
        try {
            re.emplace(pattern, std::regex::ECMAScript);
        } catch (const std::regex_error&) {
            // Left empty: reported as a violation where used, so it cannot pass silently.
        }
        it = cache.emplace(pattern, std::move(re)).first;
    }
    return it->second ? &*it->second : nullptr;
}

std::size_t code_points(const std::string& s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string type_name(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return "integer";
        case json::value_t::number_float:
            return "number";
        case json::value_t::string:
            return "string";
        case json::value_t::array:
            return "array";
        case json::value_t::object:
            return "object";
        default:
            return "unknown";
    }
}

class walker {
public:
    walker(const json* definitions, std::vector<schema_violation>& out)
        : definitions_(definitions), out_(out) {}

    void walk(const json& schema, const json& value) {
        if (!schema.is_object()) {
            return;  // `true` / absent: anything goes
        }
        if (auto ref = schema.find("$ref"); ref != schema.end()) {
            walk_ref(ref->get<std::string>(), value);
            return;
        }
        if (value.is_null()) {
            if (!schema.value("nullable", false)) {
                fail("must not be null");
            }
            return;
        }
        if (!check_type(schema, value)) {
            return;
        }
        check_enum(schema, value);
        check_combinators(schema, value);
        if (value.is_object()) {
            walk_object(schema, value);
        } else if (value.is_array()) {
            walk_array(schema, value);
        } else if (value.is_string()) {
            check_string(schema, value.get_ref<const std::string&>());
        } else if (value.is_number()) {
            check_number(schema, value);
        }
    }

private:
    void fail(std::string message) {
        out_.push_back({path_.empty() ? std::string("<root>") : path_, std::move(message)});
    }

    void walk_ref(const std::string& ref, const json& value) {
        static constexpr std::string_view prefix = "#/definitions/";
        if (definitions_ == nullptr || ref.rfind(prefix, 0) != 0) {
            fail("schema $ref " + ref + " cannot be resolved");
            return;
        }
        auto def = definitions_->find(ref.substr(prefix.size()));
        if (def == definitions_->end()) {
            fail("schema $ref " + ref + " not found in the definitions");
            return;
        }
        walk(*def, value);
    }

    bool check_type(const json& schema, const json& value) {
        const bool int_or_string = schema.value("x-kubernetes-int-or-string", false) ||
                                   schema.value("format", "") == "int-or-string";
        if (int_or_string) {
            if (!value.is_number_integer() && !value.is_string()) {
                fail("must be an integer or a string, got " + type_name(value));
                return false;
            }
            return true;
        }
        auto t = schema.find("type");
        if (t == schema.end()) {
            return true;
        }
        const auto& want = t->get_ref<const std::string&>();
        bool ok = false;
        if (want == "object") {
            ok = value.is_object();
        } else if (want == "array") {
            ok = value.is_array();
        } else if (want == "string") {
            ok = value.is_string();
        } else if (want == "integer") {
            ok = value.is_number_integer();
        } else if (want == "number") {
            ok = value.is_number();
        } else if (want == "boolean") {
            ok = value.is_boolean();
        } else {
            fail("schema type " + want + " is not known to the walker");
            return false;
        }
        if (!ok) {
            fail("must be of type " + want + ", got " + type_name(value));
            return false;
        }
        if (want == "integer") {
            check_integer_format(schema, value);
        }
        return true;
    }

    void check_integer_format(const json& schema, const json& value) {
        const auto fmt = schema.value("format", "");
        if (value.is_number_unsigned() &&
            value.get<std::uint64_t>() >
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            fail("integer out of the int64 range");
            return;
        }
        if (fmt == "int32") {
            const auto v = value.get<std::int64_t>();
            if (v < std::numeric_limits<std::int32_t>::min() ||
                v > std::numeric_limits<std::int32_t>::max()) {
                fail("integer " + std::to_string(v) + " out of the int32 range");
            }
        }
    }

    void check_enum(const json& schema, const json& value) {
        auto e = schema.find("enum");
        if (e == schema.end() || !e->is_array()) {
            return;
        }
        if (std::find(e->begin(), e->end(), value) == e->end()) {
            fail("unsupported value " + value.dump() + ": supported values: " + e->dump());
        }
    }

    // Sub-walks whose violations are only counted (combinators decide on pass/fail).
    bool passes(const json& schema, const json& value) {
        std::vector<schema_violation> scratch;
        walker sub(definitions_, scratch);
        sub.path_ = path_;
        sub.walk(schema, value);
        return scratch.empty();
    }

    void check_combinators(const json& schema, const json& value) {
        if (auto all = schema.find("allOf"); all != schema.end()) {
            for (const auto& s : *all) {
                walk(s, value);
            }
        }
        if (auto any = schema.find("anyOf"); any != schema.end()) {
            const bool ok = std::any_of(any->begin(), any->end(),
                                        [&](const json& s) { return passes(s, value); });
            if (!ok) {
                fail("matches none of the anyOf alternatives");
            }
        }
        if (auto one = schema.find("oneOf"); one != schema.end()) {
            const auto n = std::count_if(one->begin(), one->end(),
                                         [&](const json& s) { return passes(s, value); });
            if (n != 1) {
                fail("must match exactly one oneOf alternative, matches " + std::to_string(n));
            }
        }
        if (auto no = schema.find("not"); no != schema.end() && passes(*no, value)) {
            fail("must not match the `not` schema");
        }
    }

    void walk_object(const json& schema, const json& value) {
        const bool preserve = schema.value("x-kubernetes-preserve-unknown-fields", false);
        const bool embedded = schema.value("x-kubernetes-embedded-resource", false);
        const json* props = nullptr;
        if (auto p = schema.find("properties"); p != schema.end()) {
            props = &*p;
        }
        const json* additional = nullptr;
        if (auto a = schema.find("additionalProperties"); a != schema.end()) {
            additional = &*a;
        }
        const auto base = path_.size();
        for (auto it = value.begin(); it != value.end(); ++it) {
            const auto& key = it.key();
            const json* sub = nullptr;
            if (props != nullptr) {
                if (auto s = props->find(key); s != props->end()) {
                    sub = &*s;
                }
            }
            if (sub != nullptr) {
                if (!path_.empty()) {
                    path_ += '.';
                }
                path_ += key;
                walk(*sub, it.value());
            } else if (additional != nullptr && !additional->is_boolean()) {
                path_ += '[';
                path_ += key;
                path_ += ']';
                walk(*additional, it.value());
            } else if (preserve || (additional != nullptr && additional->get<bool>()) ||
                       (embedded && (key == "apiVersion" || key == "kind" || key == "metadata"))) {
                // kept as is by the API server
            } else {
                if (!path_.empty()) {
                    path_ += '.';
                }
                path_ += key;
                fail("unknown field (the API server would prune it)");
            }
            path_.resize(base);
        }
        if (auto req = schema.find("required"); req != schema.end()) {
            for (const auto& name : *req) {
                if (!value.contains(name.get<std::string>())) {
                    path_ += path_.empty() ? "" : ".";
                    path_ += name.get<std::string>();
                    fail("required field missing");
                    path_.resize(base);
                }
            }
        }
        check_count(schema, "minProperties", "maxProperties", value.size(), "properties");
    }

    void check_count(const json& schema, const char* min_key, const char* max_key, std::size_t n,
                     const char* what) {
        if (auto m = schema.find(min_key); m != schema.end() && n < m->get<std::size_t>()) {
            fail("must have at least " + m->dump() + " " + what + ", has " + std::to_string(n));
        }
        if (auto m = schema.find(max_key); m != schema.end() && n > m->get<std::size_t>()) {
            fail("must have at most " + m->dump() + " " + what + ", has " + std::to_string(n));
        }
    }

    void walk_array(const json& schema, const json& value) {
        check_count(schema, "minItems", "maxItems", value.size(), "items");
        const json* items = nullptr;
        if (auto i = schema.find("items"); i != schema.end()) {
            items = &*i;
        }
        const auto base = path_.size();
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (items != nullptr) {
                path_ += '[' + std::to_string(i) + ']';
                walk(*items, value[i]);
                path_.resize(base);
            }
        }
        check_list_uniqueness(schema, items, value);
    }

    // x-kubernetes-list-type map: entries are keyed by the list-map-keys (a missing key takes
    // its schema default); set and uniqueItems: no duplicates at all.
    void check_list_uniqueness(const json& schema, const json* items, const json& value) {
        const auto list_type = schema.value("x-kubernetes-list-type", "");
        std::set<std::string> seen;
        if (list_type == "map" && schema.contains("x-kubernetes-list-map-keys")) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (!value[i].is_object()) {
                    continue;
                }
                json key = json::array();
                for (const auto& k : schema["x-kubernetes-list-map-keys"]) {
                    const auto& name = k.get_ref<const std::string&>();
                    if (value[i].contains(name)) {
                        key.push_back(value[i][name]);
                    } else if (items != nullptr && items->contains("properties") &&
                               (*items)["properties"].contains(name) &&
                               (*items)["properties"][name].contains("default")) {
                        key.push_back((*items)["properties"][name]["default"]);
                    } else {
                        key.push_back(nullptr);
                    }
                }
                if (!seen.insert(key.dump()).second) {
                    const auto base = path_.size();
                    path_ += '[' + std::to_string(i) + ']';
                    fail("duplicate entry with key " + key.dump());
                    path_.resize(base);
                }
            }
        } else if (list_type == "set" || schema.value("uniqueItems", false)) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (!seen.insert(value[i].dump()).second) {
                    const auto base = path_.size();
                    path_ += '[' + std::to_string(i) + ']';
                    fail("duplicate value " + value[i].dump());
                    path_.resize(base);
                }
            }
        }
    }

    void check_string(const json& schema, const std::string& s) {
        if (auto p = schema.find("pattern"); p != schema.end()) {
            const auto& pattern = p->get_ref<const std::string&>();
            const std::regex* re = cached_regex(pattern);
            if (re == nullptr) {
                fail("schema pattern " + pattern + " cannot be compiled by the walker");
            } else if (!std::regex_search(s, *re)) {
                fail("\"" + s + "\" does not match the pattern " + pattern);
            }
        }
        check_count(schema, "minLength", "maxLength", code_points(s), "characters");
    }

    void check_number(const json& schema, const json& value) {
        const double v = value.get<double>();
        if (auto m = schema.find("minimum"); m != schema.end()) {
            const bool excl = schema.value("exclusiveMinimum", false);
            if (excl ? v <= m->get<double>() : v < m->get<double>()) {
                fail("must be " + std::string(excl ? "greater than " : "at least ") + m->dump());
            }
        }
        if (auto m = schema.find("maximum"); m != schema.end()) {
            const bool excl = schema.value("exclusiveMaximum", false);
            if (excl ? v >= m->get<double>() : v > m->get<double>()) {
                fail("must be " + std::string(excl ? "less than " : "at most ") + m->dump());
            }
        }
    }

    const json* definitions_;
    std::vector<schema_violation>& out_;
    std::string path_;
};

void collect_unhandled(const json& schema, std::set<std::string>& out) {
    if (!schema.is_object()) {
        return;
    }
    for (auto it = schema.begin(); it != schema.end(); ++it) {
        if (handled_keywords().count(it.key()) == 0) {
            out.insert(it.key());
        }
    }
    if (auto p = schema.find("properties"); p != schema.end()) {
        for (const auto& s : *p) {
            collect_unhandled(s, out);
        }
    }
    for (const char* k : {"items", "additionalProperties", "not"}) {
        if (auto s = schema.find(k); s != schema.end()) {
            collect_unhandled(*s, out);
        }
    }
    for (const char* k : {"allOf", "anyOf", "oneOf"}) {
        if (auto s = schema.find(k); s != schema.end()) {
            for (const auto& sub : *s) {
                collect_unhandled(sub, out);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Metadata checks the API server makes on every object beyond the schema.

bool is_dns1123_subdomain(const std::string& s) {
    static const std::regex re(
        R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)");
    return !s.empty() && s.size() <= 253 && std::regex_match(s, re);
}

bool is_label_value(const std::string& s) {
    static const std::regex re(R"(^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$)");
    return s.size() <= 63 && std::regex_match(s, re);
}

bool is_label_key(const std::string& s) {
    const auto slash = s.find('/');
    const std::string name = slash == std::string::npos ? s : s.substr(slash + 1);
    if (slash != std::string::npos && !is_dns1123_subdomain(s.substr(0, slash))) {
        return false;
    }
    return !name.empty() && is_label_value(name);
}

void check_metadata(const json& object, std::vector<schema_violation>& out) {
    const auto meta = object.find("metadata");
    if (meta == object.end() || !meta->is_object()) {
        out.push_back({"metadata", "required field missing"});
        return;
    }
    const auto name = meta->find("name");
    if (name == meta->end() || !name->is_string() || name->get<std::string>().empty()) {
        out.push_back({"metadata.name", "required field missing"});
    } else if (!is_dns1123_subdomain(name->get<std::string>())) {
        out.push_back({"metadata.name", "not a DNS-1123 subdomain"});
    }
    if (auto labels = meta->find("labels"); labels != meta->end() && labels->is_object()) {
        for (auto it = labels->begin(); it != labels->end(); ++it) {
            if (!is_label_key(it.key())) {
                out.push_back({"metadata.labels[" + it.key() + "]", "invalid label key"});
            }
            if (!it.value().is_string() || !is_label_value(it.value().get<std::string>())) {
                out.push_back({"metadata.labels[" + it.key() + "]", "invalid label value"});
            }
        }
    }
}

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + file.string());
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const json& at_path(const json& root, std::initializer_list<const char*> keys,
                    const std::string& what) {
    const json* node = &root;
    for (const char* k : keys) {
        if (!node->is_object() || !node->contains(k)) {
            throw std::runtime_error(what + ": schema has no " + k);
        }
        node = &(*node)[k];
    }
    return *node;
}

// The hand-written top level of core kinds (Kubernetes API reference, v1.33). Everything
// below `template` and `selector` is upstream schema by $ref.
constexpr const char* core_definitions = R"json({
  "broker.batch.v1.JobSpec": {
    "type": "object",
    "required": ["template"],
    "properties": {
      "activeDeadlineSeconds": {"type": "integer", "format": "int64", "minimum": 1},
      "backoffLimit": {"type": "integer", "format": "int32", "minimum": 0},
      "backoffLimitPerIndex": {"type": "integer", "format": "int32"},
      "completionMode": {"type": "string", "enum": ["NonIndexed", "Indexed"]},
      "completions": {"type": "integer", "format": "int32", "minimum": 0},
      "managedBy": {"type": "string"},
      "manualSelector": {"type": "boolean"},
      "maxFailedIndexes": {"type": "integer", "format": "int32"},
      "parallelism": {"type": "integer", "format": "int32", "minimum": 0},
      "podFailurePolicy": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
      "podReplacementPolicy": {"type": "string", "enum": ["TerminatingOrFailed", "Failed"]},
      "selector": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"},
      "successPolicy": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
      "suspend": {"type": "boolean"},
      "template": {"$ref": "#/definitions/broker.core.v1.PodTemplateSpec"},
      "ttlSecondsAfterFinished": {"type": "integer", "format": "int32", "minimum": 0}
    }
  },
  "broker.apps.v1.DeploymentSpec": {
    "type": "object",
    "required": ["selector", "template"],
    "properties": {
      "minReadySeconds": {"type": "integer", "format": "int32"},
      "paused": {"type": "boolean"},
      "progressDeadlineSeconds": {"type": "integer", "format": "int32"},
      "replicas": {"type": "integer", "format": "int32", "minimum": 0},
      "revisionHistoryLimit": {"type": "integer", "format": "int32"},
      "selector": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"},
      "strategy": {
        "type": "object",
        "properties": {
          "type": {"type": "string", "enum": ["Recreate", "RollingUpdate"]},
          "rollingUpdate": {
            "type": "object",
            "properties": {
              "maxSurge": {"x-kubernetes-int-or-string": true},
              "maxUnavailable": {"x-kubernetes-int-or-string": true}
            }
          }
        }
      },
      "template": {"$ref": "#/definitions/broker.core.v1.PodTemplateSpec"}
    }
  },
  "broker.core.v1.ServiceSpec": {
    "type": "object",
    "properties": {
      "allocateLoadBalancerNodePorts": {"type": "boolean"},
      "clusterIP": {"type": "string"},
      "clusterIPs": {"type": "array", "items": {"type": "string"}},
      "externalIPs": {"type": "array", "items": {"type": "string"}},
      "externalName": {"type": "string"},
      "externalTrafficPolicy": {"type": "string", "enum": ["Cluster", "Local"]},
      "healthCheckNodePort": {"type": "integer", "format": "int32"},
      "internalTrafficPolicy": {"type": "string", "enum": ["Cluster", "Local"]},
      "ipFamilies": {"type": "array", "items": {"type": "string", "enum": ["IPv4", "IPv6"]}},
      "ipFamilyPolicy": {"type": "string",
                         "enum": ["SingleStack", "PreferDualStack", "RequireDualStack"]},
      "loadBalancerClass": {"type": "string"},
      "loadBalancerIP": {"type": "string"},
      "loadBalancerSourceRanges": {"type": "array", "items": {"type": "string"}},
      "ports": {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["port", "protocol"],
        "items": {
          "type": "object",
          "required": ["port"],
          "properties": {
            "appProtocol": {"type": "string"},
            "name": {"type": "string"},
            "nodePort": {"type": "integer", "format": "int32"},
            "port": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 65535},
            "protocol": {"type": "string", "enum": ["TCP", "UDP", "SCTP"], "default": "TCP"},
            "targetPort": {"x-kubernetes-int-or-string": true}
          }
        }
      },
      "publishNotReadyAddresses": {"type": "boolean"},
      "selector": {"type": "object", "additionalProperties": {"type": "string"}},
      "sessionAffinity": {"type": "string", "enum": ["ClientIP", "None"]},
      "sessionAffinityConfig": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
      "trafficDistribution": {"type": "string"},
      "type": {"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]}
    }
  },
  "broker.networking.v1.IngressStatus": {
    "type": "object",
    "properties": {
      "loadBalancer": {"$ref": "#/definitions/io.k8s.api.networking.v1.IngressLoadBalancerStatus"}
    }
  }
})json";

// {apiVersion, kind, metadata: ObjectMeta, spec: <spec_ref>, status: <status>}
json envelope(const std::string& spec_ref, json status) {
    return json{
        {"type", "object"},
        {"properties",
         {{"apiVersion", {{"type", "string"}}},
          {"kind", {{"type", "string"}}},
          {"metadata", {{"$ref", "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}},
          {"spec", {{"$ref", "#/definitions/" + spec_ref}}},
          {"status", std::move(status)}}}};
}

}  // namespace

std::string to_string(const std::vector<schema_violation>& violations) {
    std::string s;
    for (const auto& v : violations) {
        s += v.path + ": " + v.message + "\n";
    }
    return s;
}

std::vector<schema_violation> validate_value(const json& schema, const json& value,
                                             const json* definitions) {
    std::vector<schema_violation> out;
    walker(definitions, out).walk(schema, value);
    return out;
}

std::vector<schema_violation> validate_object(const object_schema& schema, const json& object) {
    std::vector<schema_violation> out;
    if (!object.is_object()) {
        out.push_back({"<root>", "must be an object, got " + type_name(object)});
        return out;
    }
    const auto api_version = object.value("apiVersion", "");
    const auto kind = object.value("kind", "");
    if (api_version != schema.api_version) {
        out.push_back({"apiVersion", "is \"" + api_version + "\", the schema (" + schema.source +
                                         ") serves \"" + schema.api_version + "\""});
    }
    if (kind != schema.kind) {
        out.push_back({"kind", "is \"" + kind + "\", the schema is for \"" + schema.kind + "\""});
    }
    check_metadata(object, out);
    walker(schema.definitions.get(), out).walk(schema.schema, object);
    return out;
}

std::vector<std::string> unhandled_keywords(const json& schema) {
    std::set<std::string> found;
    collect_unhandled(schema, found);
    return {found.begin(), found.end()};
}

json parse_yaml(std::string_view text) {
    try {
        return yaml_to_json(YAML::Load(std::string(text)));
    } catch (const YAML::Exception& e) {
        throw std::runtime_error(std::string("invalid YAML: ") + e.what());
    }
}

json load_yaml_file(const std::filesystem::path& file) {
    try {
        return parse_yaml(read_file(file));
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(file.string() + ": " + e.what());
    }
}

std::string to_yaml(const json& value) {
    YAML::Emitter out;
    out.SetIndent(2);
    out.SetSeqFormat(YAML::Block);
    emit(out, value);
    if (!out.good()) {
        throw std::runtime_error("YAML emitter: " + out.GetLastError());
    }
    return std::string(out.c_str()) + "\n";
}

object_schema load_crd_schema(const std::filesystem::path& crd_file, std::string_view version,
                              std::shared_ptr<const json> swagger_definitions) {
    const json crd = load_yaml_file(crd_file);
    const std::string what = crd_file.filename().string();
    if (crd.value("kind", "") != "CustomResourceDefinition") {
        throw std::runtime_error(what + " is not a CustomResourceDefinition");
    }
    const auto& spec = at_path(crd, {"spec"}, what);
    const auto group = at_path(spec, {"group"}, what).get<std::string>();
    const auto kind = at_path(spec, {"names", "kind"}, what).get<std::string>();
    for (const auto& v : at_path(spec, {"versions"}, what)) {
        const auto name = v.value("name", "");
        const bool wanted = version.empty() ? v.value("storage", false) : name == version;
        if (!wanted) {
            continue;
        }
        if (!v.value("served", false)) {
            throw std::runtime_error(what + ": version " + name + " is not served");
        }
        object_schema s;
        s.api_version = group + "/" + name;
        s.kind = kind;
        s.source = what + " " + name;
        s.schema = at_path(v, {"schema", "openAPIV3Schema"}, what);
        if (swagger_definitions) {
            // A CRD types the root metadata as a bare object; the API server checks it as
            // ObjectMeta, so the walker does too.
            s.schema["properties"]["metadata"] = {
                {"$ref", "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}};
            s.definitions = std::move(swagger_definitions);
        }
        return s;
    }
    throw std::runtime_error(
        what + ": no version " +
        (version.empty() ? std::string("marked storage") : std::string(version)));
}

bool shared_dir_available(const std::filesystem::path& shared) {
    return std::filesystem::exists(shared / "crds" / "kubeflow.org_pytorchjobs.yaml") &&
           std::filesystem::exists(shared / "karmada" / "crds" / "openapi" / "swagger.json");
}

schema_set::schema_set(const std::filesystem::path& shared) {
    const auto swagger_file = shared / "karmada" / "crds" / "openapi" / "swagger.json";
    json swagger = json::parse(read_file(swagger_file));
    json defs = std::move(swagger.at("definitions"));

    const auto crd_dir = shared / "crds";
    const auto karmada_dir = shared / "karmada" / "crds";
    auto plain_defs = std::make_shared<const json>(defs);

    object_schema pytorch =
        load_crd_schema(crd_dir / "kubeflow.org_pytorchjobs.yaml", "v1", plain_defs);
    // Core pieces borrowed from upstream CRDs: the PodTemplateSpec every replica spec embeds,
    // and the PVC spec inside its ephemeral volumes.
    const json& pod_template = at_path(pytorch.schema,
                                       {"properties", "spec", "properties", "pytorchReplicaSpecs",
                                        "additionalProperties", "properties", "template"},
                                       "PyTorchJob pod template");
    const json& pvc_spec =
        at_path(pod_template,
                {"properties", "spec", "properties", "volumes", "items", "properties", "ephemeral",
                 "properties", "volumeClaimTemplate", "properties", "spec"},
                "PyTorchJob ephemeral volume claim template");
    defs["broker.core.v1.PodTemplateSpec"] = pod_template;
    defs["broker.core.v1.PersistentVolumeClaimSpec"] = pvc_spec;
    json core = json::parse(core_definitions);
    for (auto& [k, v] : core.items()) {
        defs[k] = std::move(v);
    }
    auto all_defs = std::make_shared<const json>(std::move(defs));

    pytorch.definitions = all_defs;
    schemas_.push_back(std::move(pytorch));
    schemas_.push_back(load_crd_schema(crd_dir / "ray.io_rayjobs.yaml", "v1", all_defs));
    schemas_.push_back(
        load_crd_schema(crd_dir / "batch.volcano.sh_jobs.yaml", "v1alpha1", all_defs));
    schemas_.push_back(load_crd_schema(karmada_dir / "policy.karmada.io_propagationpolicies.yaml",
                                       "v1alpha1", all_defs));

    const json open_status = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    schemas_.push_back({"batch/v1", "Job", "JobSpec (hand-written) + PyTorchJob pod template",
                        envelope("broker.batch.v1.JobSpec", open_status), all_defs});
    schemas_.push_back({"apps/v1", "Deployment",
                        "DeploymentSpec (hand-written) + PyTorchJob pod template",
                        envelope("broker.apps.v1.DeploymentSpec", open_status), all_defs});
    schemas_.push_back({"v1", "Service", "ServiceSpec (hand-written) + swagger ServiceStatus",
                        envelope("broker.core.v1.ServiceSpec",
                                 {{"$ref", "#/definitions/io.k8s.api.core.v1.ServiceStatus"}}),
                        all_defs});
    schemas_.push_back({"networking.k8s.io/v1", "Ingress", "swagger.json IngressSpec",
                        envelope("io.k8s.api.networking.v1.IngressSpec",
                                 {{"$ref", "#/definitions/broker.networking.v1.IngressStatus"}}),
                        all_defs});
    schemas_.push_back({"v1", "PersistentVolumeClaim",
                        "PersistentVolumeClaimSpec from the PyTorchJob CRD's ephemeral volumes",
                        envelope("broker.core.v1.PersistentVolumeClaimSpec", open_status),
                        all_defs});
}

const object_schema* schema_set::find(std::string_view api_version, std::string_view kind) const {
    for (const auto& s : schemas_) {
        if (s.api_version == api_version && s.kind == kind) {
            return &s;
        }
    }
    return nullptr;
}

std::vector<schema_violation> schema_set::validate(const json& object) const {
    const auto api_version = object.is_object() ? object.value("apiVersion", "") : "";
    const auto kind = object.is_object() ? object.value("kind", "") : "";
    const object_schema* s = find(api_version, kind);
    if (s == nullptr) {
        return {{"<root>", "no schema for apiVersion \"" + api_version + "\" kind \"" + kind +
                               "\" (the broker does not emit this kind)"}};
    }
    return validate_object(*s, object);
}

const schema_set& broker_schemas(const std::filesystem::path& shared) {
    static const schema_set set(shared);
    return set;
}

}  // namespace test_support
