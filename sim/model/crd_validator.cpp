#include "sim/model/crd_validator.hpp"

#include "sim/model/yaml_json.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

namespace fedsim::model {

using nlohmann::json;

namespace {

std::string gvk_key(std::string_view g, std::string_view v, std::string_view k) {
    return std::string(g) + "/" + std::string(v) + "/" + std::string(k);
}

std::string type_name(const json& v) {
    if (v.is_string())
        return "string";
    if (v.is_boolean())
        return "boolean";
    if (v.is_number_integer() || v.is_number_unsigned())
        return "integer";
    if (v.is_number_float())
        return "number";
    if (v.is_array())
        return "array";
    if (v.is_object())
        return "object";
    return "null";
}

bool type_ok(const json& v, const std::string& type) {
    if (type == "object")
        return v.is_object();
    if (type == "array")
        return v.is_array();
    if (type == "string")
        return v.is_string();
    if (type == "integer") {
        if (v.is_number_integer() || v.is_number_unsigned())
            return true;
        return v.is_number_float() &&
               v.get<double>() == static_cast<double>(static_cast<std::int64_t>(v.get<double>()));
    }
    if (type == "number")
        return v.is_number();
    if (type == "boolean")
        return v.is_boolean();
    return true;
}

std::string join_path(const std::string& base, const std::string& key) {
    return base.empty() ? key : base + "." + key;
}

struct walker {
    std::vector<std::string>& unknown;
    std::vector<schema_problem>& problems;

    void add(const char* reason, std::string message, const std::string& field) {
        problems.push_back({reason, std::move(message), field});
    }

