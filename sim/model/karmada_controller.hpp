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

#include "propagation/division/general_estimator.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
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

    /// When a deferred Cluster status refresh falls due (see update_clusters), if any.
    std::optional<time_point> next_wakeup() const;

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
        /// What `desired` was made from: the template, the binding's spec and the versions of
        /// the OverridePolicies and Cluster objects. Unchanged → `desired` is still right and
        /// the copy is not rebuilt (status writes on the template change nothing here).
        object_ptr template_basis;
        nlohmann::json spec_basis;
        std::uint64_t overrides_basis = 0;
        std::uint64_t clusters_basis = 0;
    };

    void update_clusters(time_point now);
    void sync_namespaces();
    void drain(time_point now);
    /// Everything from scratch (after the change feed lost events): every template and binding
    /// dirty, the policy index rebuilt.
    void resync_control_plane();
    /// Keeps the policy index and marks the templates a policy change can affect.
    void on_policy_event(const resource_info& r, event_type type, const object_ptr& policy);
    void index_policy(const resource_info& r, const nlohmann::json& policy);
    void unindex_policy(const std::string& policy_key);
    /// Records which policy claims a template ("" = none) for `claims_`.
    void set_claim(const resource_info& r, const std::string& template_key,
                   const std::string& policy_key);
    /// Drops a binding's applied state and its entries in `copies_`.
    void forget_applied(const std::string& binding_key);
    void reconcile_template(const resource_info& r, const std::string& ns, const std::string& name,
                            time_point now);
    std::optional<policy_ref> find_policy(const resource_info& r, const nlohmann::json& tmpl);
    void reconcile_binding(const resource_info& br, const std::string& ns, const std::string& name,
                           time_point now);
    void schedule(const resource_info& br, nlohmann::json& binding, time_point now);
    void apply_to_members(const resource_info& br, nlohmann::json& binding,
                          const object_ptr& tmpl_ptr, const resource_info& tr, time_point now);
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

    /// Control-plane kinds the controller reacts to (propagatable templates, policies,
    /// bindings, clusters, namespaces).
    std::set<const resource_info*> watched_;
    std::set<std::pair<const resource_info*, std::string>> dirty_templates_;
    std::set<std::pair<const resource_info*, std::string>> dirty_bindings_;
    std::map<std::string, std::uint64_t> member_seen_rv_;
    std::map<std::string, std::string> cluster_signature_;
    std::uint64_t clusters_version_ = 0;  ///< bumps when any Cluster object changed
    std::uint64_t placement_version_ = 0;  ///< bumps when a Cluster changed beyond its summary
    std::uint64_t overrides_version_ = 0;  ///< bumps when an OverridePolicy changed
    /// resourceVersions of the controller's own writes that need no reaction (a binding
    /// written by reconcile_binding, a template's claim or aggregated status): reconciling
    /// again would find nothing to do.
    std::set<std::uint64_t> own_writes_;
    void note_own_write(const object_ptr& before, const object_ptr& after);
    std::map<std::string, std::uint64_t> binding_clusters_version_;
    /// Bindings whose last scheduling failed: a capacity change retries them (and only them;
    /// Karmada does not reschedule a scheduled binding in steady mode).
    std::set<std::pair<const resource_info*, std::string>> unscheduled_;
    /// Cluster objects written by the status controller with only the resource summary
    /// changed (their resourceVersions): capacity changes, not placement-relevant changes.
    std::set<std::uint64_t> summary_writes_;
    std::map<std::string, bool> cluster_ok_;  ///< Ready && reachable, as last written
    /// A member's allocations are summarised onto its Cluster at most once per this period
    /// (Karmada's cluster-status controller is periodic too, every 10 s by default); readiness
    /// changes are written at once.
    static constexpr std::chrono::milliseconds summary_period{100};
    std::map<std::string, time_point> summary_written_;  ///< last capacity-driven refresh
    std::map<std::string, time_point> summary_due_;      ///< deferred refreshes
    /// Parsed capacity of each Cluster object as last seen (the object keeps it valid).
    using cached_capacity =
        std::pair<object_ptr, std::optional<propagation::division::cluster_capacity>>;
    std::map<std::string, cached_capacity> capacity_cache_;
    nlohmann::json api_enablements_;  ///< served group-versions (computed once)
    /// Policy index. Policy keys are "<plural>|<ns>/<name>". PropagationPolicies whose every
    /// selector names its object are found by (kind, namespace, name); the rest (label or
    /// kind-only selectors, and all ClusterPropagationPolicies) by kind.
    std::map<std::string, std::set<std::string>> policies_by_name_;
    std::map<const resource_info*, std::set<std::string>> policies_by_kind_;
    std::map<std::string, std::vector<std::string>> policy_entries_;  ///< policy → index keys
    /// Which policy claims each template ("<plural>|<ns>/<name>" of the template → policy key)
    /// and the reverse, so a policy change or deletion revisits only its own templates.
    std::map<std::pair<const resource_info*, std::string>, std::string> claimed_by_;
    std::map<std::string, std::set<std::pair<const resource_info*, std::string>>> claims_;
    /// Member copies: "<cluster>|<resource>|<ns>/<name>" → binding key, so a member change
    /// revisits only the binding whose copy changed.
    std::unordered_map<std::string, std::string> copies_;
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
