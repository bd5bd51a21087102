#pragma once
/// fedsim's model: a Karmada control plane (an object_store plus Karmada's controllers) and the
/// simulated member clusters (each an object_store plus a kube-scheduler, kubelets and workload
/// controllers), driven by an injected clock. The HTTP layer (sim/api) serves
/// `control_plane()` as the Karmada API server and `member(name)` behind the cluster proxy, and
/// calls `advance(now)` after every mutating request and from a timer at `next_wakeup()`.
///
/// What runs in `advance`: Karmada (PropagationPolicy matching, scheduling with
/// propagation::division, ResourceBindings, member copies with revised replicas, status
/// aggregation, namespace propagation, Cluster status), then each member (Job / Deployment /
/// PyTorchJob / RayJob / Volcano Job / Notebook controllers create pods; pods are bin-packed
/// onto nodes, run for the configured duration and succeed or fail deterministically), repeated
/// until nothing changes.
///
/// Thread safety: none; single-threaded. The HTTP layer serialises every call on one strand.

#include "sim/model/api_error.hpp"
#include "sim/model/federation_config.hpp"
#include "sim/model/object_store.hpp"
#include "sim/model/resource_registry.hpp"

#include "propagation/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fedsim::model {

/// Faults for tests (CONTRACTS.md §10, stable JSON names): `{"ready", "latencyMs",
/// "failNextRequests", "unavailable"}`. The model flips the Cluster's Ready condition (and the
/// not-ready taint) from `ready`; the HTTP layer applies the rest to requests.
struct fault_state {
    bool ready = true;
    std::int64_t latency_ms = 0;
    std::int64_t fail_next_requests = 0;
    bool unavailable = false;

    bool any() const { return !ready || latency_ms > 0 || fail_next_requests > 0 || unavailable; }
    nlohmann::json to_json() const;
};

/// Pod log query (`/api/v1/namespaces/{ns}/pods/{pod}/log`).
struct log_options {
    std::string container;  ///< "" = the only container (400 if several)
    std::optional<std::int64_t> tail_lines;
    bool timestamps = false;
    std::optional<std::int64_t> limit_bytes;
    bool previous = false;
    /// For `follow`: lines already delivered; the answer starts after them (ignores tail_lines).
    std::optional<std::int64_t> from_line;
};

struct log_chunk {
    std::string text;            ///< whole lines, each ending in '\n'
    std::int64_t next_line = 0;  ///< pass as `from_line` to continue following
    bool finished = false;       ///< the container has terminated: no more lines will come
};

/// Counters served by `GET /fedsim/v1/stats`.
struct federation_stats {
    std::map<std::string, std::uint64_t, std::less<>> counters;  ///< "requests.controlplane" ...
    void increment(std::string_view key, std::uint64_t by = 1);
};

class federation {
public:
    /// Builds the federation at time `start` (creationTimestamps, Cluster conditions).
    /// Errors only for an inconsistent configuration (duplicate cluster names...).
    static propagation::result<std::unique_ptr<federation>> create(federation_config config,
                                                                   time_point start);
    ~federation();
    federation(const federation&) = delete;
    federation& operator=(const federation&) = delete;

    /// Reads every CRD YAML (`*.yaml`, `*.yml`, multi-document) in `dir` and validates objects
    /// of those kinds against their openAPIV3Schema from then on (422 Invalid / strict field
    /// validation). Also records printer columns and schemas in the registry. Kinds fedsim does
    /// not serve are ignored. Errors: unreadable directory or YAML (with the file path).
    propagation::result<void> load_crds(const std::filesystem::path& dir);

    const resource_registry& registry() const;
    const federation_config& config() const;

    /// The Karmada API server's storage.
    object_store& control_plane();
    const object_store& control_plane() const;
    /// A member's storage (served behind `/apis/cluster.karmada.io/v1alpha1/clusters/{name}/
    /// proxy/`); null for an unknown name.
    object_store* member(std::string_view name);
    const object_store* member(std::string_view name) const;
    /// Member names in configuration order.
    std::vector<std::string> member_names() const;

    /// Runs the simulation up to `now` (monotonic: an earlier time is ignored) and every
    /// controller until quiet. Cheap when nothing is due. Calls the change listener once if
    /// anything changed.
    void advance(time_point now);
    /// The model's current time.
    time_point now() const;
    /// When `advance` next has something to do (a pod finishing...; `now()` when objects were
    /// written since the last `advance`), if ever.
    std::optional<time_point> next_wakeup() const;

    /// Pre-serialises up to `max` recently written objects of every store (see
    /// object_store::warm_serialized); 0 when nothing is left.
    std::size_t warm_caches(std::size_t max);

    /// A member pod's log. 404 NotFound for an unknown cluster or pod; 400 BadRequest
    /// "a container name must be specified for pod X, choose one of: [a b]" or "container c is
    /// not valid for pod X"; for a pod not yet running: 400 `container "c" in pod "X" is
    /// waiting to start: ContainerCreating` (or PodInitializing when Pending unscheduled).
    api_result<log_chunk> pod_log(std::string_view cluster, std::string_view namespace_,
                                  std::string_view pod, const log_options& options) const;

    /// Faults. `cluster` "" = the control plane. `body` is the request JSON; unknown keys or
    /// wrong types → 400 BadRequest; unknown cluster → 404. Setting `ready:false` makes the
    /// Cluster NotReady (condition + `cluster.karmada.io/not-ready:NoSchedule` taint) at once.
    api_result<fault_state> set_fault(std::string_view cluster, const nlohmann::json& body);
    api_result<fault_state> clear_fault(std::string_view cluster);
    /// Current faults; null for an unknown cluster.
    const fault_state* fault(std::string_view cluster) const;
    /// True when the next request to `cluster` ("" = control plane) must fail (and counts one
    /// `failNextRequests` down).
    bool consume_failure(std::string_view cluster);

    federation_stats& stats();
    /// `{"counters": {...}, "controlPlane": {creates...}, "clusters": {"cluster-1": {...}}}`.
    nlohmann::json stats_json() const;

    /// Called (after the call that caused it returns to a quiet state) whenever any store
    /// changed: the control plane, a member, or simulated progress in `advance`. One listener.
    void set_change_listener(std::function<void()> listener);
    /// Sum of all stores' resourceVersions: a cheap "anything new?" counter.
    std::uint64_t change_counter() const;

private:
    struct impl;
    explicit federation(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace fedsim::model
