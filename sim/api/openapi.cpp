#include "sim/api/openapi.hpp"

#include <cstdio>
#include <functional>
#include <vector>

namespace fedsim::api {

namespace {

using nlohmann::json;

std::string gv_path(std::string_view group, std::string_view version)
{
    return group.empty() ? "api/" + std::string(version)
                         : "apis/" + std::string(group) + "/" + std::string(version);
}

/// "io.k8s.api.batch.v1.Job"-like component names; reversed-domain for named groups.
std::string schema_name(const model::resource_info& r)
{
    std::vector<std::string> parts;
    std::string g = r.group.empty() ? "core" : r.group;
    std::size_t pos = 0;
    while (pos <= g.size()) {
        auto dot = g.find('.', pos);
        if (dot == std::string::npos) {
            dot = g.size();
        }
        parts.push_back(g.substr(pos, dot - pos));
        pos = dot + 1;
    }
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        out += *it + ".";
    }
    return out + r.version + "." + r.kind;
}

json operation(const model::resource_info& r, std::string_view action, bool writes)
{
    json op = {{"x-kubernetes-group-version-kind",
                {{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
               {"x-kubernetes-action", std::string(action)},
               {"responses", {{"200", {{"description", "OK"}}}}}};
    json params = json::array();
    if (writes) {
        params.push_back({{"name", "fieldValidation"},
                          {"in", "query"},
                          {"description", "Strict, Warn or Ignore"},
                          {"schema", {{"type", "string"}}}});
        params.push_back(
            {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}});
        params.push_back({{"name", "dryRun"}, {"in", "query"}, {"schema", {{"type", "string"}}}});
    }
    op["parameters"] = params;
    if (r.schema || writes) {
        json content = {{"$ref", "#/components/schemas/" + schema_name(r)}};
        op["responses"]["200"]["content"] = {{"application/json", {{"schema", content}}}};
    }
    return op;
}

} // namespace

json openapi_v3_root(const model::resource_registry& registry, api_surface surface,
                     std::string_view prefix)
{
    json paths = json::object();
    for (const auto& g : registry.groups()) {
        for (const auto& v : registry.versions(g)) {
            bool any = false;
            std::size_t h = 0;
            for (const auto* r : registry.resources(g, v)) {
                if (serves(surface, *r)) {
                    any = true;
                    h = h * 31 + std::hash<std::string>{}(r->plural);
                    h = h * 31 + (r->schema ? std::hash<std::string>{}(r->schema->dump()) : 0);
                }
            }
            if (!any) {
                continue;
            }
            char hash[32];
            std::snprintf(hash, sizeof hash, "%016zX", h);
            auto p = gv_path(g, v);
            paths[p] = {{"serverRelativeURL", std::string(prefix) + "/openapi/v3/" + p +
                                                  "?hash=" + hash}};
        }
    }
    return {{"paths", paths}};
}

json openapi_v3_group_version(const model::resource_registry& registry, api_surface surface,
                              std::string_view group, std::string_view version)
{
    json paths = json::object();
    json schemas = json::object();
    bool any = false;
    std::string base = "/" + gv_path(group, version);
    for (const auto* r : registry.resources(group, version)) {
        if (!serves(surface, *r)) {
            continue;
        }
        any = true;
        std::string collection = r->namespaced
                                     ? base + "/namespaces/{namespace}/" + r->plural
                                     : base + "/" + r->plural;
        json name_param = {{"name", "name"}, {"in", "path"}, {"required", true},
                           {"schema", {{"type", "string"}}}};
        json ns_param = {{"name", "namespace"}, {"in", "path"}, {"required", true},
                         {"schema", {{"type", "string"}}}};
        json item_params = json::array({name_param});
        json coll_params = json::array();
        if (r->namespaced) {
            item_params.push_back(ns_param);
            coll_params.push_back(ns_param);
        }
        paths[collection] = {{"get", operation(*r, "list", false)},
                             {"post", operation(*r, "post", true)},
                             {"parameters", coll_params}};
        paths[collection + "/{name}"] = {{"get", operation(*r, "get", false)},
                                         {"put", operation(*r, "put", true)},
                                         {"patch", operation(*r, "patch", true)},
                                         {"delete", operation(*r, "delete", false)},
                                         {"parameters", item_params}};
        if (r->namespaced) {
            paths[base + "/" + r->plural] = {{"get", operation(*r, "list", false)}};
        }
        json schema = r->schema ? *r->schema
                                : json{{"type", "object"},
                                       {"x-kubernetes-preserve-unknown-fields", true}};
        schema["x-kubernetes-group-version-kind"] =
            json::array({{{"group", r->group}, {"version", r->version}, {"kind", r->kind}}});
        schemas[schema_name(*r)] = std::move(schema);
    }
    if (!any) {
        return nullptr;
    }
    return {{"openapi", "3.0.0"},
            {"info", {{"title", "Kubernetes"}, {"version", "v1.32.4"}}},
            {"paths", paths},
            {"components", {{"schemas", schemas}}}};
}

} // namespace fedsim::api
