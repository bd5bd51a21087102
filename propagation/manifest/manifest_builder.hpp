#pragma once
/// Renders a validated job form into the Kubernetes objects the broker creates in Karmada,
/// in creation order: the PVC first (when storageSize is set, so that pods never wait for
/// it), then the workload — batch/v1 Job (`job`), kubeflow.org/v1 PyTorchJob (`pytorch`),
/// ray.io/v1 RayJob (`ray`), batch.volcano.sh/v1alpha1 Job (`volcano`), or apps/v1
/// Deployment + v1 Service + networking.k8s.io/v1 Ingress (`notebook`). The
/// PropagationPolicy is built separately from these objects (policy/propagation_policy.hpp).
///
/// The per-kind rules are in each builder's header; the shared ones (names, labels, priority,
/// GPU model, command, hyperparameters) in build_input.hpp and pod_template.hpp.
///
/// Errors (`invalid`, with the form field): a job id that is not a label value; per-kind
/// limits the form's own validation does not know (RayJob name ≤ 47, Volcano pod names ≤ 63,
/// Ray needs a command); a placement that does not fit the kind (check_placement).
///
/// Thread safety: pure function.

#include "propagation/error.hpp"
#include "propagation/manifest/build_input.hpp"

#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

namespace propagation::manifest {

/// True for the kinds Karmada can divide across clusters (only batch/v1 Job of ours).
bool is_divisible(form::job_type t);

/// Checks a placement against the form: at least one cluster; a kind Karmada cannot divide
/// gets one cluster unless duplicated; the replicas add up to the form's (each cluster has all
/// of them when duplicated).
result<void> check_placement(const form::job_form& f, const placement::placement& p);

result<std::vector<nlohmann::json>> build_manifests(const build_input& in);

/// The kind of the workload object build_manifests makes for a job type ("PyTorchJob",
/// "Deployment" for a notebook); the workload is named after the form.
std::string_view workload_kind(form::job_type t);

}  // namespace propagation::manifest
