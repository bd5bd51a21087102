#pragma once
/// Every kind fedsim serves, with what discovery (legacy and aggregated v2), OpenAPI stubs,
/// Status messages and the storage need to know about it.
///
/// Thread safety: built once at startup (and extended by `federation::load_crds` before
/// serving starts); read-only afterwards, so concurrent reads are safe.

#include <nlohmann/json.hpp>

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fedsim::model {

/// An additionalPrinterColumn (from the CRD) for Table output.
struct printer_column {
    std::string name;
    std::string type;  ///< string, integer, number, boolean, date
    std::string format;
    std::string description;
    std::string json_path;  ///< ".status.phase"
    int priority = 0;
};

struct resource_info {
    std::string group;      ///< "" for core
    std::string version;    ///< "v1", "v1alpha1"
    std::string plural;     ///< "jobs"
    std::string singular;   ///< "job"
    std::string kind;       ///< "Job"
    std::string list_kind;  ///< "JobList"
    bool namespaced = true;
    std::vector<std::string> short_names;
    std::vector<std::string> verbs;  ///< get list watch create update patch delete deletecollection
    std::vector<std::string> categories;    ///< "all"
    std::vector<std::string> subresources;  ///< "status", "log", "scale"
    bool has_status = false;  ///< status subresource: main-resource writes ignore .status
    bool return_deleted_object = false;   ///< DELETE answers with the object, not Status Success
    bool orphan_by_default = false;       ///< DELETE without propagationPolicy orphans dependants
    bool crd = false;                     ///< served from a CRD (items carry kind/apiVersion)
    bool control_plane_only = false;      ///< Karmada's own kinds: not in member apiEnablements
    std::vector<printer_column> columns;  ///< CRD additionalPrinterColumns (empty: built-in)
    std::shared_ptr<const nlohmann::json> schema;  ///< openAPIV3Schema once loaded, else null

    /// "v1" for core, "batch/v1" otherwise.
    std::string api_version() const;
    /// "pods" for core, "jobs.batch" otherwise: how Status messages name the resource.
    std::string qualified_plural() const;
    /// "Job.batch" / "Pod": how Invalid messages name the kind.
    std::string qualified_kind() const;
};

/// The table of served resources (about twenty entries, so lookups scan). Pointers returned stay
/// valid for the registry's lifetime (entries are never removed or moved).
class resource_registry {
public:
    /// The built-in table: core v1, apps/v1, batch/v1, networking.k8s.io/v1, ray.io/v1,
    /// kubeflow.org/v1, batch.volcano.sh/v1alpha1, policy.karmada.io/v1alpha1,
    /// work.karmada.io/v1alpha2, cluster.karmada.io/v1alpha1.
    static resource_registry builtin();

    /// By path components: ("batch", "v1", "jobs"). Null when not served.
    const resource_info* find(std::string_view group, std::string_view version,
                              std::string_view plural) const;
    /// By object type: ("batch/v1", "Job"). Null when not served.
    const resource_info* find_kind(std::string_view api_version, std::string_view kind) const;
    /// Every entry, grouped by group then version, in registration order.
    const std::deque<resource_info>& all() const { return entries_; }

    /// Group names in discovery order ("" first for core), and each group's versions (preferred
    /// first).
    std::vector<std::string> groups() const;
    std::vector<std::string> versions(std::string_view group) const;
    /// Entries of one group-version.
    std::vector<const resource_info*> resources(std::string_view group,
                                                std::string_view version) const;

    /// Adds or replaces an entry (replacing keeps the address stable).
    const resource_info& add(resource_info info);
    /// Mutable access for CRD loading (schema, columns). Null when not served.
    resource_info* find_mutable(std::string_view group, std::string_view version,
                                std::string_view plural);

private:
    std::deque<resource_info> entries_;
};

}  // namespace fedsim::model