    void walk(json& value, const json& schema, const std::string& path, int depth, bool root) {
        if (depth > 64 || !schema.is_object())
            return;
        bool int_or_string = schema.value("x-kubernetes-int-or-string", false);
        bool preserve = schema.value("x-kubernetes-preserve-unknown-fields", false);
        bool embedded = schema.value("x-kubernetes-embedded-resource", false);
        std::string type = schema.value("type", "");
        if (int_or_string) {
            if (!(value.is_string() || value.is_number_integer() || value.is_number_unsigned())) {
                add("FieldValueTypeInvalid",
                    "Invalid value: \"" + type_name(value) + "\": " + path +
                        " in body must be of type integer,string: \"" + type_name(value) + "\"",
                    path);
            }
            return;
        }
        if (!type.empty() && !type_ok(value, type)) {
            add("FieldValueTypeInvalid",
                "Invalid value: \"" + type_name(value) + "\": " + path +
                    " in body must be of type " + type + ": \"" + type_name(value) + "\"",
                path);
            return;
        }
        if (auto e = schema.find("enum"); e != schema.end() && e->is_array() && !e->empty()) {
            if (std::find(e->begin(), e->end(), value) == e->end()) {
                std::string supported;
                for (std::size_t i = 0; i < e->size(); ++i) {
                    if (i)
                        supported += ", ";
                    supported += (*e)[i].dump();
                }
                add("FieldValueNotSupported",
                    "Unsupported value: " + value.dump() + ": supported values: " + supported,
                    path);
            }
        }
        if (value.is_number()) {
            double v = value.get<double>();
            if (auto m = schema.find("minimum"); m != schema.end() && m->is_number()) {
                bool excl = schema.value("exclusiveMinimum", false);
                if (excl ? !(v > m->get<double>()) : v < m->get<double>()) {
                    add("FieldValueInvalid",
                        "Invalid value: " + value.dump() + ": " + path +
                            " in body should be greater than " + (excl ? "" : "or equal to ") +
                            m->dump(),
                        path);
                }
            }
            if (auto m = schema.find("maximum"); m != schema.end() && m->is_number()) {
                bool excl = schema.value("exclusiveMaximum", false);
                if (excl ? !(v < m->get<double>()) : v > m->get<double>()) {
                    add("FieldValueInvalid",
                        "Invalid value: " + value.dump() + ": " + path +
                            " in body should be less than " + (excl ? "" : "or equal to ") +
                            m->dump(),
                        path);
                }
            }
        }
        if (value.is_string()) {
            const auto& s = value.get_ref<const std::string&>();
            if (auto m = schema.find("maxLength");
                m != schema.end() && m->is_number_integer() &&
                static_cast<std::int64_t>(s.size()) > m->get<std::int64_t>()) {
                add("FieldValueTooLong", "Too long: may not be more than " + m->dump() + " bytes",
                    path);
            }
            if (auto m = schema.find("minLength");
                m != schema.end() && m->is_number_integer() &&
                static_cast<std::int64_t>(s.size()) < m->get<std::int64_t>()) {
                add("FieldValueInvalid",
                    "Invalid value: " + value.dump() + ": " + path +
                        " in body should be at least " + m->dump() + " chars long",
                    path);
            }
            if (auto p = schema.find("pattern");
                p != schema.end() && p->is_string() && s.size() < 4096) {
                try {
                    std::regex re(p->get<std::string>(), std::regex::ECMAScript);
                    if (!std::regex_search(s, re)) {
                        add("FieldValueInvalid",
                            "Invalid value: " + value.dump() + ": " + path +
                                " in body should match '" + p->get<std::string>() + "'",
                            path);
                    }
                } catch (const std::regex_error&) {
                    // A pattern std::regex cannot compile is not checked.
                }
            }
        }
        if (value.is_array()) {
            auto n = static_cast<std::int64_t>(value.size());
            if (auto m = schema.find("minItems");
                m != schema.end() && m->is_number_integer() && n < m->get<std::int64_t>()) {
                add("FieldValueInvalid",
                    "Invalid value: " + std::to_string(n) + ": " + path +
                        " in body should have at least " + m->dump() + " items",
                    path);
            }
            if (auto m = schema.find("maxItems");
                m != schema.end() && m->is_number_integer() && n > m->get<std::int64_t>()) {
                add("FieldValueTooMany",
                    "Too many: " + std::to_string(n) + ": must have at most " + m->dump() +
                        " items",
                    path);
            }
            if (auto items = schema.find("items"); items != schema.end() && items->is_object()) {
                for (std::size_t i = 0; i < value.size(); ++i) {
                    walk(value[i], *items, path + "[" + std::to_string(i) + "]", depth + 1, false);
                }
            }
            return;
        }
        if (!value.is_object())
            return;

        const json* props = nullptr;
        if (auto p = schema.find("properties"); p != schema.end() && p->is_object())
            props = &*p;
        const json* additional = nullptr;
        bool additional_any = false;
        if (auto a = schema.find("additionalProperties"); a != schema.end()) {
            if (a->is_object())
                additional = &*a;
            else if (a->is_boolean() && a->get<bool>())
                additional_any = true;
        }
        // Structural defaults fill absent fields before validation, as the API server does.
        if (props) {
            for (const auto& [k, sub] : props->items()) {
                if (sub.is_object() && sub.contains("default") && !value.contains(k)) {
                    value[k] = sub["default"];
                }
            }
        }
        // Required fields.
        if (auto r = schema.find("required"); r != schema.end() && r->is_array()) {
            for (const auto& k : *r) {
                if (k.is_string() && (!value.contains(k.get<std::string>()) ||
                                      value[k.get<std::string>()].is_null())) {
                    add("FieldValueRequired", "Required value",
                        join_path(path, k.get<std::string>()));
                }
            }
        }
        for (auto it = value.begin(); it != value.end();) {
            const std::string key = it.key();
            std::string child = join_path(path, key);
            if ((root || embedded) && (key == "apiVersion" || key == "kind" || key == "metadata")) {
                ++it;
                continue;
            }
            const json* sub = nullptr;
            if (props) {
                auto p = props->find(key);
                if (p != props->end())
                    sub = &*p;
            }
            if (!sub && additional)
                sub = additional;
            if (!sub) {
                if (preserve || additional_any || (!props && !additional && type != "object")) {
                    ++it;
                    continue;
                }
                unknown.push_back("." + child);
                it = value.erase(it);
                continue;
            }
            if (it->is_null() && !sub->value("nullable", false)) {
                // Nulls of non-nullable fields are dropped, as the API server prunes them.
                it = value.erase(it);
                continue;
            }
            walk(*it, *sub, child, depth + 1, false);
            ++it;
        }
    }
};

}  // namespace

std::string crd_validator::load_directory(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return dir.string() + ": not a directory";
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        auto ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
            files.push_back(e.path());
    }
    if (ec)
        return dir.string() + ": " + ec.message();
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        std::ifstream in(f);
        if (!in)
            return f.string() + ": cannot be read";
        std::stringstream ss;
        ss << in.rdbuf();
        std::vector<json> docs;
        std::string err;
        if (!yaml_to_json(ss.str(), docs, err))
            return f.string() + ": " + err;
        for (const auto& d : docs) {
            if (!d.is_object() || d.value("kind", "") != "CustomResourceDefinition")
                continue;
            std::string e = add_crd(d);
            if (!e.empty())
                return f.string() + ": " + e;
        }
    }
    return "";
}

