#pragma once
/// The broker's weighted GPU-capacity solver (CONTRACTS.md §6): decides how many replicas of a
/// job each member cluster gets, from what fits there now and the admins' and user's weights.
///
/// For each candidate cluster the caller supplies A ("fit": how many more replicas of this job
/// fit there, after the broker's outstanding reservations) and the admin weight; the form adds
/// its own `clusterWeights`. Strategies:
///
/// | strategy  | rule                                                                      |
/// |-----------|---------------------------------------------------------------------------|
/// | spread    | Webster over w·A, never above A; capped clusters fixed, rest re-divided   |
/// | pack      | fewest clusters: highest w·A first, each filled up to A                   |
/// | single    | one cluster with A ≥ replicas: highest w, then least GPUs left, then name |
/// | duplicate | every candidate with A ≥ replicas gets all replicas                       |
///
/// Worked example (spread, 10 replicas, weights 1:1:1, A = 8:2:8) → Webster over 8:2:8 gives
/// 4:1:5 or 5:1:4 by the UID tie-break; nothing exceeds A, so that is the answer. With A = 8:1:8
/// and 10 replicas over weights 1:10:1, the middle cluster is capped at 1 and the other 9 are
/// re-divided 5:4 (or 4:5) over the remaining two.
///
/// Deterministic: ties are broken by Karmada's UID rule (division::webster) or by name.
/// Thread safety: pure functions.

#include "propagation/error.hpp"
#include "propagation/form/job_form.hpp"
#include "propagation/placement/placement.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace propagation::placement {

/// What the solver knows about one member cluster.
struct cluster_state {
    std::string name;
    bool ready = true;
    std::string not_ready_reason = "NotReady";
    std::string gpu_model;                    ///< from the cluster's labels; empty: unknown
    std::vector<std::string> blocking_taints; ///< NoSchedule/NoExecute taints the job does not tolerate
    std::int64_t fit = 0;                     ///< A: replicas of this job that fit now (≥ 0)
    bool fit_known = true;                    ///< false: no capacity data; treated as unlimited
    std::int64_t free_gpus = -1;              ///< of the job's GPU resource; -1 unknown (for reasons)
    std::int64_t largest_node_gpus = -1;      ///< free GPUs on the best node; -1 unknown
    std::int64_t admin_weight = 1;            ///< from the broker's config (≥ 0; 0 excludes)
};

struct solver_input {
    const form::job_form* form = nullptr;
    std::string uid;  ///< the job's UID: Webster tie-breaker
    std::vector<cluster_state> clusters;
};

/// Largest weight product considered; larger products are clamped (keeps w·A in 64 bits).
inline constexpr std::int64_t max_weight_product = std::int64_t{1} << 52;

/// Places the job. Errors: `unschedulable` with one cause per cluster (field = cluster name,
/// message = why it was left out) when no placement exists.
result<placement> solve(const solver_input& input);

/// True when a cluster's GPU model label matches the form's `gpuModel`: equal ignoring case, or
/// the model appears as a whole '-'/'_'/' '-separated token of the label value, so "A100"
/// matches "NVIDIA-A100-SXM4-80GB" but not "A1000".
bool gpu_model_matches(std::string_view cluster_model, std::string_view wanted);

}  // namespace propagation::placement
