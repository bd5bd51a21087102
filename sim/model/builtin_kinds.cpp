#include "sim/model/builtin_kinds.hpp"

#include "sim/model/names.hpp"

#include <set>
#include <string>
#include <string_view>

namespace fedsim::model {

using nlohmann::json;

namespace {

bool is(const resource_info& r, std::string_view group, std::string_view plural) {
    return r.group == group && r.plural == plural && !r.crd;
}

void set_default(json& obj, const char* key, json value) {
    if (!obj.contains(key) || obj[key].is_null())
        obj[key] = std::move(value);
}

void default_container(json& c) {
    if (!c.is_object())
        return;
    set_default(c, "terminationMessagePath", "/dev/termination-log");
    set_default(c, "terminationMessagePolicy", "File");
    if (!c.contains("imagePullPolicy")) {
        std::string image = c.value("image", "");
        auto slash = image.rfind('/');
        auto colon = image.rfind(':');
        bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
        bool latest = !tagged || image.substr(colon + 1) == "latest";
        if (image.find('@') != std::string::npos)
            latest = false;
        c["imagePullPolicy"] = latest ? "Always" : "IfNotPresent";
    }
    auto& res = c["resources"];
    if (!res.is_object())
        res = json::object();
    // Requests default to limits when only limits are given.
    if (res.contains("limits") && res["limits"].is_object()) {
        auto& req = res["requests"];
        if (!req.is_object())
            req = json::object();
        for (const auto& [k, v] : res["limits"].items()) {
            if (!req.contains(k))
                req[k] = v;
        }
    }
    if (c.contains("ports") && c["ports"].is_array()) {
        for (auto& p : c["ports"]) {
            if (p.is_object())
                set_default(p, "protocol", "TCP");
        }
    }
}

void default_pod_spec(json& spec, const char* restart_policy) {
    if (!spec.is_object())
        return;
    set_default(spec, "restartPolicy", restart_policy);
    set_default(spec, "dnsPolicy", "ClusterFirst");
    set_default(spec, "schedulerName", "default-scheduler");
    set_default(spec, "terminationGracePeriodSeconds", 30);
    set_default(spec, "securityContext", json::object());
    for (const char* list : {"containers", "initContainers"}) {
        if (spec.contains(list) && spec[list].is_array()) {
            for (auto& c : spec[list])
                default_container(c);
        }
    }
}

void default_template(json& obj) {
    auto& spec = obj["spec"];
    if (!spec.is_object())
        return;
    auto& tmpl = spec["template"];
    if (!tmpl.is_object())
        return;
    if (!tmpl.contains("metadata") || !tmpl["metadata"].is_object())
        tmpl["metadata"] = json::object();
    default_pod_spec(tmpl["spec"], "Always");
}

/// The Job spec defaults every write gets (not the generated selector, which is create-only).
void default_job_spec(json& spec) {
    if (!spec.contains("completions") && !spec.contains("parallelism")) {
        spec["completions"] = 1;
        spec["parallelism"] = 1;
    }
    set_default(spec, "parallelism", 1);
    set_default(spec, "backoffLimit", 6);
    set_default(spec, "completionMode", "NonIndexed");
    set_default(spec, "suspend", false);
    set_default(spec, "podReplacementPolicy", "TerminatingOrFailed");
    if (spec.contains("template") && spec["template"].is_object()) {
        auto& tmpl = spec["template"];
        if (!tmpl.contains("spec") || !tmpl["spec"].is_object())
            tmpl["spec"] = json::object();
        // Job pod templates get no restartPolicy default here (validation wants it).
        auto& ps = tmpl["spec"];
        bool had_restart = ps.contains("restartPolicy");
        default_pod_spec(ps, "Always");
        if (!had_restart)
            ps.erase("restartPolicy");
    }
}

void default_deployment_spec(json& obj) {
    auto& spec = obj["spec"];
    set_default(spec, "replicas", 1);
    set_default(spec, "revisionHistoryLimit", 10);
    set_default(spec, "progressDeadlineSeconds", 600);
    set_default(spec, "strategy",
                {{"type", "RollingUpdate"},
                 {"rollingUpdate", {{"maxUnavailable", "25%"}, {"maxSurge", "25%"}}}});
    default_template(obj);
}

std::string int_or_string(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

/// Go's %#v of a map[string]string, as used in selector mismatch messages.
std::string go_map(const json& labels) {
    std::string s = "map[string]string{";
    bool first = true;
    if (labels.is_object()) {
        for (const auto& [k, v] : labels.items()) {
            if (!first)
                s += ", ";
            first = false;
            s +=
                json(k).dump() + ":" + json(v.is_string() ? v.get<std::string>() : v.dump()).dump();
        }
    }
    return s + "}";
}

void check_non_negative(const json& obj, const char* key, const std::string& path,
                        std::vector<status_cause>& causes) {
    auto it = obj.find(key);
    if (it != obj.end() && it->is_number_integer() && it->get<std::int64_t>() < 0) {
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + it->dump() + ": must be greater than or equal to 0",
                          path});
    }
}

void validate_containers(const json& spec, const std::string& path,
                         std::vector<status_cause>& causes) {
    auto it = spec.find("containers");
    if (it == spec.end() || !it->is_array() || it->empty()) {
        causes.push_back({"FieldValueRequired", "Required value", path + ".containers"});
        return;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
        const auto& c = (*it)[i];
        std::string p = path + ".containers[" + std::to_string(i) + "]";
        std::string name = c.is_object() ? c.value("name", "") : "";
        if (name.empty()) {
            causes.push_back({"FieldValueRequired", "Required value", p + ".name"});
        } else {
            for (const auto& e : dns1123_label_errors(name)) {
                causes.push_back(
                    {"FieldValueInvalid", invalid_value_prefix(name) + e, p + ".name"});
            }
        }
        if (!c.is_object() || c.value("image", "").empty()) {
            causes.push_back({"FieldValueRequired", "Required value", p + ".image"});
        }
    }
}

void validate_labels(const json& meta, std::vector<status_cause>& causes) {
    for (const char* what : {"labels", "annotations"}) {
        auto it = meta.find(what);
        if (it == meta.end() || it->is_null())
            continue;
        std::string path = std::string("metadata.") + what;
        if (!it->is_object()) {
            causes.push_back({"FieldValueTypeInvalid", "Invalid value: must be an object", path});
            continue;
        }
        for (const auto& [k, v] : it->items()) {
            std::string err = validate_qualified_name(k);
            if (!err.empty()) {
                causes.push_back({"FieldValueInvalid", invalid_value_prefix(k) + err, path});
            }
            if (!v.is_string()) {
                causes.push_back({"FieldValueTypeInvalid",
                                  "Invalid value: " + v.dump() + ": must be a string",
                                  path + "." + k});
                continue;
            }
            if (std::string_view(what) == "labels") {
                std::string verr = validate_label_value(v.get<std::string>());
                if (!verr.empty()) {
                    causes.push_back({"FieldValueInvalid",
                                      invalid_value_prefix(v.get<std::string>()) + verr, path});
                }
            }
        }
    }
}

}  // namespace

