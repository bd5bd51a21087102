#include "propagation/manifest/ray_job.hpp"

#include "propagation/manifest/pod_template.hpp"

#include <cstdint>
#include <limits>
#include <vector>

namespace propagation::manifest {

result<nlohmann::json> build_ray_job(const build_input& in) {
    const auto& f = in.form;
    std::vector<field_error> errors;
    if (f.name.size() > ray_job_name_max_length) {
        errors.push_back({"name",
                          "must be no more than 47 characters for jobType ray (KubeRay derives "
                          "its cluster and service names from it)",
                          "FieldValueTooLong"});
    }
    if (f.command.empty()) {
        errors.push_back(
            {"command", "required for jobType ray (the RayJob entrypoint)", "FieldValueRequired"});
    }
    if (f.active_deadline_seconds &&
        *f.active_deadline_seconds > std::numeric_limits<std::int32_t>::max()) {
        errors.push_back({"activeDeadlineSeconds",
                          "must be at most 2147483647 for jobType ray (an int32 in RayJob)"});
    }
    if (!errors.empty()) {
        return invalid_error(std::move(errors));
    }

    nlohmann::json head_container =
        container(in, {.name = "ray-head", .gpus = false, .command = false});
    nlohmann::json head = nlohmann::json::object();
    head["rayStartParams"] = {{"num-gpus", "0"}};
    head["template"] = pod_template(in, pod_spec(in, std::move(head_container), false));

    nlohmann::json workers = nlohmann::json::object();
    workers["groupName"] = "workers";
    workers["replicas"] = f.replicas;
    workers["minReplicas"] = f.replicas;
    workers["maxReplicas"] = f.replicas;
    workers["rayStartParams"] = nlohmann::json::object();
    workers["template"] = pod_template(
        in, pod_spec(in, container(in, {.name = "ray-worker", .command = false}), true));

    nlohmann::json cluster = nlohmann::json::object();
    cluster["headGroupSpec"] = std::move(head);
    cluster["workerGroupSpecs"] = nlohmann::json::array({std::move(workers)});

    nlohmann::json spec = nlohmann::json::object();
    spec["entrypoint"] = shell_command_line(f);
    spec["shutdownAfterJobFinishes"] = true;
    if (f.ttl_seconds_after_finished) {
        spec["ttlSecondsAfterFinished"] = *f.ttl_seconds_after_finished;
    }
    if (f.active_deadline_seconds) {
        spec["activeDeadlineSeconds"] = *f.active_deadline_seconds;
    }
    if (f.backoff_limit) {
        spec["backoffLimit"] = *f.backoff_limit;
    }
    spec["rayClusterSpec"] = std::move(cluster);

    nlohmann::json job = nlohmann::json::object();
    job["apiVersion"] = "ray.io/v1";
    job["kind"] = "RayJob";
    job["metadata"] = object_metadata(in, f.name, true);
    job["spec"] = std::move(spec);
    return object_result(std::move(job));
}

}  // namespace propagation::manifest
