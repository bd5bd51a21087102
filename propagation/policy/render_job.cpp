#include "propagation/policy/render_job.hpp"

#include "propagation/manifest/manifest_builder.hpp"
#include "propagation/policy/propagation_policy.hpp"

namespace propagation::policy {

std::vector<nlohmann::json> rendered_job::creation_order() const {
    std::vector<nlohmann::json> out;
    out.reserve(manifests.size() + 1);
    out.push_back(policy);
    out.insert(out.end(), manifests.begin(), manifests.end());
    return out;
}

result<rendered_job> render_job(const manifest::build_input& in) {
    if (in.placement == nullptr) {
        return invalid_error({{"placement", "required to render a policy", "FieldValueRequired"}});
    }
    auto manifests = manifest::build_manifests(in);
    if (!manifests) {
        return manifests.error();
    }
    auto policy = build_propagation_policy(
        {.form = in.form, .job_id = in.job_id, .placement = *in.placement, .objects = *manifests});
    if (!policy) {
        return policy.error();
    }
    return rendered_job{std::move(*manifests), std::move(*policy)};
}

}  // namespace propagation::policy
