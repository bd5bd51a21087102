#include "broker/routes/routes.hpp"

namespace broker::routes {
namespace {

using nlohmann::json;

json ref(const char* name) { return {{"$ref", std::string("#/components/schemas/") + name}}; }

json json_content(json schema) { return {{"application/json", {{"schema", std::move(schema)}}}}; }

json status_responses(std::initializer_list<int> codes) {
    json out = json::object();
    for (int code : codes) {
        out[std::to_string(code)] = {{"description", "Status error"},
                                     {"content", json_content(ref("Status"))}};
    }
    return out;
}

json query_param(const char* name, const char* description, const char* type = "string") {
    return {{"name", name}, {"in", "query"}, {"required", false},
            {"description", description}, {"schema", {{"type", type}}}};
}

json id_param() {
    return {{"name", "id"}, {"in", "path"}, {"required", true},
            {"schema", {{"type", "string"}, {"format", "uuid"}}}};
}

json operation(const char* summary, json ok_schema, json extra_responses, json params = json::array()) {
    json responses = {{"200", {{"description", "OK"}, {"content", json_content(std::move(ok_schema))}}}};
    responses.update(extra_responses);
    json op = {{"summary", summary}, {"responses", std::move(responses)}};
    if (!params.empty()) {
        op["parameters"] = std::move(params);
    }
    return op;
}

json schemas() {
    json quantity = {{"type", "string"}, {"description", "Kubernetes quantity, e.g. 500m, 4Gi"}};
    json job_form = {
        {"type", "object"},
        {"additionalProperties", false},
        {"required", json::array({"name", "image"})},
        {"properties",
         {{"name", {{"type", "string"}, {"description", "DNS-1123 label"}}},
          {"namespace", {{"type", "string"}, {"default", "default"}}},
          {"jobType", {{"type", "string"}, {"enum", {"job", "pytorch", "ray", "volcano", "notebook"}}}},
          {"framework", {{"type", "string"}}},
          {"image", {{"type", "string"}}},
          {"command", {{"oneOf", {{{"type", "string"}}, {{"type", "array"}, {"items", {{"type", "string"}}}}}}}},
          {"args", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"replicas", {{"type", "integer"}, {"minimum", 1}}},
          {"workersPerNode", {{"type", "integer"}, {"minimum", 1}}},
          {"cpuRequest", quantity}, {"cpuLimit", quantity},
          {"memoryRequest", quantity}, {"memoryLimit", quantity},
          {"gpuRequest", {{"type", "integer"}, {"minimum", 0}}},
          {"gpuResource", {{"type", "string"}, {"default", "nvidia.com/gpu"}}},
          {"gpuModel", {{"type", "string"}}},
          {"storageClass", {{"type", "string"}}},
          {"storageSize", quantity},
          {"hyperparameters", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
          {"env", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
          {"labels", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
          {"targetClusters", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"placement",
           {{"type", "object"},
            {"properties",
             {{"strategy", {{"type", "string"}, {"enum", {"spread", "pack", "single", "duplicate"}}}},
              {"clusterWeights", {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}}}}}},
          {"priority", {{"type", "integer"}}},
          {"ttlSecondsAfterFinished", {{"type", "integer"}}},
          {"backoffLimit", {{"type", "integer"}}},
          {"activeDeadlineSeconds", {{"type", "integer"}}}}}};
    json placement = {
        {"type", "object"},
        {"properties",
         {{"strategy", {{"type", "string"}}},
          {"clusters", {{"type", "array"}, {"items", {{"type", "object"}, {"properties",
              {{"name", {{"type", "string"}}}, {"replicas", {{"type", "integer"}}}, {"gpus", {{"type", "integer"}}}}}}}}},
          {"rejected", {{"type", "array"}, {"items", {{"type", "object"}, {"properties",
              {{"name", {{"type", "string"}}}, {"reason", {{"type", "string"}}}}}}}}}}}};
    json state = {{"type", "string"},
                  {"enum", {"Queued", "Submitting", "Running", "Succeeded", "Failed", "Cancelled"}}};
    json job = {
        {"type", "object"},
        {"properties",
         {{"id", {{"type", "string"}, {"format", "uuid"}}},
          {"name", {{"type", "string"}}}, {"namespace", {{"type", "string"}}},
          {"jobType", {{"type", "string"}}}, {"owner", {{"type", "string"}}},
          {"state", state}, {"message", {{"type", "string"}}},
          {"placement", ref("Placement")},
          {"clusters", {{"type", "array"}, {"items", {{"type", "object"}, {"properties",
              {{"name", {{"type", "string"}}}, {"replicas", {{"type", "integer"}}}, {"state", {{"type", "string"}}}}}}}}},
          {"createdAt", {{"type", "string"}, {"format", "date-time"}}},
          {"updatedAt", {{"type", "string"}, {"format", "date-time"}}}}}};
    json status = {
        {"type", "object"},
        {"description", "Kubernetes metav1.Status"},
        {"properties",
         {{"kind", {{"type", "string"}}}, {"apiVersion", {{"type", "string"}}},
          {"status", {{"type", "string"}}}, {"message", {{"type", "string"}}},
          {"reason", {{"type", "string"}}}, {"code", {{"type", "integer"}}},
          {"details", {{"type", "object"}, {"properties",
              {{"causes", {{"type", "array"}, {"items", {{"type", "object"}, {"properties",
                  {{"field", {{"type", "string"}}}, {"message", {{"type", "string"}}}, {"reason", {{"type", "string"}}}}}}}}}}}}}}}};
    return {{"JobForm", job_form}, {"Placement", placement}, {"Job", job}, {"Status", status},
            {"List", {{"type", "object"}, {"properties", {{"items", {{"type", "array"}}},
                                                         {"metadata", {{"type", "object"}}},
                                                         {"failures", {{"type", "array"}}}}}}}};
}

json build() {
    const json auth_errors = status_responses({401, 503});
    json paths = json::object();
    json post = operation("Submit a job (201 with the job; ?dryRun=true returns placement + manifests)",
                          ref("Job"), status_responses({400, 401, 409, 413, 422, 503}),
                          json::array({query_param("dryRun", "true: place and render only", "boolean"),
                                        {{"name", "Idempotency-Key"}, {"in", "header"}, {"required", false},
                                         {"schema", {{"type", "string"}}}}}));
    post["requestBody"] = {{"required", true}, {"content", json_content(ref("JobForm"))}};
    post["responses"]["201"] = {{"description", "Created"}, {"content", json_content(ref("Job"))}};
    paths["/api/v1/jobs"]["post"] = post;
    paths["/api/v1/jobs"]["get"] = operation(
        "List jobs, newest first", ref("List"), status_responses({400, 401, 503}),
        json::array({query_param("status", "job state"), query_param("namespace", "namespace"),
                     query_param("jobType", "job type"), query_param("limit", "page size 1..1000", "integer"),
                     query_param("continue", "token from metadata.continue")}));
    paths["/api/v1/jobs/{id}"]["get"] = operation("Get a job", ref("Job"), status_responses({401, 404, 503}),
                                                  json::array({id_param()}));
    paths["/api/v1/jobs/{id}"]["delete"] = operation("Cancel a job (idempotent)", ref("Job"),
                                                     status_responses({401, 404, 503}), json::array({id_param()}));
    paths["/api/v1/jobs/{id}/status"]["get"] = operation("Per-cluster status", ref("Job"),
                                                         status_responses({401, 404}), json::array({id_param()}));
    paths["/api/v1/jobs/{id}/events"]["get"] = operation("Lifecycle events", ref("List"),
                                                         status_responses({401, 404}), json::array({id_param()}));
    paths["/api/v1/jobs/{id}/logs"]["get"] = operation(
        "Logs of every pod of the job, lines prefixed with cluster/pod (streamed with follow=true)",
        {{"type", "string"}}, status_responses({401, 404, 502, 504}),
        json::array({id_param(), query_param("cluster", "only this cluster"),
                     query_param("pod", "only this pod"), query_param("container", "container"),
                     query_param("tailLines", "last lines per pod", "integer"),
                     query_param("follow", "stream", "boolean")}));
    paths["/api/v1/proxy/clusters"]["get"] = operation(
        "Member clusters with readiness, version, labels and GPU capacity", ref("List"), auth_errors);
    paths["/api/v1/proxy/clusters/{cluster}/resources"]["get"] = operation(
        "One member's objects", ref("List"), status_responses({400, 401, 403, 404, 502, 504}),
        json::array({{{"name", "cluster"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}},
                     query_param("kind", "pods, nodes, namespaces, events, jobs, deployments, services, ..."),
                     query_param("namespace", "namespace"), query_param("labelSelector", "label selector"),
                     query_param("limit", "page size", "integer"), query_param("continue", "token")}));
    paths["/api/v1/proxy/resources"]["get"] = operation(
        "The same across every member cluster, items marked with their cluster; failures listed",
        ref("List"), status_responses({400, 401, 403, 502, 504}),
        json::array({query_param("kind", "resource kind"), query_param("namespace", "namespace"),
                     query_param("labelSelector", "label selector"),
                     query_param("timeout", "per-member deadline, e.g. 500ms or 2s"),
                     query_param("limit", "page size", "integer"), query_param("continue", "token")}));
    paths["/healthz"]["get"] = operation("Liveness", {{"type", "string"}}, json::object());
    paths["/readyz"]["get"] = operation("Readiness: database and Karmada reachable", {{"type", "string"}},
                                        {{"503", {{"description", "not ready"}}}});
    paths["/metrics"]["get"] = operation("Prometheus metrics", {{"type", "string"}}, json::object());
    return {{"openapi", "3.0.3"},
            {"info", {{"title", "GPU federation broker API"}, {"version", "v1"}}},
            {"components",
             {{"schemas", schemas()},
              {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}}}},
            {"security", json::array({{{"bearer", json::array()}}})},
            {"paths", std::move(paths)}};
}

}  // namespace

const nlohmann::json& openapi_document() {
    static const nlohmann::json doc = build();
    return doc;
}

}  // namespace broker::routes