bool tracks_generation(const resource_info& r) {
    return r.crd || r.group == "apps" || r.group == "batch" || r.group == "networking.k8s.io" ||
           r.group == "cluster.karmada.io";
}

void apply_builtin_defaults(const resource_info& r, json& obj, std::uint64_t sequence) {
    auto& meta = obj["metadata"];
    const std::string name = meta.value("name", "");
    if (is(r, "", "namespaces")) {
        if (!meta.contains("labels") || !meta["labels"].is_object())
            meta["labels"] = json::object();
        meta["labels"]["kubernetes.io/metadata.name"] = name;
        obj["spec"] = {{"finalizers", json::array({"kubernetes"})}};
        obj["status"] = {{"phase", "Active"}};
    } else if (is(r, "", "pods")) {
        default_pod_spec(obj["spec"], "Always");
        obj["status"] = {{"phase", "Pending"}};
    } else if (is(r, "batch", "jobs")) {
        auto& spec = obj["spec"];
        if (!spec.is_object())
            return;
        default_job_spec(spec);
        if (spec.contains("template") && spec["template"].is_object()) {
            auto& tmpl = spec["template"];
            auto& tm = tmpl["metadata"];
            if (!tm.is_object())
                tm = json::object();
            auto& labels = tm["labels"];
            if (!labels.is_object())
                labels = json::object();
            std::string uid = meta.value("uid", "");
            if (!spec.value("manualSelector", false)) {
                labels["batch.kubernetes.io/controller-uid"] = uid;
                labels["batch.kubernetes.io/job-name"] = name;
                labels["controller-uid"] = uid;
                labels["job-name"] = name;
                spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
            }
        }
        obj["status"] = json::object();
    } else if (is(r, "apps", "deployments")) {
        auto& spec = obj["spec"];
        if (!spec.is_object())
            return;
        default_deployment_spec(obj);
        obj["status"] = json::object();
    } else if (is(r, "", "services")) {
        auto& spec = obj["spec"];
        if (!spec.is_object())
            spec = json::object();
        set_default(spec, "type", "ClusterIP");
        set_default(spec, "sessionAffinity", "None");
        std::string type = spec.value("type", "ClusterIP");
        if (type != "ExternalName" && !spec.contains("clusterIP")) {
            std::string ip = "10.96." + std::to_string((sequence / 250) % 250) + "." +
                             std::to_string(sequence % 250 + 2);
            spec["clusterIP"] = ip;
            spec["clusterIPs"] = json::array({ip});
        }
        if (type != "ExternalName") {
            set_default(spec, "ipFamilies", json::array({"IPv4"}));
            set_default(spec, "ipFamilyPolicy", "SingleStack");
            set_default(spec, "internalTrafficPolicy", "Cluster");
        }
        if (spec.contains("ports") && spec["ports"].is_array()) {
            for (auto& p : spec["ports"]) {
                if (!p.is_object())
                    continue;
                set_default(p, "protocol", "TCP");
                if (!p.contains("targetPort") && p.contains("port"))
                    p["targetPort"] = p["port"];
            }
        }
        obj["status"] = {{"loadBalancer", json::object()}};
    } else if (is(r, "", "persistentvolumeclaims")) {
        auto& spec = obj["spec"];
        if (spec.is_object())
            set_default(spec, "volumeMode", "Filesystem");
        obj["status"] = {{"phase", "Pending"}};
    } else if (is(r, "", "secrets")) {
        set_default(obj, "type", "Opaque");
    } else if (is(r, "networking.k8s.io", "ingresses")) {
        obj["status"] = {{"loadBalancer", json::object()}};
    }
}

