#pragma once
/// Everything the broker creates in Karmada for one placed job: the objects of
/// manifest::build_manifests and the PropagationPolicy that pins them, in the order to create
/// them.
///
/// Creation order: the PropagationPolicy first, then the PVC, then the workload. Karmada
/// accepts a policy whose selected objects do not exist yet, and a template created after its
/// policy is claimed by it at once; a template created first could be claimed in between by a
/// broader ClusterPropagationPolicy, which our policy could then not take over (preemption is
/// off by default, karmada/SPEC.md §a). Deletion is the reverse order.
///
/// Thread safety: pure function.

#include "propagation/error.hpp"
#include "propagation/manifest/build_input.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace propagation::policy {

struct rendered_job {
    std::vector<nlohmann::json> manifests;  ///< PVC, then the workload object(s)
    nlohmann::json policy;

    /// Policy, then the manifests: the order to create them in.
    std::vector<nlohmann::json> creation_order() const;
};

/// Builds manifests and policy. Precondition: `in.placement` is not null (an `invalid` error
/// on `placement` otherwise). Errors: those of build_manifests and build_propagation_policy.
result<rendered_job> render_job(const manifest::build_input& in);

}  // namespace propagation::policy
