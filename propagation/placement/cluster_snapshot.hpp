#pragma once
/// Turns Karmada Cluster objects (cluster.karmada.io/v1alpha1, as `kubectl get clusters -o json`
/// returns them) into what the GPU solver needs for one job: readiness, GPU model, taints the job
/// does not tolerate, and A — how many replicas of this job fit now.
///
/// A is Karmada's general estimator (division/general_estimator.hpp) over the cluster's status
/// with the broker's outstanding reservations counted as allocated: the resource-model path when
/// the cluster publishes models covering every resource the job requests, else the summary
/// path. (Karmada's own estimator would answer 0 for a GPU job on cpu/memory-only models — the
/// "GPU trap" of SPEC.md §c.6 — which would make every such cluster look full.) With
/// reservations on a modelled cluster the answer is the smaller of the two paths, since models
/// count nodes, not the broker's reservations.
///
/// Thread safety: pure functions.

#include "propagation/division/general_estimator.hpp"
#include "propagation/form/job_form.hpp"
#include "propagation/placement/gpu_solver.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace propagation::placement {

/// Resources the broker has promised to jobs that clusters do not yet account for.
struct reserved_resources {
    std::int64_t gpus = 0;
    std::int64_t cpu_milli = 0;
    std::int64_t memory_bytes = 0;
};

struct snapshot_options {
    /// Cluster labels holding the GPU model, first match wins.
    std::vector<std::string> gpu_model_labels = {"broker.gpufed.io/gpu-model", "gpu.model",
                                                 "nvidia.com/gpu.product", "accelerator"};
    /// Admin weight per cluster name (from config); clusters not listed get 1.
    std::map<std::string, std::int64_t> admin_weights;
};

/// One replica's request as a ResourceList: cpu and memory requests (limits when no request,
/// as Kubernetes defaults them) and `gpuRequest` of `gpuResource`.
division::resource_list replica_request(const form::job_form& f);

/// What `replicas` replicas of the job reserve.
reserved_resources replica_resources(const form::job_form& f, std::int64_t replicas);

/// The solver's view of one Cluster object for this job.
cluster_state to_cluster_state(const nlohmann::json& cluster, const form::job_form& f,
                               const reserved_resources& reserved,
                               const snapshot_options& options);

/// The GPU model a Cluster's labels name, or "".
std::string cluster_gpu_model(const nlohmann::json& cluster, const snapshot_options& options);

}  // namespace propagation::placement