void apply_builtin_write_defaults(const resource_info& r, json& obj) {
    if (!obj.is_object() || !obj.contains("spec") || !obj["spec"].is_object())
        return;
    auto& spec = obj["spec"];
    if (is(r, "", "pods")) {
        default_pod_spec(spec, "Always");
    } else if (is(r, "batch", "jobs")) {
        default_job_spec(spec);
    } else if (is(r, "apps", "deployments")) {
        default_deployment_spec(obj);
    } else if (is(r, "", "services")) {
        set_default(spec, "type", "ClusterIP");
        set_default(spec, "sessionAffinity", "None");
        if (spec.contains("ports") && spec["ports"].is_array()) {
            for (auto& p : spec["ports"]) {
                if (!p.is_object())
                    continue;
                set_default(p, "protocol", "TCP");
                if (!p.contains("targetPort") && p.contains("port"))
                    p["targetPort"] = p["port"];
            }
        }
    }
}

namespace {

// The top-level spec fields of the built-in kinds users send us (Kubernetes 1.32's types), so
// unknown ones get the API server's strict-decoding treatment; deeper levels are not checked.
const std::set<std::string_view> pod_spec_fields = {
    "volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
    "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector",
    "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "nodeName",
    "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "securityContext",
    "imagePullSecrets", "hostname", "subdomain", "affinity", "schedulerName", "tolerations",
    "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates",
    "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead",
    "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates",
    "resourceClaims", "resources"};
const std::set<std::string_view> job_spec_fields = {
    "parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy", "successPolicy",
    "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes", "selector", "manualSelector",
    "template", "ttlSecondsAfterFinished", "completionMode", "suspend", "podReplacementPolicy",
    "managedBy"};
const std::set<std::string_view> deployment_spec_fields = {
    "replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit",
    "paused", "progressDeadlineSeconds"};
const std::set<std::string_view> service_spec_fields = {
    "ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity",
    "loadBalancerIP", "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy",
    "healthCheckNodePort", "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies",
    "ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass",
    "internalTrafficPolicy", "trafficDistribution"};
const std::set<std::string_view> object_fields = {"apiVersion", "kind", "metadata", "spec",
                                                  "status"};

void check_fields(json& obj, const std::set<std::string_view>& known, const std::string& path,
                  bool prune, std::vector<std::string>& unknown) {
    if (!obj.is_object())
        return;
    std::vector<std::string> found;
    for (const auto& [k, v] : obj.items()) {
        if (!known.count(k))
            found.push_back(k);
    }
    for (const auto& k : found) {
        unknown.push_back(path + k);
        if (prune)
            obj.erase(k);
    }
}

}  // namespace

