#include "sim/api/discovery.hpp"

namespace fedsim::api {

namespace {

using nlohmann::json;

std::vector<std::string> served_groups(const model::resource_registry& registry,
                                       api_surface surface, bool legacy)
{
    std::vector<std::string> out;
    for (const auto& g : registry.groups()) {
        if (g.empty() != legacy) {
            continue;
        }
        bool any = false;
        for (const auto& v : registry.versions(g)) {
            for (const auto* r : registry.resources(g, v)) {
                any = any || serves(surface, *r);
            }
        }
        if (any) {
            out.push_back(g);
        }
    }
    return out;
}

std::vector<std::string> served_versions(const model::resource_registry& registry,
                                         api_surface surface, std::string_view group)
{
    std::vector<std::string> out;
    for (const auto& v : registry.versions(group)) {
        for (const auto* r : registry.resources(group, v)) {
            if (serves(surface, *r)) {
                out.push_back(v);
                break;
            }
        }
    }
    return out;
}

json group_json(const model::resource_registry& registry, api_surface surface,
                const std::string& group)
{
    json versions = json::array();
    for (const auto& v : served_versions(registry, surface, group)) {
        versions.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
    }
    json g = {{"name", group}, {"versions", versions}};
    if (!versions.empty()) {
        g["preferredVersion"] = versions[0];
    }
    return g;
}

std::vector<std::string> subresource_verbs(const std::string& sub)
{
    if (sub == "log") {
        return {"get"};
    }
    if (sub == "status" || sub == "scale") {
        return {"get", "patch", "update"};
    }
    return {"get"};
}

} // namespace

bool serves(api_surface surface, const model::resource_info& resource)
{
    return surface == api_surface::control_plane || !resource.control_plane_only;
}

json version_info(std::string_view git_version)
{
    std::string v(git_version);
    std::string major = "1";
    std::string minor = "32";
    std::string digits = v.substr(v.rfind('v', 0) == 0 ? 1 : 0);
    auto dot = digits.find('.');
    if (dot != std::string::npos) {
        major = digits.substr(0, dot);
        auto dot2 = digits.find('.', dot + 1);
        minor = digits.substr(dot + 1, dot2 == std::string::npos ? std::string::npos
                                                                 : dot2 - dot - 1);
    }
    return {{"major", major},
            {"minor", minor},
            {"gitVersion", v},
            {"gitCommit", "0000000000000000000000000000000000000000"},
            {"gitTreeState", "clean"},
            {"buildDate", "2026-01-01T00:00:00Z"},
            {"goVersion", "go1.23.0"},
            {"compiler", "gc"},
            {"platform", "linux/amd64"}};
}

json api_versions(std::string_view server_address)
{
    return {{"kind", "APIVersions"},
            {"versions", {"v1"}},
            {"serverAddressByClientCIDRs",
             {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", std::string(server_address)}}}}};
}

json api_group_list(const model::resource_registry& registry, api_surface surface)
{
    json groups = json::array();
    for (const auto& g : served_groups(registry, surface, false)) {
        groups.push_back(group_json(registry, surface, g));
    }
    return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

json api_group(const model::resource_registry& registry, api_surface surface,
               std::string_view group)
{
    for (const auto& g : served_groups(registry, surface, false)) {
        if (g == group) {
            auto out = group_json(registry, surface, g);
            out["kind"] = "APIGroup";
            out["apiVersion"] = "v1";
            return out;
        }
    }
    return nullptr;
}

json api_resource_list(const model::resource_registry& registry, api_surface surface,
                       std::string_view group, std::string_view version)
{
    json resources = json::array();
    for (const auto* r : registry.resources(group, version)) {
        if (!serves(surface, *r)) {
            continue;
        }
        json e = {{"name", r->plural},
                  {"singularName", r->singular},
                  {"namespaced", r->namespaced},
                  {"kind", r->kind},
                  {"verbs", r->verbs}};
        if (!r->short_names.empty()) {
            e["shortNames"] = r->short_names;
        }
        if (!r->categories.empty()) {
            e["categories"] = r->categories;
        }
        resources.push_back(std::move(e));
        for (const auto& sub : r->subresources) {
            resources.push_back({{"name", r->plural + "/" + sub},
                                 {"singularName", ""},
                                 {"namespaced", r->namespaced},
                                 {"kind", sub == "log" ? "Pod" : r->kind},
                                 {"verbs", subresource_verbs(sub)}});
        }
    }
    if (resources.empty()) {
        return nullptr;
    }
    std::string gv = group.empty() ? std::string(version)
                                   : std::string(group) + "/" + std::string(version);
    return {{"kind", "APIResourceList"},
            {"apiVersion", "v1"},
            {"groupVersion", gv},
            {"resources", resources}};
}

json aggregated_discovery(const model::resource_registry& registry, api_surface surface,
                          bool legacy)
{
    json items = json::array();
    for (const auto& g : served_groups(registry, surface, legacy)) {
        json versions = json::array();
        for (const auto& v : served_versions(registry, surface, g)) {
            json resources = json::array();
            for (const auto* r : registry.resources(g, v)) {
                if (!serves(surface, *r)) {
                    continue;
                }
                json kind = {{"group", g}, {"version", v}, {"kind", r->kind}};
                json e = {{"resource", r->plural},
                          {"responseKind", kind},
                          {"scope", r->namespaced ? "Namespaced" : "Cluster"},
                          {"singularResource", r->singular},
                          {"verbs", r->verbs}};
                if (!r->short_names.empty()) {
                    e["shortNames"] = r->short_names;
                }
                if (!r->categories.empty()) {
                    e["categories"] = r->categories;
                }
                if (!r->subresources.empty()) {
                    json subs = json::array();
                    for (const auto& sub : r->subresources) {
                        subs.push_back({{"subresource", sub},
                                        {"responseKind", kind},
                                        {"verbs", subresource_verbs(sub)}});
                    }
                    e["subresources"] = subs;
                }
                resources.push_back(std::move(e));
            }
            versions.push_back({{"version", v}, {"resources", resources}, {"freshness", "Current"}});
        }
        items.push_back({{"metadata", {{"name", g}, {"creationTimestamp", nullptr}}},
                         {"versions", versions}});
    }
    return {{"kind", "APIGroupDiscoveryList"},
            {"apiVersion", "apidiscovery.k8s.io/v2"},
            {"metadata", json::object()},
            {"items", items}};
}

bool wants_aggregated_discovery(std::string_view accept)
{
    // kubectl lists "...;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" first; we serve
    // only v2, so a v2beta1-only Accept falls back to legacy discovery.
    auto pos = accept.find("g=apidiscovery.k8s.io");
    while (pos != std::string_view::npos) {
        auto end = accept.find(',', pos);
        auto part = accept.substr(pos, end == std::string_view::npos ? std::string_view::npos
                                                                     : end - pos);
        if (part.find("v=v2;") != std::string_view::npos &&
            part.find("as=APIGroupDiscoveryList") != std::string_view::npos) {
            return true;
        }
        pos = accept.find("g=apidiscovery.k8s.io", pos + 1);
    }
    return false;
}

} // namespace fedsim::api
