#include "propagation/manifest/volcano_job.hpp"

#include "propagation/manifest/pod_template.hpp"

#include <string>

namespace propagation::manifest {

namespace {

nlohmann::json task(std::string_view name, std::int32_t replicas, nlohmann::json&& pod) {
    nlohmann::json t = nlohmann::json::object();
    t["name"] = name;
    t["replicas"] = replicas;
    t["minAvailable"] = replicas;
    t["template"] = std::move(pod);
    return t;
}

}  // namespace

result<nlohmann::json> build_volcano_job(const build_input& in) {
    const auto& f = in.form;
    const bool pytorch = f.framework == "pytorch" && f.replicas >= 2;

    // Longest pod name Volcano will make: <job>-worker-<largest index>.
    const std::int32_t workers = pytorch ? f.replicas - 1 : f.replicas;
    const std::string last_pod = f.name + "-worker-" + std::to_string(workers - 1);
    if (last_pod.size() > 63) {
        return invalid_error(
            {{"name",
              "too long for jobType volcano with " + std::to_string(f.replicas) +
                  " replicas: pod name " + last_pod + " would exceed 63 characters",
              "FieldValueTooLong"}});
    }

    nlohmann::json pod = pod_spec(in, container(in, {.name = pytorch ? "pytorch" : "main"}), true);
    pod["restartPolicy"] = "OnFailure";
    if (f.active_deadline_seconds) {
        pod["activeDeadlineSeconds"] = *f.active_deadline_seconds;
    }
    nlohmann::json tmpl = pod_template(in, std::move(pod));

    nlohmann::json spec = nlohmann::json::object();
    spec["schedulerName"] = "volcano";
    spec["queue"] = in.options.volcano_queue;
    spec["minAvailable"] = f.replicas;
    if (f.backoff_limit) {
        spec["maxRetry"] = *f.backoff_limit;
    }
    if (f.ttl_seconds_after_finished) {
        spec["ttlSecondsAfterFinished"] = *f.ttl_seconds_after_finished;
    }
    nlohmann::json tasks = nlohmann::json::array();
    if (pytorch) {
        spec["plugins"] = {{"pytorch", {"--master=master", "--worker=worker", "--port=23456"}},
                           {"svc", nlohmann::json::array()}};
        nlohmann::json master = task("master", 1, nlohmann::json(tmpl));
        master["policies"] =
            nlohmann::json::array({{{"event", "TaskCompleted"}, {"action", "CompleteJob"}}});
        tasks.push_back(std::move(master));
        tasks.push_back(task("worker", workers, std::move(tmpl)));
    } else {
        spec["plugins"] = {{"env", nlohmann::json::array()}, {"svc", nlohmann::json::array()}};
        tasks.push_back(task("worker", workers, std::move(tmpl)));
    }
    spec["tasks"] = std::move(tasks);

    nlohmann::json job = nlohmann::json::object();
    job["apiVersion"] = "batch.volcano.sh/v1alpha1";
    job["kind"] = "Job";
    job["metadata"] = object_metadata(in, f.name, true);
    job["spec"] = std::move(spec);
    return object_result(std::move(job));
}

}  // namespace propagation::manifest
