#include "propagation/manifest/batch_job.hpp"

#include "propagation/manifest/pod_template.hpp"

namespace propagation::manifest {

result<nlohmann::json> build_batch_job(const build_input& in) {
    const auto& f = in.form;
    nlohmann::json spec = nlohmann::json::object();
    spec["parallelism"] = f.replicas;
    spec["completions"] = f.replicas;
    if (f.backoff_limit) {
        spec["backoffLimit"] = *f.backoff_limit;
    }
    if (f.active_deadline_seconds) {
        spec["activeDeadlineSeconds"] = *f.active_deadline_seconds;
    }
    if (f.ttl_seconds_after_finished) {
        spec["ttlSecondsAfterFinished"] = *f.ttl_seconds_after_finished;
    }
    nlohmann::json pod = pod_spec(in, container(in, {.name = "main"}), true);
    pod["restartPolicy"] = "Never";
    spec["template"] = pod_template(in, std::move(pod));

    nlohmann::json job = nlohmann::json::object();
    job["apiVersion"] = "batch/v1";
    job["kind"] = "Job";
    job["metadata"] = object_metadata(in, f.name, true);
    job["spec"] = std::move(spec);
    return object_result(std::move(job));
}

}  // namespace propagation::manifest
