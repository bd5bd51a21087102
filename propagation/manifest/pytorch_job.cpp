#include "propagation/manifest/pytorch_job.hpp"

#include "propagation/manifest/pod_template.hpp"

#include <string>

namespace propagation::manifest {

namespace {

nlohmann::json replica_spec(std::int32_t replicas, nlohmann::json&& pod) {
    nlohmann::json r = nlohmann::json::object();
    r["replicas"] = replicas;
    r["restartPolicy"] = "OnFailure";
    r["template"] = std::move(pod);
    return r;
}

}  // namespace

result<nlohmann::json> build_pytorch_job(const build_input& in) {
    const auto& f = in.form;
    // Master and Worker pods are identical: one template, copied once for the Worker.
    nlohmann::json pod = pod_template(in, pod_spec(in, container(in, {.name = "pytorch"}), true));

    nlohmann::json specs = nlohmann::json::object();
    if (f.replicas > 1) {
        specs["Master"] = replica_spec(1, nlohmann::json(pod));
        specs["Worker"] = replica_spec(f.replicas - 1, std::move(pod));
    } else {
        specs["Master"] = replica_spec(1, std::move(pod));
    }

    nlohmann::json spec = nlohmann::json::object();
    spec["nprocPerNode"] = std::to_string(f.workers_per_node);
    spec["pytorchReplicaSpecs"] = std::move(specs);
    nlohmann::json run = nlohmann::json::object();
    if (f.backoff_limit) {
        run["backoffLimit"] = *f.backoff_limit;
    }
    if (f.active_deadline_seconds) {
        run["activeDeadlineSeconds"] = *f.active_deadline_seconds;
    }
    if (f.ttl_seconds_after_finished) {
        run["ttlSecondsAfterFinished"] = *f.ttl_seconds_after_finished;
    }
    if (!run.empty()) {
        spec["runPolicy"] = std::move(run);
    }

    nlohmann::json job = nlohmann::json::object();
    job["apiVersion"] = "kubeflow.org/v1";
    job["kind"] = "PyTorchJob";
    job["metadata"] = object_metadata(in, f.name, true);
    job["spec"] = std::move(spec);
    return object_result(std::move(job));
}

}  // namespace propagation::manifest
