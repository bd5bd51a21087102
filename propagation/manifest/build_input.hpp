#pragma once
/// What every manifest builder takes: the validated form, the job's id, the placement, and the
/// few deployment choices that are not part of the form.
///
/// Decisions documented here (and in README's "Manifests" section):
/// - Names are derived from the form name only: the workload (and a notebook's Deployment,
///   Service and Ingress) is `<name>`, the PVC `<name>-data`, the PropagationPolicy
///   `<name>-propagation`. Same form → same names, so creation is idempotent.
/// - Every object, and every pod template, carries `broker.gpufed.io/job-id: <job id>` on top
///   of the form's labels (ours wins on a clash).
/// - Priority is not a PriorityClass (the broker cannot know which exist in every member
///   cluster, and a missing one makes the API server reject the pods): it is recorded as the
///   annotation `broker.gpufed.io/priority` on the workload when non-zero, and used by the
///   broker's own queue.
/// - GPU model: pods that request GPUs get `nodeSelector: {<gpu_model_node_label>: <gpuModel>}`
///   (default label `nvidia.com/gpu.product`, the label NVIDIA's GPU feature discovery puts on
///   nodes; its values are full product names such as `NVIDIA-A100-SXM4-80GB`, so the form's
///   model must be spelled the way the clusters label their nodes). An empty label name turns
///   the node selector off; choosing the cluster by model is the solver's job either way.
///
/// Thread safety: plain values; the referenced form and placement must outlive the call.

#include "propagation/form/job_form.hpp"
#include "propagation/placement/placement.hpp"

#include <string>
#include <string_view>

namespace propagation::manifest {

/// Deployment-wide choices that are not part of a job form.
struct build_options {
    /// Node label matched against `gpuModel`; empty: no node selector.
    std::string gpu_model_node_label = "nvidia.com/gpu.product";
    /// Where the job's PVC (`storageSize`) is mounted in every container.
    std::string data_mount_path = "/data";
    /// Notebook URL path: `<prefix>/<namespace>/<name>` (also given to the server as NB_PREFIX,
    /// the variable Kubeflow's notebook images read).
    std::string notebook_path_prefix = "/notebook";
    /// Volcano queue (must exist and be open in every member cluster).
    std::string volcano_queue = "default";
};

/// The default options (a function so that no global object is constructed at start-up).
const build_options& default_build_options();

struct build_input {
    const form::job_form& form;
    std::string_view job_id;  ///< a valid label value (the broker's ids are UUIDs)
    /// The solver's answer; checked against the kind (only batch Jobs can be divided across
    /// clusters). May be null when only the manifests are wanted.
    const placement::placement* placement = nullptr;
    const build_options& options = default_build_options();
};

}  // namespace propagation::manifest
