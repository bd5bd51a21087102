#include "propagation/manifest/notebook.hpp"

#include "propagation/manifest/naming.hpp"
#include "propagation/manifest/pod_template.hpp"

namespace propagation::manifest {

namespace {

using nlohmann::json;

json selector_labels(const build_input& in) {
    return {{std::string(job_id_label), in.job_id}};
}

json deployment(const build_input& in) {
    json c = container(in, {.name = "notebook"});
    json port = json::object();
    port["name"] = "http";
    port["containerPort"] = notebook_container_port;
    port["protocol"] = "TCP";
    c["ports"] = json::array({std::move(port)});
    json prefix = json::object();
    prefix["name"] = "NB_PREFIX";
    prefix["value"] = notebook_path(in);
    if (auto env = c.find("env"); env != c.end()) {
        env->push_back(std::move(prefix));
    } else {
        c["env"] = json::array({std::move(prefix)});
    }

    json spec = json::object();
    spec["replicas"] = 1;
    spec["selector"] = {{"matchLabels", selector_labels(in)}};
    spec["strategy"] = {{"type", "Recreate"}};
    spec["template"] = pod_template(in, pod_spec(in, std::move(c), true));

    json d = json::object();
    d["apiVersion"] = "apps/v1";
    d["kind"] = "Deployment";
    d["metadata"] = object_metadata(in, in.form.name, true);
    d["spec"] = std::move(spec);
    return d;
}

json service(const build_input& in) {
    json port = json::object();
    port["name"] = "http";
    port["port"] = notebook_service_port;
    port["protocol"] = "TCP";
    port["targetPort"] = "http";
    json spec = json::object();
    spec["type"] = "ClusterIP";
    spec["selector"] = selector_labels(in);
    spec["ports"] = json::array({std::move(port)});

    json s = json::object();
    s["apiVersion"] = "v1";
    s["kind"] = "Service";
    s["metadata"] = object_metadata(in, in.form.name, false);
    s["spec"] = std::move(spec);
    return s;
}

json ingress(const build_input& in) {
    json backend = json::object();
    backend["service"] = {{"name", in.form.name}, {"port", {{"number", notebook_service_port}}}};
    json path = json::object();
    path["path"] = notebook_path(in);
    path["pathType"] = "Prefix";
    path["backend"] = std::move(backend);
    json rule = json::object();
    rule["http"] = {{"paths", json::array({std::move(path)})}};
    json spec = json::object();
    spec["rules"] = json::array({std::move(rule)});

    json i = json::object();
    i["apiVersion"] = "networking.k8s.io/v1";
    i["kind"] = "Ingress";
    i["metadata"] = object_metadata(in, in.form.name, false);
    i["spec"] = std::move(spec);
    return i;
}

}  // namespace

std::string notebook_path(const build_input& in) {
    std::string p = in.options.notebook_path_prefix;
    p += '/';
    p += in.form.namespace_;
    p += '/';
    p += in.form.name;
    return p;
}

result<void> build_notebook(const build_input& in, std::vector<json>& out) {
    out.push_back(deployment(in));
    out.push_back(service(in));
    out.push_back(ingress(in));
    return {};
}

}  // namespace propagation::manifest
