#pragma once
/// Karmada's control-plane behaviour over the control plane's object_store (karmada/SPEC.md
/// §a, §c, §e): the cluster-status controller (Cluster objects follow the members), namespace
/// propagation, the resource detector (PropagationPolicy / ClusterPropagationPolicy claims with
/// Karmada's priority rules), the scheduler (filters, estimator, propagation::division), the
/// binding controller (member copies with revised replicas and OverridePolicies applied) and
/// status aggregation onto the binding and the resource template. Also the policy webhooks
/// (defaults, permanent ids, 403 denials).
///
/// Thread safety: none (driven by `federation` on one strand).

#include "sim/model/api_error.hpp"
#include "sim/model/member_cluster.hpp"
#include "sim/model/object_store.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fedsim::model {

struct fault_state;

class karmada_controller {
public:
    /// `members` and `faults` (keyed by cluster name) must outlive the controller.
    karmada_controller(object_store& control_plane, const resource_registry& registry,
                       std::vector<member_cluster*> members,
                       const std::map<std::string, fault_state, std::less<>>& faults,
                       std::string kubernetes_version);

    /// Creates the Cluster objects and Karmada's namespaces (at startup).
    void bootstrap(time_point now);

    /// One reconciliation pass. Returns true when it changed anything (the caller repeats until
    /// quiet).
    bool advance(time_point now);

    /// The policy admission webhooks (installed as the control plane's admission hook).
    std::optional<api_error> admit(const resource_info& resource, nlohmann::json& object,
                                   const nlohmann::json* old_object);

private:
    struct policy_ref {
        const resource_info* resource = nullptr;
        object_ptr object;
        int match = 0;  ///< 3 name, 2 labelSelector, 1 kind only
    };
    struct applied_state {
        nlohmann::json desired;  ///< the last copy applied to the member
        std::string error;       ///< why applying failed ("" = applied)
    };

    void update_clusters(time_point now);
    void sync_namespaces();
    void drain(time_point now);
    void reconcile_template(const resource_info& r, const std::string& ns, const std::string& name,
                            time_point now);
    std::optional<policy_ref> find_policy(const resource_info& r, const nlohmann::json& tmpl);
    void reconcile_binding(const resource_info& br, const std::string& ns, const std::string& name,
                           time_point now);
    void schedule(const resource_info& br, nlohmann::json& binding, time_point now);
    void apply_to_members(const resource_info& br, nlohmann::json& binding,
                          const nlohmann::json& tmpl, const resource_info& tr, time_point now);
    void aggregate(const resource_info& br, nlohmann::json& binding, const nlohmann::json& tmpl,
                   const resource_info& tr, time_point now);
    void remove_copies(const std::string& binding_key, const resource_info& tr,
                       const std::string& ns, const std::string& name,
                       const std::set<std::string>& keep);
    bool cluster_reachable(const std::string& name) const;
    member_cluster* member(const std::string& name) const;
    nlohmann::json member_copy(const resource_info& tr, const nlohmann::json& tmpl,
                               const nlohmann::json& binding, const std::string& cluster,
                               std::int64_t replicas);
    void write_template_status(const resource_info& tr, const nlohmann::json& tmpl,
                               const nlohmann::json& binding);

    object_store& cp_;
    const resource_registry& registry_;
    std::vector<member_cluster*> members_;
    const std::map<std::string, fault_state, std::less<>>& faults_;
    std::string kubernetes_version_;

    std::vector<std::pair<const resource_info*, watch_cursor>> cursors_;
    std::set<std::pair<const resource_info*, std::string>> dirty_templates_;
    std::set<std::pair<const resource_info*, std::string>> dirty_bindings_;
    std::map<std::string, std::uint64_t> member_seen_rv_;
    std::map<std::string, std::string> cluster_signature_;
    std::uint64_t clusters_version_ = 0;  ///< bumps when any Cluster object changed
    std::map<std::string, std::uint64_t> binding_clusters_version_;
    /// binding key ("group/plural/ns/name") → cluster → what was applied there.
    std::map<std::string, std::map<std::string, applied_state>> applied_;
    std::set<std::string> propagated_namespaces_;
    std::uint64_t seen_cp_rv_ = 0;

    const resource_info* clusters_res_ = nullptr;
    const resource_info* rb_res_ = nullptr;
    const resource_info* crb_res_ = nullptr;
    const resource_info* pp_res_ = nullptr;
    const resource_info* cpp_res_ = nullptr;
    const resource_info* op_res_ = nullptr;
    const resource_info* ns_res_ = nullptr;
};

}  // namespace fedsim::model
