#pragma once
/// ray.io/v1 RayJob for jobType `ray` (crds/EXAMPLES.md §3.1).
///
/// - `entrypoint`: the command as one shell line (the string as given, or the array
///   shell-quoted), followed by the shell-quoted args and `--<key>=<value>` hyperparameters;
///   a command is required.
/// - Head: container `ray-head`, the form's cpu/memory but no GPUs, `num-gpus: "0"` so that no
///   training work lands on it; no GPU toleration or node selector.
/// - One worker group `workers`: `replicas = minReplicas = maxReplicas = replicas` (a fixed
///   size; `replicas` defaults to 0 in the CRD, so it is always written), container
///   `ray-worker` with the GPUs, the toleration and the node selector.
/// - Both get the env (with HP_*) and the data volume. `shutdownAfterJobFinishes: true` tears
///   the RayCluster down; ttlSecondsAfterFinished, activeDeadlineSeconds (int32 here) and
///   backoffLimit map to the RayJob fields of the same names. workersPerNode is not used:
///   Ray schedules its own workers onto the GPUs a pod has.
/// - KubeRay limits a RayJob name to 47 characters (it derives the cluster's names from it):
///   longer names are an `invalid` error on `name`.
/// Karmada cannot divide a RayJob: the placement must name one cluster (or duplicate).
///
/// Thread safety: pure function.

#include "propagation/error.hpp"
#include "propagation/manifest/build_input.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>

namespace propagation::manifest {

inline constexpr std::size_t ray_job_name_max_length = 47;

result<nlohmann::json> build_ray_job(const build_input& in);

}  // namespace propagation::manifest