std::vector<std::string> builtin_unknown_fields(const resource_info& r, json& obj, bool prune) {
    std::vector<std::string> unknown;
    const std::set<std::string_view>* spec_fields = nullptr;
    bool has_template = false;
    if (is(r, "", "pods")) {
        spec_fields = &pod_spec_fields;
    } else if (is(r, "batch", "jobs")) {
        spec_fields = &job_spec_fields;
        has_template = true;
    } else if (is(r, "apps", "deployments")) {
        spec_fields = &deployment_spec_fields;
        has_template = true;
    } else if (is(r, "", "services")) {
        spec_fields = &service_spec_fields;
    }
    if (!spec_fields || !obj.is_object())
        return unknown;
    check_fields(obj, object_fields, "", prune, unknown);
    auto spec = obj.find("spec");
    if (spec == obj.end())
        return unknown;
    check_fields(*spec, *spec_fields, "spec.", prune, unknown);
    if (has_template && spec->is_object()) {
        auto tmpl = spec->find("template");
        if (tmpl != spec->end() && tmpl->is_object()) {
            check_fields(*tmpl, {"metadata", "spec"}, "spec.template.", prune, unknown);
            auto ps = tmpl->find("spec");
            if (ps != tmpl->end())
                check_fields(*ps, pod_spec_fields, "spec.template.spec.", prune, unknown);
        }
    }
    return unknown;
}

