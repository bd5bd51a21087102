#pragma once
/// The broker's placement of one job (CONTRACTS.md §6): which clusters get how many replicas,
/// and why every other cluster was left out. Produced by the GPU-capacity solver
/// (gpu_solver.hpp), pinned in Karmada by the PropagationPolicy builder.
///
/// Thread safety: plain values.

#include "propagation/form/job_form.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace propagation::placement {

struct cluster_assignment {
    std::string name;
    std::int64_t replicas = 0;
    std::int64_t gpus = 0;  ///< replicas × GPUs per replica
    friend bool operator==(const cluster_assignment&, const cluster_assignment&) = default;
};

struct rejection {
    std::string name;
    std::string reason;  ///< "NotReady", "gpuModel A100 does not match H100", "fits 2 of 4 replicas: ..."
    friend bool operator==(const rejection&, const rejection&) = default;
};

struct placement {
    form::placement_strategy strategy = form::placement_strategy::spread;
    std::vector<cluster_assignment> clusters;  ///< sorted by name; only clusters with replicas > 0
    std::vector<rejection> rejected;           ///< sorted by name
};

}  // namespace propagation::placement
