#pragma once
/// One simulated member cluster: its API server storage plus what runs inside a real cluster —
/// the workload controllers (Job, Deployment, PyTorchJob, RayJob/RayCluster, Volcano Job,
/// Notebook) that create pods, a kube-scheduler that bin-packs pods onto nodes by their
/// requests (Pending + FailedScheduling when nothing fits), and kubelets that start pods, run
/// them for the configured time and end them with a deterministic outcome. Everything reacts to
/// the store's event log, so objects written through the cluster proxy behave like objects
/// written by Karmada.
///
/// Test hooks on pods (or pod templates): annotation `fedsim.io/run-seconds` overrides the run
/// time, `fedsim.io/outcome: fail|succeed` forces the result.
///
/// Thread safety: none (owned and driven by `federation` on one strand).

#include "sim/model/federation_config.hpp"
#include "sim/model/object_store.hpp"
#include "sim/model/pod_resources.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace fedsim::model {

struct log_options;
struct log_chunk;

/// What Karmada's cluster-status controller reads from a member.
struct member_summary {
    std::int64_t nodes_total = 0;
    std::int64_t nodes_ready = 0;
    resource_amounts allocatable;
    std::int64_t pods_allocatable = 0;
    resource_amounts allocated;
    std::int64_t pods_allocated = 0;
    resource_amounts allocating;
    std::int64_t pods_allocating = 0;
};

class member_cluster {
public:
    member_cluster(const resource_registry& registry, cluster_config config, std::uint64_t seed,
                   double time_scale, std::size_t history, bool pod_events, time_point start);
    ~member_cluster();
    member_cluster(const member_cluster&) = delete;
    member_cluster& operator=(const member_cluster&) = delete;

    const cluster_config& config() const { return config_; }
    const std::string& name() const { return config_.name; }
    object_store& store() { return store_; }
    const object_store& store() const { return store_; }

    /// Runs controllers, scheduler and kubelets up to `now`. Returns true if anything changed.
    bool advance(time_point now);
    /// Earliest time at which `advance` has timed work (a pod starting or ending...).
    std::optional<time_point> next_wakeup() const;

    member_summary summary() const;
    /// Changes whenever what `summary` and `allocatable_modelings` report may have changed
    /// (a pod bound, released, queued or dropped): the cluster-status controller refreshes the
    /// Cluster object only then, not on every pod status write.
    std::uint64_t capacity_version() const { return capacity_version_; }
    /// `allocatableModelings` for `spec.resourceModels` (Karmada's counting, including the
    /// quirk that counting stops at the first node whose pod slots are full).
    nlohmann::json allocatable_modelings(const nlohmann::json& resource_models) const;

    /// Pod logs (see federation::pod_log).
    api_result<log_chunk> pod_log(std::string_view namespace_, std::string_view pod,
                                  const log_options& options) const;

private:
    struct node_state {
        std::string name;
        std::string ip;  ///< status.addresses[0] (InternalIP), the pods' hostIP
        resource_amounts allocatable;
        std::int64_t pods_allocatable = 0;
        resource_amounts used;
        std::int64_t pods_used = 0;
    };
    enum class pod_phase { pending, creating, running, succeeded, failed };
    struct pod_state {
        std::string ns, name, uid;
        resource_amounts requests;
        int node = -1;
        pod_phase phase = pod_phase::pending;
        bool run_to_completion = true;
        bool will_fail = false;
        double run_seconds = 0;
        time_point created{}, scheduled{}, started{}, finished{};
        std::string owner;  ///< "<apiVersion>/<Kind>/<ns>/<name>" of the controller
        std::vector<std::string> containers;
        bool unschedulable_reported = false;
        std::uint64_t sequence = 0;  ///< creation order (scheduling queue order)
    };

    void create_nodes(time_point start);
    void drain_events();
    void track_pod(const nlohmann::json& pod);
    void release(pod_state& p);
    void forget_pod(const std::string& key);
    bool run_timers(time_point now);
    bool schedule_pending(time_point now);
    void reconcile_workloads(time_point now);
    void reconcile(const resource_info& r, const std::string& ns, const std::string& name,
                   time_point now);
    void set_pod_status(pod_state& p, time_point now);
    void record_event(const nlohmann::json& involved, const std::string& type,
                      const std::string& reason, const std::string& message,
                      const std::string& component, time_point now);
    std::string create_pod(const resource_info& owner_res, const nlohmann::json& owner,
                           const nlohmann::json& pod_template, const std::string& name,
                           const std::string& generate_name,
                           const std::map<std::string, std::string>& labels,
                           const std::map<std::string, std::string>& annotations,
                           const std::string& restart_policy, time_point now);
    void delete_pod(const std::string& key);
    std::vector<pod_state*> owned_pods(const std::string& owner);
    /// Leaves a workload whose burst of pod creations/deletions was capped for the next
    /// `advance` at a later time, so one huge workload cannot hold the server in one call.
    void defer(const resource_info& r, const std::string& key);

    // Workload controllers.
    void reconcile_job(const nlohmann::json& job, time_point now);
    void reconcile_deployment(const nlohmann::json& d, time_point now);
    void reconcile_pytorchjob(const nlohmann::json& j, time_point now);
    void reconcile_volcano_job(const nlohmann::json& j, time_point now);
    void reconcile_raycluster(const nlohmann::json& c, time_point now);
    void reconcile_rayjob(const nlohmann::json& j, time_point now);
    void reconcile_notebook(const nlohmann::json& n, time_point now);
    void write_status(const resource_info& r, const nlohmann::json& obj, nlohmann::json status);

    const resource_registry& registry_;
    cluster_config config_;
    double time_scale_;
    bool pod_events_;
    object_store store_;
    std::uint64_t seed_;
    time_point now_{};

    std::vector<node_state> nodes_;
    std::unordered_map<std::string, pod_state> pods_;  ///< "ns/name"
    std::unordered_map<std::string, std::set<std::string>> by_owner_;
    std::set<std::pair<std::uint64_t, std::string>> pending_;  ///< (sequence, key)
    std::multimap<time_point, std::string> timers_;            ///< pod key or "W:<res>|ns/name"
    std::set<std::pair<const resource_info*, std::string>> dirty_;  ///< workloads to reconcile
    /// Workloads with more pods to create/delete than one burst allows; reconciled again by the
    /// first `advance` with a later `now` (the next simulation tick).
    std::set<std::pair<const resource_info*, std::string>> deferred_;
    time_point deferred_at_{};
    /// The kinds the controllers react to (pods and the workload kinds), read from the store's
    /// change feed after `seen_rv_`.
    std::vector<const resource_info*> watched_;
    std::uint64_t seen_rv_ = 0;
    std::uint64_t sequence_ = 0;
    bool capacity_freed_ = false;
    std::uint64_t capacity_version_ = 0;
    std::size_t first_free_node_ = 0;
    std::map<std::string, time_point> rayjob_ends_;  ///< rayjob key → when its job finishes

    const resource_info* pods_res_ = nullptr;
    const resource_info* events_res_ = nullptr;
};

}  // namespace fedsim::model