void validate_object(const resource_info& r, const json& obj, std::vector<status_cause>& causes) {
    const json& meta = obj["metadata"];
    std::string name = meta.value("name", "");
    if (name.empty()) {
        causes.push_back({"FieldValueRequired", "Required value: name or generateName is required",
                          "metadata.name"});
    } else if (!(r.group.empty() && r.plural == "events")) {
        std::vector<std::string> errs;
        if (is(r, "", "namespaces"))
            errs = dns1123_label_errors(name);
        else if (is(r, "", "services"))
            errs = dns1035_label_errors(name);
        else if (r.group == "cluster.karmada.io") {
            errs = dns1123_label_errors(name);
            if (name.size() > 48)
                errs.insert(errs.begin(), "must be no more than 48 characters");
        } else
            errs = dns1123_subdomain_errors(name);
        for (const auto& e : errs) {
            causes.push_back(
                {"FieldValueInvalid", invalid_value_prefix(name) + e, "metadata.name"});
        }
    }
    validate_labels(meta, causes);
    if (r.crd)
        return;  // the schema covers the rest

    const json& spec = obj.contains("spec") ? obj["spec"] : json();
    if (is(r, "", "pods")) {
        if (!spec.is_object()) {
            causes.push_back({"FieldValueRequired", "Required value", "spec.containers"});
        } else {
            validate_containers(spec, "spec", causes);
        }
    } else if (is(r, "batch", "jobs")) {
        if (!spec.is_object()) {
            causes.push_back({"FieldValueRequired", "Required value", "spec.template"});
            return;
        }
        check_non_negative(spec, "parallelism", "spec.parallelism", causes);
        check_non_negative(spec, "completions", "spec.completions", causes);
        check_non_negative(spec, "backoffLimit", "spec.backoffLimit", causes);
        if (auto a = spec.find("activeDeadlineSeconds");
            a != spec.end() && a->is_number_integer() && a->get<std::int64_t>() <= 0) {
            causes.push_back({"FieldValueInvalid",
                              "Invalid value: " + a->dump() + ": must be greater than 0",
                              "spec.activeDeadlineSeconds"});
        }
        const json& tmpl = spec.contains("template") ? spec["template"] : json();
        const json& ps = tmpl.is_object() && tmpl.contains("spec") ? tmpl["spec"] : json();
        if (!ps.is_object()) {
            causes.push_back(
                {"FieldValueRequired", "Required value", "spec.template.spec.containers"});
        } else {
            validate_containers(ps, "spec.template.spec", causes);
        }
        std::string rp = ps.is_object() ? ps.value("restartPolicy", "") : "";
        if (rp.empty()) {
            causes.push_back({"FieldValueRequired",
                              "Required value: valid values: \"OnFailure\", \"Never\"",
                              "spec.template.spec.restartPolicy"});
        } else if (rp != "OnFailure" && rp != "Never") {
            causes.push_back(
                {"FieldValueNotSupported",
                 "Unsupported value: \"" + rp + "\": supported values: \"OnFailure\", \"Never\"",
                 "spec.template.spec.restartPolicy"});
        }
    } else if (is(r, "apps", "deployments")) {
        if (!spec.is_object()) {
            causes.push_back({"FieldValueRequired", "Required value", "spec.selector"});
            return;
        }
        check_non_negative(spec, "replicas", "spec.replicas", causes);
        const json& sel = spec.contains("selector") ? spec["selector"] : json();
        const json& tmpl = spec.contains("template") ? spec["template"] : json();
        const json& tl = tmpl.is_object() && tmpl.contains("metadata") &&
                                 tmpl["metadata"].is_object() && tmpl["metadata"].contains("labels")
                             ? tmpl["metadata"]["labels"]
                             : json();
        if (!sel.is_object() || sel.empty()) {
            causes.push_back({"FieldValueRequired", "Required value", "spec.selector"});
        } else if (sel.contains("matchLabels") && sel["matchLabels"].is_object()) {
            for (const auto& [k, v] : sel["matchLabels"].items()) {
                if (!tl.is_object() || !tl.contains(k) || tl[k] != v) {
                    causes.push_back({"FieldValueInvalid",
                                      "Invalid value: " + go_map(tl) +
                                          ": `selector` does not match template `labels`",
                                      "spec.template.metadata.labels"});
                    break;
                }
            }
        }
        const json& ps = tmpl.is_object() && tmpl.contains("spec") ? tmpl["spec"] : json();
        if (!ps.is_object()) {
            causes.push_back(
                {"FieldValueRequired", "Required value", "spec.template.spec.containers"});
        } else {
            validate_containers(ps, "spec.template.spec", causes);
            std::string rp = ps.value("restartPolicy", "Always");
            if (rp != "Always") {
                causes.push_back({"FieldValueNotSupported",
                                  "Unsupported value: \"" + rp + "\": supported values: \"Always\"",
                                  "spec.template.spec.restartPolicy"});
            }
        }
    } else if (is(r, "", "services")) {
        if (spec.is_object() && spec.contains("ports") && spec["ports"].is_array()) {
            for (std::size_t i = 0; i < spec["ports"].size(); ++i) {
                const auto& p = spec["ports"][i];
                if (!p.is_object() || !p.contains("port")) {
                    causes.push_back({"FieldValueRequired", "Required value",
                                      "spec.ports[" + std::to_string(i) + "].port"});
                }
            }
        }
    }
}

void validate_update(const resource_info& r, const json& old_obj, const json& new_obj,
                     std::vector<status_cause>& causes) {
    auto field = [](const json& o, const char* a, const char* b) -> json {
        if (!o.contains(a) || !o[a].is_object() || !o[a].contains(b))
            return json();
        return o[a][b];
    };
    if (is(r, "batch", "jobs")) {
        if (field(old_obj, "spec", "selector") != field(new_obj, "spec", "selector")) {
            causes.push_back({"FieldValueInvalid", "Invalid value: \"object\": field is immutable",
                              "spec.selector"});
        }
        json ot = field(old_obj, "spec", "template");
        json nt = field(new_obj, "spec", "template");
        if (ot != nt) {
            causes.push_back({"FieldValueInvalid", "Invalid value: \"object\": field is immutable",
                              "spec.template"});
        }
        json oc = field(old_obj, "spec", "completions");
        json nc = field(new_obj, "spec", "completions");
        if (oc != nc && field(new_obj, "spec", "completionMode") != "Indexed") {
            causes.push_back({"FieldValueInvalid",
                              "Invalid value: " + int_or_string(nc) + ": field is immutable",
                              "spec.completions"});
        }
    } else if (is(r, "apps", "deployments")) {
        if (field(old_obj, "spec", "selector") != field(new_obj, "spec", "selector")) {
            causes.push_back({"FieldValueInvalid", "Invalid value: \"object\": field is immutable",
                              "spec.selector"});
        }
    }
}

}  // namespace fedsim::model
