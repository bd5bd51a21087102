#include "proxy/resource_kinds.hpp"

#include <algorithm>
#include <cctype>

namespace proxy {

namespace {

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool rfc1123(std::string_view s, std::size_t max, bool allow_dots)
{
    if (s.empty() || s.size() > max || !alnum_lower(s.front()) || !alnum_lower(s.back())) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [allow_dots](char c) {
        return alnum_lower(c) || c == '-' || (allow_dots && c == '.');
    });
}

}  // namespace

std::string resource_kind::group_version() const
{
    return group.empty() ? version : group + "/" + version;
}

std::string resource_kind::collection_path(std::string_view ns) const
{
    std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    if (namespaced && !ns.empty()) {
        path += "/namespaces/";
        path += ns;
    }
    path += "/";
    path += plural;
    return path;
}

const std::vector<resource_kind>& allowed_kinds()
{
    static const std::vector<resource_kind> kinds = {
        {"", "v1", "pods", "pod", "Pod", true, {"po"}},
        {"", "v1", "nodes", "node", "Node", false, {"no"}},
        {"", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}},
        {"", "v1", "events", "event", "Event", true, {"ev"}},
        {"", "v1", "services", "service", "Service", true, {"svc"}},
        {"apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}},
        {"batch", "v1", "jobs", "job", "Job", true, {}},
        {"kubeflow.org", "v1", "pytorchjobs", "pytorchjob", "PyTorchJob", true, {}},
        {"kubeflow.org", "v1", "notebooks", "notebook", "Notebook", true, {}},
        {"ray.io", "v1", "rayjobs", "rayjob", "RayJob", true, {}},
        {"batch.volcano.sh", "v1alpha1", "jobs", "job", "Job", true, {"vcjob", "vj"}},
    };
    return kinds;
}

std::optional<resource_kind> find_kind(std::string_view name)
{
    if (name.empty() || name.size() > 128) {
        return std::nullopt;
    }
    if (iequals(name, "vcjobs")) {
        name = "vcjob";
    }
    // Plain names resolve in table order, so "jobs" is batch/v1 before Volcano's.
    for (const auto& k : allowed_kinds()) {
        if (iequals(name, k.plural) || iequals(name, k.singular) || iequals(name, k.kind)) {
            return k;
        }
        for (const auto& s : k.short_names) {
            if (iequals(name, s)) {
                return k;
            }
        }
    }
    for (const auto& k : allowed_kinds()) {
        if (!k.group.empty() && (iequals(name, k.plural + "." + k.group) ||
                                 iequals(name, k.singular + "." + k.group) ||
                                 iequals(name, k.kind + "." + k.group))) {
            return k;
        }
    }
    return std::nullopt;
}

std::optional<resource_kind> find_kind(std::string_view group, std::string_view version,
                                       std::string_view plural)
{
    for (const auto& k : allowed_kinds()) {
        if (k.group == group && k.version == version && k.plural == plural) {
            return k;
        }
    }
    return std::nullopt;
}

bool valid_namespace(std::string_view ns)
{
    return rfc1123(ns, 63, false);
}

bool valid_object_name(std::string_view name)
{
    return rfc1123(name, 253, true);
}

bool valid_cluster_name(std::string_view name)
{
    return rfc1123(name, 253, true);
}

std::string cluster_proxy_path(std::string_view cluster, std::string_view member_path)
{
    std::string path = "/apis/cluster.karmada.io/v1alpha1/clusters/";
    path += cluster;
    path += "/proxy";
    path += member_path;
    return path;
}

}  // namespace proxy
