#pragma once
/// batch.volcano.sh/v1alpha1 Job for jobType `volcano` (crds/EXAMPLES.md §3.4).
///
/// Every gang size is written explicitly, because Karmada reads the object as the broker
/// wrote it (it assumes 1 for a missing `tasks[i].minAvailable`) and Volcano's defaulting
/// webhook only runs later, in the member cluster:
/// - framework `pytorch` with replicas ≥ 2: tasks `master` (1) and `worker` (replicas − 1),
///   containers named `pytorch`, plugins `pytorch` (master/worker/port 23456, which injects
///   MASTER_ADDR, WORLD_SIZE, RANK) and `svc`; the job completes when the master completes.
/// - otherwise: one task `worker` with all replicas, container `main`, plugins `env`
///   (VK_TASK_INDEX) and `svc` (peer host names).
/// - `minAvailable` of the job = replicas (all pods or none), of each task = its replicas.
/// schedulerName `volcano`, queue from the options, restartPolicy OnFailure,
/// `maxRetry` = backoffLimit, ttlSecondsAfterFinished as given; activeDeadlineSeconds has no
/// job-level field in Volcano and is set on every pod. workersPerNode is not used.
/// Volcano names pods `<job>-<task>-<index>`, which must fit in 63 characters: a name too long
/// for that is an `invalid` error on `name`.
/// Karmada cannot divide a Volcano Job: the placement must name one cluster (or duplicate).
///
/// Thread safety: pure function.

#include "propagation/error.hpp"
#include "propagation/manifest/build_input.hpp"

#include <nlohmann/json.hpp>

namespace propagation::manifest {

result<nlohmann::json> build_volcano_job(const build_input& in);

}  // namespace propagation::manifest
