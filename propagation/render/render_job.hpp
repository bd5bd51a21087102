#pragma once
/// The whole pure pipeline for one job: form → placement → manifests + PropagationPolicy. What
/// `broker render` prints and what the broker records and creates on submission.
///
/// Thread safety: pure functions.

#include "propagation/error.hpp"
#include "propagation/form/job_form.hpp"
#include "propagation/placement/cluster_snapshot.hpp"
#include "propagation/placement/gpu_solver.hpp"
#include "propagation/placement/placement.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace propagation::render {

struct rendered_job {
    placement::placement placement;
    /// Every object the broker creates, in creation order: the PropagationPolicy first
    /// (policy/render_job.hpp says why), then the PVC, then the workload.
    std::vector<nlohmann::json> manifests;
};

/// Places the job over `clusters` (already converted for this job) and renders it. Errors:
/// `unschedulable` from the solver, `invalid` from the builders.
result<rendered_job> render_job(const form::job_form& f, std::string_view job_id,
                                std::vector<placement::cluster_state> clusters);

/// The candidates for a form when no capacity snapshot is given: its targetClusters, Ready and
/// of unknown (unlimited) capacity. Errors: `invalid` when the form names no target cluster.
result<std::vector<placement::cluster_state>> clusters_from_targets(const form::job_form& f);

/// Converts a ClusterList (or a bare array of Cluster objects) for this job. Errors: `bad_input`
/// when the document is not a list of objects with names.
result<std::vector<placement::cluster_state>> clusters_from_list(
    const nlohmann::json& cluster_list, const form::job_form& f,
    const placement::snapshot_options& options = {});

/// A stable id for offline rendering: a UUID-shaped hash of namespace and name, so the same
/// form renders the same names, labels and tie-breaks every time.
std::string offline_job_id(const form::job_form& f);

/// CONTRACTS.md §6's placement document: {"strategy", "clusters": [{"name", "replicas",
/// "gpus"}], "rejected": [{"name", "reason"}]}.
nlohmann::json to_json(const placement::placement& p);

}  // namespace propagation::render
