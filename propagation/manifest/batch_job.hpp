#pragma once
/// batch/v1 Job for jobType `job`.
///
/// `parallelism = completions = replicas` (the total): when the policy divides the Job,
/// Karmada revises each member's parallelism to its share and splits completions in the same
/// proportion (karmada/SPEC.md §a). Pods: restartPolicy Never (a failed pod stays for its logs;
/// retries are counted by backoffLimit). backoffLimit, activeDeadlineSeconds and
/// ttlSecondsAfterFinished are set when the form gives them. workersPerNode has no meaning
/// for a plain Job and is not used.
///
/// Thread safety: pure function.

#include "propagation/error.hpp"
#include "propagation/manifest/build_input.hpp"

#include <nlohmann/json.hpp>

namespace propagation::manifest {

result<nlohmann::json> build_batch_job(const build_input& in);

}  // namespace propagation::manifest
