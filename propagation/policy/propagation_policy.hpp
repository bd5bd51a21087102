#pragma once
/// The Karmada PropagationPolicy (policy.karmada.io/v1alpha1) that pins a job's placement
/// (CONTRACTS.md §6–§7, karmada/SPEC.md §a).
///
/// - Name `<form name>-propagation`, the job's namespace, label `broker.gpufed.io/job-id`.
/// - `resourceSelectors`: exactly the job's objects, by apiVersion, kind and name, in creation
///   order (a named selector also outranks any label-selecting policy of the same priority).
/// - `placement.clusterAffinity.clusterNames`: the chosen clusters, nothing else.
/// - Divided batch Job (≥ 2 clusters, spread or pack): `replicaScheduling: Divided / Weighted`
///   with one `staticWeightList` entry per chosen cluster whose weight is that cluster's
///   replica count; Karmada's Webster division returns integer quotas exactly, so it
///   reproduces the broker's split (and divides completions in the same proportion).
/// - Duplicate: `replicaSchedulingType: Duplicated` over the chosen clusters.
/// - One cluster: clusterNames alone (no replicaScheduling: everything goes to that cluster).
/// Objects without replicas (PVC, Service, Ingress) are propagated whole to every chosen
/// cluster under either scheduling type.
///
/// Errors: those of manifest::check_placement, and `invalid` when `objects` is empty or an
/// object lacks apiVersion/kind/metadata.name.
///
/// Thread safety: pure function.

#include "propagation/error.hpp"
#include "propagation/form/job_form.hpp"
#include "propagation/placement/placement.hpp"

#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

namespace propagation::policy {

struct policy_input {
    const form::job_form& form;
    std::string_view job_id;
    const placement::placement& placement;
    const std::vector<nlohmann::json>& objects;  ///< build_manifests' output
};

result<nlohmann::json> build_propagation_policy(const policy_input& in);

}  // namespace propagation::policy
