#include "propagation/manifest/manifest_builder.hpp"

#include "propagation/form/names.hpp"
#include "propagation/manifest/batch_job.hpp"
#include "propagation/manifest/notebook.hpp"
#include "propagation/manifest/persistent_volume_claim.hpp"
#include "propagation/manifest/pod_template.hpp"
#include "propagation/manifest/pytorch_job.hpp"
#include "propagation/manifest/ray_job.hpp"
#include "propagation/manifest/volcano_job.hpp"

#include <cstdint>
#include <string>

namespace propagation::manifest {

namespace {

// The kind's name for messages (kept here so that messages name the object kind, not the
// form's jobType spelling).
const char* kind_name(form::job_type t) {
    switch (t) {
        case form::job_type::job:
            return "batch Job";
        case form::job_type::pytorch:
            return "PyTorchJob";
        case form::job_type::ray:
            return "RayJob";
        case form::job_type::volcano:
            return "Volcano Job";
        case form::job_type::notebook:
            return "notebook";
    }
    return "workload";
}

}  // namespace

std::string_view workload_kind(form::job_type t) {
    switch (t) {
        case form::job_type::job:
        case form::job_type::volcano:
            return "Job";
        case form::job_type::pytorch:
            return "PyTorchJob";
        case form::job_type::ray:
            return "RayJob";
        case form::job_type::notebook:
            return "Deployment";
    }
    return "";
}

bool is_divisible(form::job_type t) {
    return t == form::job_type::job;
}

result<void> check_placement(const form::job_form& f, const placement::placement& p) {
    if (p.clusters.empty()) {
        return invalid_error({{"placement.clusters", "no cluster was chosen"}});
    }
    const bool duplicate = p.strategy == form::placement_strategy::duplicate;
    if (!duplicate && p.clusters.size() > 1 && !is_divisible(f.type)) {
        return invalid_error(
            {{"placement.clusters",
              std::string("a ") + kind_name(f.type) +
                  " cannot be divided across clusters: Karmada would start a full copy in "
                  "each of the " +
                  std::to_string(p.clusters.size()) + " clusters"}});
    }
    std::int64_t total = 0;
    for (const auto& c : p.clusters) {
        if (c.replicas <= 0 || (duplicate && c.replicas != f.replicas)) {
            return invalid_error(
                {{"placement.clusters." + c.name,
                  "has " + std::to_string(c.replicas) + " replicas; " +
                      (duplicate ? "a duplicated job needs all " + std::to_string(f.replicas)
                                 : std::string("a chosen cluster needs at least one"))}});
        }
        total += c.replicas;
    }
    if (!duplicate && total != f.replicas) {
        return invalid_error(
            {{"placement.clusters", "replicas add up to " + std::to_string(total) +
                                        ", the form asks for " + std::to_string(f.replicas)}});
    }
    return {};
}

result<std::vector<nlohmann::json>> build_manifests(const build_input& in) {
    if (auto problems = form::is_label_value(in.job_id); in.job_id.empty() || !problems.empty()) {
        return invalid_error(
            {{"jobId", in.job_id.empty() ? std::string("required") : form::join_errors(problems),
              in.job_id.empty() ? "FieldValueRequired" : "FieldValueInvalid"}});
    }
    if (in.placement != nullptr) {
        if (auto r = check_placement(in.form, *in.placement); !r) {
            return r.error();
        }
    }

    std::vector<nlohmann::json> out;
    out.reserve(4);
    if (in.form.storage_size) {
        out.push_back(build_persistent_volume_claim(in));
    }
    result<nlohmann::json> workload = invalid_error({});
    switch (in.form.type) {
        case form::job_type::job:
            workload = build_batch_job(in);
            break;
        case form::job_type::pytorch:
            workload = build_pytorch_job(in);
            break;
        case form::job_type::ray:
            workload = build_ray_job(in);
            break;
        case form::job_type::volcano:
            workload = build_volcano_job(in);
            break;
        case form::job_type::notebook:
            if (auto r = build_notebook(in, out); !r) {
                return r.error();
            }
            return out;
    }
    if (!workload) {
        return workload.error();
    }
    out.push_back(std::move(*workload));
    return out;
}

}  // namespace propagation::manifest
