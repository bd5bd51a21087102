#include "proxy/table_view.hpp"

#include <ctime>
#include <vector>

namespace proxy {

namespace {

using nlohmann::json;

const json& at(const json& j, std::initializer_list<const char*> path)
{
    static const json null_value;
    const json* cur = &j;
    for (const char* key : path) {
        if (!cur->is_object()) {
            return null_value;
        }
        auto it = cur->find(key);
        if (it == cur->end()) {
            return null_value;
        }
        cur = &*it;
    }
    return *cur;
}

std::string str(const json& j, std::initializer_list<const char*> path,
                const std::string& fallback = "")
{
    const auto& v = at(j, path);
    if (v.is_string()) {
        return v.get<std::string>();
    }
    if (v.is_number()) {
        return v.dump();
    }
    return fallback;
}

std::int64_t num(const json& j, std::initializer_list<const char*> path)
{
    const auto& v = at(j, path);
    return v.is_number_integer() ? v.get<std::int64_t>() : 0;
}

json column(const char* name, const char* type = "string", const char* format = "",
            int priority = 0)
{
    json c = json::object();
    c["name"] = name;
    c["type"] = type;
    c["format"] = format;
    c["description"] = "";
    c["priority"] = priority;
    return c;
}

std::string pod_status(const json& pod)
{
    if (!at(pod, {"metadata", "deletionTimestamp"}).is_null()) {
        return "Terminating";
    }
    std::string reason = str(pod, {"status", "reason"}, str(pod, {"status", "phase"}, "Unknown"));
    const auto& statuses = at(pod, {"status", "containerStatuses"});
    if (statuses.is_array()) {
        for (const auto& s : statuses) {
            auto waiting = str(s, {"state", "waiting", "reason"});
            auto terminated = str(s, {"state", "terminated", "reason"});
            if (!waiting.empty()) {
                reason = waiting;
            } else if (!terminated.empty() && reason == "Running") {
                reason = terminated;
            }
        }
    }
    return reason;
}

std::string pod_ready(const json& pod)
{
    const auto& statuses = at(pod, {"status", "containerStatuses"});
    const auto& containers = at(pod, {"spec", "containers"});
    std::size_t total = containers.is_array() ? containers.size() : 0;
    std::size_t ready = 0;
    if (statuses.is_array()) {
        total = std::max(total, statuses.size());
        for (const auto& s : statuses) {
            if (at(s, {"ready"}).is_boolean() && at(s, {"ready"}).get<bool>()) {
                ++ready;
            }
        }
    }
    return std::to_string(ready) + "/" + std::to_string(total);
}

std::int64_t pod_restarts(const json& pod)
{
    std::int64_t n = 0;
    const auto& statuses = at(pod, {"status", "containerStatuses"});
    if (statuses.is_array()) {
        for (const auto& s : statuses) {
            n += num(s, {"restartCount"});
        }
    }
    return n;
}

std::string condition_status(const json& object, const char* type)
{
    const auto& conditions = at(object, {"status", "conditions"});
    if (conditions.is_array()) {
        for (const auto& c : conditions) {
            if (str(c, {"type"}) == type) {
                return str(c, {"status"}, "Unknown");
            }
        }
    }
    return "Unknown";
}

std::string node_roles(const json& node)
{
    std::string roles;
    const auto& labels = at(node, {"metadata", "labels"});
    if (labels.is_object()) {
        constexpr std::string_view prefix = "node-role.kubernetes.io/";
        for (const auto& [key, value] : labels.items()) {
            if (key.starts_with(prefix)) {
                // Appended piecewise: `"," + std::string` trips g++ 12's -Wrestrict at -O3.
                if (!roles.empty()) {
                    roles += ',';
                }
                roles.append(key, prefix.size());
            }
        }
    }
    return roles.empty() ? "<none>" : roles;
}

std::string job_status(const json& job)
{
    const auto& conditions = at(job, {"status", "conditions"});
    if (conditions.is_array()) {
        for (const auto& c : conditions) {
            if (str(c, {"status"}) == "True" &&
                (str(c, {"type"}) == "Complete" || str(c, {"type"}) == "Failed")) {
                return str(c, {"type"});
            }
        }
    }
    return num(job, {"status", "active"}) > 0 ? "Running" : "Pending";
}

/// A workload CRD's state as its controllers report it, best effort.
std::string workload_state(const json& object)
{
    for (auto path : {std::initializer_list<const char*>{"status", "state", "phase"},
                      std::initializer_list<const char*>{"status", "jobStatus"},
                      std::initializer_list<const char*>{"status", "phase"}}) {
        auto s = str(object, path);
        if (!s.empty()) {
            return s;
        }
    }
    const auto& conditions = at(object, {"status", "conditions"});
    if (conditions.is_array() && !conditions.empty()) {
        for (auto it = conditions.rbegin(); it != conditions.rend(); ++it) {
            if (str(*it, {"status"}) == "True") {
                return str(*it, {"type"});
            }
        }
    }
    return "";
}

std::string service_ports(const json& svc)
{
    std::string out;
    const auto& ports = at(svc, {"spec", "ports"});
    if (ports.is_array()) {
        for (const auto& p : ports) {
            if (!out.empty()) {
                out += ',';
            }
            out.append(str(p, {"port"})).append("/").append(str(p, {"protocol"}, "TCP"));
        }
    }
    return out.empty() ? "<none>" : out;
}

}  // namespace

std::string human_age(const json& timestamp, std::chrono::system_clock::time_point now)
{
    if (!timestamp.is_string()) {
        return "<unknown>";
    }
    std::tm tm{};
    const auto text = timestamp.get<std::string>();
    if (::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
        return "<unknown>";
    }
    const auto then = std::chrono::system_clock::from_time_t(::timegm(&tm));
    auto s = std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
    if (s < 0) {
        s = 0;
    }
    if (s < 120) {
        return std::to_string(s) + "s";
    }
    if (s < 60 * 60) {
        return std::to_string(s / 60) + "m";
    }
    if (s < 48 * 3600) {
        return std::to_string(s / 3600) + "h";
    }
    return std::to_string(s / 86400) + "d";
}

bool wants_table(std::string_view accept)
{
    return accept.find("as=Table") != std::string_view::npos;
}

json to_table(const resource_kind& kind, const json& items, const json& list_metadata,
              const std::string& cluster_annotation, bool include_object,
              std::chrono::system_clock::time_point now)
{
    json columns = json::array();
    columns.push_back(column("Name", "string", "name"));
    const std::string& p = kind.plural;
    const bool core = kind.group.empty();
    if (core && p == "pods") {
        for (const char* c : {"Ready", "Status"}) {
            columns.push_back(column(c));
        }
        columns.push_back(column("Restarts", "integer"));
        columns.push_back(column("Age"));
        columns.push_back(column("IP", "string", "", 1));
        columns.push_back(column("Node", "string", "", 1));
    } else if (core && p == "nodes") {
        for (const char* c : {"Status", "Roles", "Age", "Version"}) {
            columns.push_back(column(c));
        }
    } else if (core && p == "namespaces") {
        columns.push_back(column("Status"));
        columns.push_back(column("Age"));
    } else if (core && p == "events") {
        for (const char* c : {"Type", "Reason", "Object", "Message", "Age"}) {
            columns.push_back(column(c));
        }
    } else if (core && p == "services") {
        for (const char* c : {"Type", "Cluster-IP", "Port(s)", "Age"}) {
            columns.push_back(column(c));
        }
    } else if (kind.group == "apps" && p == "deployments") {
        columns.push_back(column("Ready"));
        columns.push_back(column("Up-to-date", "integer"));
        columns.push_back(column("Available", "integer"));
        columns.push_back(column("Age"));
    } else if (kind.group == "batch" && p == "jobs") {
        columns.push_back(column("Status"));
        columns.push_back(column("Completions"));
        columns.push_back(column("Age"));
    } else {
        columns.push_back(column("State"));
        columns.push_back(column("Age"));
    }
    columns.push_back(column("Cluster"));

    json rows = json::array();
    if (items.is_array()) {
        for (const auto& item : items) {
            json cells = json::array();
            cells.push_back(str(item, {"metadata", "name"}));
            const auto age = human_age(at(item, {"metadata", "creationTimestamp"}), now);
            if (core && p == "pods") {
                cells.push_back(pod_ready(item));
                cells.push_back(pod_status(item));
                cells.push_back(pod_restarts(item));
                cells.push_back(age);
                cells.push_back(str(item, {"status", "podIP"}, "<none>"));
                cells.push_back(str(item, {"spec", "nodeName"}, "<none>"));
            } else if (core && p == "nodes") {
                const auto ready = condition_status(item, "Ready");
                cells.push_back(ready == "True" ? "Ready" : "NotReady");
                cells.push_back(node_roles(item));
                cells.push_back(age);
                cells.push_back(str(item, {"status", "nodeInfo", "kubeletVersion"}));
            } else if (core && p == "namespaces") {
                cells.push_back(str(item, {"status", "phase"}, "Active"));
                cells.push_back(age);
            } else if (core && p == "events") {
                cells.push_back(str(item, {"type"}));
                cells.push_back(str(item, {"reason"}));
                auto object_kind = str(item, {"involvedObject", "kind"});
                for (auto& ch : object_kind) {
                    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                }
                cells.push_back(object_kind + "/" + str(item, {"involvedObject", "name"}));
                cells.push_back(str(item, {"message"}));
                cells.push_back(age);
            } else if (core && p == "services") {
                cells.push_back(str(item, {"spec", "type"}, "ClusterIP"));
                cells.push_back(str(item, {"spec", "clusterIP"}, "<none>"));
                cells.push_back(service_ports(item));
                cells.push_back(age);
            } else if (kind.group == "apps" && p == "deployments") {
                cells.push_back(std::to_string(num(item, {"status", "readyReplicas"})) + "/" +
                                std::to_string(num(item, {"spec", "replicas"})));
                cells.push_back(num(item, {"status", "updatedReplicas"}));
                cells.push_back(num(item, {"status", "availableReplicas"}));
                cells.push_back(age);
            } else if (kind.group == "batch" && p == "jobs") {
                cells.push_back(job_status(item));
                const auto completions = at(item, {"spec", "completions"}).is_number_integer()
                                             ? num(item, {"spec", "completions"})
                                             : 1;
                cells.push_back(std::to_string(num(item, {"status", "succeeded"})) + "/" +
                                std::to_string(completions));
                cells.push_back(age);
            } else {
                cells.push_back(workload_state(item));
                cells.push_back(age);
            }
            cells.push_back(str(item, {"metadata", "annotations", cluster_annotation.c_str()}));

            json row = json::object();
            row["cells"] = std::move(cells);
            if (include_object) {
                row["object"] = item;
            } else {
                json partial = json::object();
                partial["kind"] = "PartialObjectMetadata";
                partial["apiVersion"] = "meta.k8s.io/v1";
                partial["metadata"] = at(item, {"metadata"});
                row["object"] = std::move(partial);
            }
            rows.push_back(std::move(row));
        }
    }
    json table = json::object();
    table["kind"] = "Table";
    table["apiVersion"] = "meta.k8s.io/v1";
    table["metadata"] = list_metadata.is_object() ? list_metadata : json::object();
    table["columnDefinitions"] = std::move(columns);
    table["rows"] = std::move(rows);
    return table;
}

}  // namespace proxy