std::string crd_validator::add_crd(const json& crd) {
    if (!crd.contains("spec") || !crd["spec"].is_object())
        return "CRD without spec";
    const auto& spec = crd["spec"];
    const json names = spec.value("names", json::object());
    std::string group = spec.value("group", "");
    if (group.empty() || !names.is_object())
        return "CRD without group or names";
    const json versions = spec.value("versions", json::array());
    for (const auto& v : versions) {
        if (!v.is_object() || !v.value("served", true))
            continue;
        entry e;
        e.group = group;
        e.version = v.value("name", "");
        e.plural = names.value("plural", "");
        e.singular = names.value("singular", "");
        e.kind = names.value("kind", "");
        e.list_kind = names.value("listKind", e.kind + "List");
        e.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
        for (const char* k : {"shortNames", "categories"}) {
            if (names.contains(k) && names[k].is_array()) {
                for (const auto& s : names[k]) {
                    if (s.is_string()) {
                        (std::string_view(k) == "shortNames" ? e.short_names : e.categories)
                            .push_back(s.get<std::string>());
                    }
                }
            }
        }
        e.has_status = v.contains("subresources") && v["subresources"].is_object() &&
                       v["subresources"].contains("status");
        if (v.contains("schema") && v["schema"].is_object()) {
            e.schema = v["schema"].value("openAPIV3Schema", json::object());
        }
        e.printer_columns = v.value("additionalPrinterColumns", json::array());
        std::string key = gvk_key(e.group, e.version, e.kind);
        if (auto it = by_gvk_.find(key); it != by_gvk_.end()) {
            entries_[it->second] = std::move(e);
        } else {
            by_gvk_.emplace(key, entries_.size());
            entries_.push_back(std::move(e));
        }
    }
    return "";
}

bool crd_validator::has(std::string_view group, std::string_view version,
                        std::string_view kind) const {
    return by_gvk_.find(gvk_key(group, version, kind)) != by_gvk_.end();
}

void crd_validator::validate(std::string_view group, std::string_view version,
                             std::string_view kind, json& object,
                             std::vector<std::string>& unknown_fields,
                             std::vector<schema_problem>& problems) const {
    auto it = by_gvk_.find(gvk_key(group, version, kind));
    if (it == by_gvk_.end())
        return;
    const auto& schema = entries_[it->second].schema;
    if (!schema.is_object() || schema.empty())
        return;
    walker w{unknown_fields, problems};
    w.walk(object, schema, "", 0, true);
}

}  // namespace fedsim::model
