#include "sim/model/resource_registry.hpp"

#include <algorithm>

namespace fedsim::model {

std::string resource_info::api_version() const {
    return group.empty() ? version : group + "/" + version;
}

std::string resource_info::qualified_plural() const {
    return group.empty() ? plural : plural + "." + group;
}

std::string resource_info::qualified_kind() const {
    return group.empty() ? kind : kind + "." + group;
}

namespace {

const std::vector<std::string> all_verbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

struct spec {
    const char* group;
    const char* version;
    const char* plural;
    const char* singular;
    const char* kind;
    bool namespaced;
    std::vector<std::string> short_names;
    std::vector<std::string> categories;
    std::vector<std::string> subresources;
    bool return_deleted = false;
    bool crd = false;
    bool control_plane_only = false;
};

resource_info make(const spec& s) {
    resource_info r;
    r.group = s.group;
    r.version = s.version;
    r.plural = s.plural;
    r.singular = s.singular;
    r.kind = s.kind;
    r.list_kind = r.kind + "List";
    r.namespaced = s.namespaced;
    r.short_names = s.short_names;
    r.categories = s.categories;
    r.subresources = s.subresources;
    r.verbs = all_verbs;
    r.has_status =
        std::find(s.subresources.begin(), s.subresources.end(), "status") != s.subresources.end();
    r.return_deleted_object = s.return_deleted;
    r.crd = s.crd;
    r.control_plane_only = s.control_plane_only;
    return r;
}

}  // namespace

resource_registry resource_registry::builtin() {
    resource_registry reg;
    const std::vector<spec> table = {
        // core/v1
        {"", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, {}, {}},
        {"", "v1", "events", "event", "Event", true, {"ev"}, {}, {}},
        {"", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, {}, {"status"}, true},
        {"", "v1", "nodes", "node", "Node", false, {"no"}, {}, {"status"}, true},
        {"",
         "v1",
         "persistentvolumeclaims",
         "persistentvolumeclaim",
         "PersistentVolumeClaim",
         true,
         {"pvc"},
         {},
         {"status"},
         true},
        {"", "v1", "pods", "pod", "Pod", true, {"po"}, {"all"}, {"log", "status"}, true},
        {"", "v1", "secrets", "secret", "Secret", true, {}, {}, {}},
        {"", "v1", "services", "service", "Service", true, {"svc"}, {"all"}, {"status"}, true},
        // apps/v1
        {"apps",
         "v1",
         "deployments",
         "deployment",
         "Deployment",
         true,
         {"deploy"},
         {"all"},
         {"scale", "status"}},
        // batch/v1
        {"batch", "v1", "jobs", "job", "Job", true, {}, {"all"}, {"status"}},
        // networking.k8s.io/v1
        {"networking.k8s.io",
         "v1",
         "ingresses",
         "ingress",
         "Ingress",
         true,
         {"ing"},
         {},
         {"status"}},
        // ray.io/v1
        {"ray.io",
         "v1",
         "rayclusters",
         "raycluster",
         "RayCluster",
         true,
         {},
         {"all"},
         {"status"},
         false,
         true},
        {"ray.io", "v1", "rayjobs", "rayjob", "RayJob", true, {}, {"all"}, {"status"}, false, true},
        // kubeflow.org/v1
        {"kubeflow.org",
         "v1",
         "notebooks",
         "notebook",
         "Notebook",
         true,
         {},
         {},
         {"status"},
         false,
         true},
        {"kubeflow.org",
         "v1",
         "pytorchjobs",
         "pytorchjob",
         "PyTorchJob",
         true,
         {},
         {},
         {"status"},
         false,
         true},
        // batch.volcano.sh/v1alpha1
        {"batch.volcano.sh",
         "v1alpha1",
         "jobs",
         "job",
         "Job",
         true,
         {"vcjob", "vj"},
         {},
         {"status"},
         false,
         true},
        // policy.karmada.io/v1alpha1 (no status subresource in the CRDs)
        {"policy.karmada.io",
         "v1alpha1",
         "clusterpropagationpolicies",
         "clusterpropagationpolicy",
         "ClusterPropagationPolicy",
         false,
         {"cpp"},
         {"karmada-io"},
         {},
         false,
         true,
         true},
        {"policy.karmada.io",
         "v1alpha1",
         "overridepolicies",
         "overridepolicy",
         "OverridePolicy",
         true,
         {"op"},
         {"karmada-io"},
         {},
         false,
         true,
         true},
        {"policy.karmada.io",
         "v1alpha1",
         "propagationpolicies",
         "propagationpolicy",
         "PropagationPolicy",
         true,
         {"pp"},
         {"karmada-io"},
         {},
         false,
         true,
         true},
        // work.karmada.io/v1alpha2
        {"work.karmada.io",
         "v1alpha2",
         "clusterresourcebindings",
         "clusterresourcebinding",
         "ClusterResourceBinding",
         false,
         {"crb"},
         {"karmada-io"},
         {"status"},
         false,
         true,
         true},
        {"work.karmada.io",
         "v1alpha2",
         "resourcebindings",
         "resourcebinding",
         "ResourceBinding",
         true,
         {"rb"},
         {"karmada-io"},
         {"status"},
         false,
         true,
         true},
        // cluster.karmada.io/v1alpha1 (aggregated API, not a CRD)
        {"cluster.karmada.io",
         "v1alpha1",
         "clusters",
         "cluster",
         "Cluster",
         false,
         {},
         {},
         {"proxy", "status"},
         true,
         false,
         true},
    };
    for (const auto& s : table)
        reg.add(make(s));

    // Namespaces cannot be deleted as a collection; pods/log is get-only (subresource).
    if (auto* ns = reg.find_mutable("", "v1", "namespaces")) {
        ns->verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
    }
    // Jobs in batch/v1 keep the pre-GC default: deleting without propagationPolicy orphans pods.
    if (auto* job = reg.find_mutable("batch", "v1", "jobs"))
        job->orphan_by_default = true;
    return reg;
}

const resource_info* resource_registry::find(std::string_view group, std::string_view version,
                                             std::string_view plural) const {
    for (const auto& e : entries_) {
        if (e.plural == plural && e.version == version && e.group == group)
            return &e;
    }
    return nullptr;
}

const resource_info* resource_registry::find_kind(std::string_view api_version,
                                                  std::string_view kind) const {
    std::string_view group;
    std::string_view version = api_version;
    if (auto slash = api_version.find('/'); slash != std::string_view::npos) {
        group = api_version.substr(0, slash);
        version = api_version.substr(slash + 1);
    }
    for (const auto& e : entries_) {
        if (e.kind == kind && e.version == version && e.group == group)
            return &e;
    }
    return nullptr;
}

std::vector<std::string> resource_registry::groups() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) {
        if (std::find(out.begin(), out.end(), e.group) == out.end())
            out.push_back(e.group);
    }
    return out;
}

std::vector<std::string> resource_registry::versions(std::string_view group) const {
    std::vector<std::string> out;
    for (const auto& e : entries_) {
        if (e.group == group && std::find(out.begin(), out.end(), e.version) == out.end()) {
            out.push_back(e.version);
        }
    }
    return out;
}

std::vector<const resource_info*> resource_registry::resources(std::string_view group,
                                                               std::string_view version) const {
    std::vector<const resource_info*> out;
    for (const auto& e : entries_) {
        if (e.group == group && e.version == version)
            out.push_back(&e);
    }
    return out;
}

const resource_info& resource_registry::add(resource_info info) {
    if (auto* existing = find_mutable(info.group, info.version, info.plural)) {
        *existing = std::move(info);
        return *existing;
    }
    entries_.push_back(std::move(info));
    return entries_.back();
}

resource_info* resource_registry::find_mutable(std::string_view group, std::string_view version,
                                               std::string_view plural) {
    for (auto& e : entries_) {
        if (e.plural == plural && e.version == version && e.group == group)
            return &e;
    }
    return nullptr;
}

}  // namespace fedsim::model
