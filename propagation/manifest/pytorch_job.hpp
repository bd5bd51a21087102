#pragma once
/// kubeflow.org/v1 PyTorchJob for jobType `pytorch` (crds/EXAMPLES.md §3.3).
///
/// `replicas` is the world's pod count: Master (always exactly 1, written explicitly because
/// Karmada reads the object as written and the operator's defaulting webhook only runs in the
/// member cluster) plus `replicas - 1` Workers (no Worker entry when replicas is 1). Both use
/// a container named `pytorch` (the operator requires it) and restartPolicy OnFailure.
/// `nprocPerNode` = workersPerNode (processes per pod; usually the GPUs per pod).
/// backoffLimit, activeDeadlineSeconds and ttlSecondsAfterFinished go to `runPolicy`.
/// Karmada cannot divide a PyTorchJob: the placement must name one cluster (or duplicate).
///
/// Thread safety: pure function.

#include "propagation/error.hpp"
#include "propagation/manifest/build_input.hpp"

#include <nlohmann/json.hpp>

namespace propagation::manifest {

result<nlohmann::json> build_pytorch_job(const build_input& in);

}  // namespace propagation::manifest
