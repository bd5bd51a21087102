#include "sim/api/table.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ctime>
#include <functional>

namespace fedsim::api {

namespace {

using nlohmann::json;
using model::time_point;

struct column {
    const char* name;
    const char* type;
    const char* format;
    int priority;
};

json column_json(const column& c)
{
    return {{"name", c.name},
            {"type", c.type},
            {"format", c.format},
            {"description", ""},
            {"priority", c.priority}};
}

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

std::string str(const json& j, std::initializer_list<const char*> path, std::string fallback = "")
{
    const auto& v = at(j, path);
    if (v.is_string()) {
        return v.get<std::string>();
    }
    if (v.is_number_integer()) {
        return std::to_string(v.get<std::int64_t>());
    }
    return fallback;
}

std::int64_t num(const json& j, std::initializer_list<const char*> path, std::int64_t fallback = 0)
{
    const auto& v = at(j, path);
    return v.is_number_integer() ? v.get<std::int64_t>() : fallback;
}

std::optional<time_point> parse_time(const std::string& s)
{
    std::tm tm{};
    if (s.size() < 20 || std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
                                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
        return std::nullopt;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string age_of(const std::string& timestamp, time_point now)
{
    auto t = parse_time(timestamp);
    if (!t) {
        return "<unknown>";
    }
    return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

std::string age(const json& obj, time_point now)
{
    return age_of(str(obj, {"metadata", "creationTimestamp"}), now);
}

const json* find_condition(const json& obj, const char* type)
{
    const auto& conds = at(obj, {"status", "conditions"});
    if (!conds.is_array()) {
        return nullptr;
    }
    for (const auto& c : conds) {
        if (c.is_object() && c.value("type", "") == type) {
            return &c;
        }
    }
    return nullptr;
}

bool condition_true(const json& obj, const char* type)
{
    const auto* c = find_condition(obj, type);
    return c && c->value("status", "") == "True";
}

std::string none_if_empty(std::string s)
{
    return s.empty() ? "<none>" : s;
}

// --- per-kind printers (kubectl's columns, pkg/printers/internalversion) -------------------

json pod_cells(const json& pod, time_point now)
{
    const auto& containers = at(pod, {"spec", "containers"});
    std::size_t total = containers.is_array() ? containers.size() : 0;
    std::size_t ready = 0;
    std::int64_t restarts = 0;
    std::string reason = str(pod, {"status", "reason"}, str(pod, {"status", "phase"}, "Unknown"));
    const auto& statuses = at(pod, {"status", "containerStatuses"});
    if (statuses.is_array()) {
        for (const auto& cs : statuses) {
            if (cs.value("ready", false)) {
                ++ready;
            }
            restarts += cs.value("restartCount", std::int64_t{0});
            const auto& waiting = at(cs, {"state", "waiting", "reason"});
            const auto& terminated = at(cs, {"state", "terminated"});
            if (waiting.is_string() && !waiting.get<std::string>().empty()) {
                reason = waiting.get<std::string>();
            } else if (terminated.is_object()) {
                auto r = terminated.value("reason", std::string());
                if (!r.empty()) {
                    reason = r;
                } else {
                    reason = terminated.value("exitCode", 0) == 0 ? "Completed" : "Error";
                }
            }
        }
    }
    if (!at(pod, {"metadata", "deletionTimestamp"}).is_null()) {
        reason = "Terminating";
    }
    return json::array({str(pod, {"metadata", "name"}),
                        std::to_string(ready) + "/" + std::to_string(total), reason, restarts,
                        age(pod, now), none_if_empty(str(pod, {"status", "podIP"})),
                        none_if_empty(str(pod, {"spec", "nodeName"})), "<none>", "<none>"});
}

json job_cells(const json& job, time_point now)
{
    std::string status = "Running";
    if (condition_true(job, "Complete")) {
        status = "Complete";
    } else if (condition_true(job, "Failed")) {
        status = "Failed";
    } else if (condition_true(job, "FailureTarget")) {
        status = "FailureTarget";
    } else if (condition_true(job, "SuccessCriteriaMet")) {
        status = "SuccessCriteriaMet";
    } else if (condition_true(job, "Suspended") || at(job, {"spec", "suspend"}) == true) {
        status = "Suspended";
    }
    std::int64_t succeeded = num(job, {"status", "succeeded"});
    std::string completions;
    const auto& comp = at(job, {"spec", "completions"});
    if (comp.is_number_integer()) {
        completions = std::to_string(succeeded) + "/" + std::to_string(comp.get<std::int64_t>());
    } else {
        completions = std::to_string(succeeded) + "/1 of " +
                      std::to_string(num(job, {"spec", "parallelism"}, 1));
    }
    std::string duration;
    auto start = parse_time(str(job, {"status", "startTime"}));
    if (start) {
        auto end = parse_time(str(job, {"status", "completionTime"})).value_or(now);
        duration = human_duration(std::chrono::duration_cast<std::chrono::seconds>(end - *start));
    }
    std::string images;
    std::string names;
    const auto& containers = at(job, {"spec", "template", "spec", "containers"});
    if (containers.is_array()) {
        for (const auto& c : containers) {
            names += (names.empty() ? "" : ",") + c.value("name", std::string());
            images += (images.empty() ? "" : ",") + c.value("image", std::string());
        }
    }
    std::string selector;
    const auto& labels = at(job, {"spec", "selector", "matchLabels"});
    if (labels.is_object()) {
        for (const auto& [k, v] : labels.items()) {
            selector += (selector.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
        }
    }
    return json::array({str(job, {"metadata", "name"}), status, completions, duration,
                        age(job, now), names, images, none_if_empty(selector)});
}

json deployment_cells(const json& d, time_point now)
{
    return json::array({str(d, {"metadata", "name"}),
                        std::to_string(num(d, {"status", "readyReplicas"})) + "/" +
                            std::to_string(num(d, {"spec", "replicas"}, 1)),
                        num(d, {"status", "updatedReplicas"}),
                        num(d, {"status", "availableReplicas"}), age(d, now)});
}

json node_cells(const json& n, time_point now)
{
    std::string status = condition_true(n, "Ready") ? "Ready" : "NotReady";
    if (at(n, {"spec", "unschedulable"}) == true) {
        status += ",SchedulingDisabled";
    }
    std::string roles;
    const auto& labels = at(n, {"metadata", "labels"});
    if (labels.is_object()) {
        for (const auto& [k, v] : labels.items()) {
            constexpr std::string_view prefix = "node-role.kubernetes.io/";
            if (k.rfind(prefix, 0) == 0) {
                roles += (roles.empty() ? "" : ",") + k.substr(prefix.size());
            }
        }
    }
    return json::array({str(n, {"metadata", "name"}), status, none_if_empty(roles), age(n, now),
                        str(n, {"status", "nodeInfo", "kubeletVersion"})});
}

json namespace_cells(const json& n, time_point now)
{
    return json::array({str(n, {"metadata", "name"}), str(n, {"status", "phase"}, "Active"),
                        age(n, now)});
}

json service_cells(const json& s, time_point now)
{
    std::string ports;
    const auto& list = at(s, {"spec", "ports"});
    if (list.is_array()) {
        for (const auto& p : list) {
            ports += (ports.empty() ? "" : ",") + std::to_string(p.value("port", 0)) + "/" +
                     p.value("protocol", std::string("TCP"));
        }
    }
    return json::array({str(s, {"metadata", "name"}), str(s, {"spec", "type"}, "ClusterIP"),
                        none_if_empty(str(s, {"spec", "clusterIP"})), "<none>",
                        none_if_empty(ports), age(s, now)});
}

json event_cells(const json& e, time_point now)
{
    std::string last = str(e, {"lastTimestamp"});
    if (last.empty()) {
        last = str(e, {"eventTime"});
    }
    if (last.empty()) {
        last = str(e, {"metadata", "creationTimestamp"});
    }
    std::string object = str(e, {"involvedObject", "kind"});
    std::transform(object.begin(), object.end(), object.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    object += "/" + str(e, {"involvedObject", "name"});
    return json::array({age_of(last, now), str(e, {"type"}), str(e, {"reason"}), object,
                        str(e, {"message"})});
}

json cluster_cells(const json& c, time_point now)
{
    const auto* ready = find_condition(c, "Ready");
    return json::array({str(c, {"metadata", "name"}), str(c, {"status", "kubernetesVersion"}),
                        str(c, {"spec", "syncMode"}),
                        ready ? ready->value("status", std::string("Unknown")) : "Unknown",
                        age(c, now), str(c, {"spec", "apiEndpoint"})});
}

struct printer {
    const char* group;
    const char* plural;
    std::vector<column> columns;
    std::function<json(const json&, time_point)> cells;
};

const std::vector<printer>& printers()
{
    static const std::vector<printer> table = {
        {"", "pods",
         {{"Name", "string", "name", 0}, {"Ready", "string", "", 0}, {"Status", "string", "", 0},
          {"Restarts", "string", "", 0}, {"Age", "string", "", 0}, {"IP", "string", "", 1},
          {"Node", "string", "", 1}, {"Nominated Node", "string", "", 1},
          {"Readiness Gates", "string", "", 1}},
         pod_cells},
        {"batch", "jobs",
         {{"Name", "string", "name", 0}, {"Status", "string", "", 0},
          {"Completions", "string", "", 0}, {"Duration", "string", "", 0},
          {"Age", "string", "", 0}, {"Containers", "string", "", 1},
          {"Images", "string", "", 1}, {"Selector", "string", "", 1}},
         job_cells},
        {"apps", "deployments",
         {{"Name", "string", "name", 0}, {"Ready", "string", "", 0},
          {"Up-to-date", "integer", "", 0}, {"Available", "integer", "", 0},
          {"Age", "string", "", 0}},
         deployment_cells},
        {"", "nodes",
         {{"Name", "string", "name", 0}, {"Status", "string", "", 0}, {"Roles", "string", "", 0},
          {"Age", "string", "", 0}, {"Version", "string", "", 0}},
         node_cells},
        {"", "namespaces",
         {{"Name", "string", "name", 0}, {"Status", "string", "", 0}, {"Age", "string", "", 0}},
         namespace_cells},
        {"", "services",
         {{"Name", "string", "name", 0}, {"Type", "string", "", 0},
          {"Cluster-IP", "string", "", 0}, {"External-IP", "string", "", 0},
          {"Port(s)", "string", "", 0}, {"Age", "string", "", 0}},
         service_cells},
        {"", "events",
         {{"Last Seen", "string", "", 0}, {"Type", "string", "", 0}, {"Reason", "string", "", 0},
          {"Object", "string", "", 0}, {"Message", "string", "", 0}},
         event_cells},
        {"cluster.karmada.io", "clusters",
         {{"Name", "string", "name", 0}, {"Version", "string", "", 0}, {"Mode", "string", "", 0},
          {"Ready", "string", "", 0}, {"Age", "string", "", 0},
          {"APIEndpoint", "string", "", 1}},
         cluster_cells},
    };
    return table;
}

/// Karmada's own CRD printer columns, for when the CRDs were not loaded with --crd-dir.
std::vector<model::printer_column> fallback_columns(const model::resource_info& r)
{
    if (r.group == "work.karmada.io" &&
        (r.plural == "resourcebindings" || r.plural == "clusterresourcebindings")) {
        return {{"SCHEDULED", "string", "", "", R"(.status.conditions[?(@.type=="Scheduled")].status)", 0},
                {"FULLYAPPLIED", "string", "", "",
                 R"(.status.conditions[?(@.type=="FullyApplied")].status)", 0},
                {"AGE", "date", "", "", ".metadata.creationTimestamp", 0}};
    }
    if (r.group == "policy.karmada.io" &&
        (r.plural == "propagationpolicies" || r.plural == "clusterpropagationpolicies")) {
        return {{"CONFLICT-RESOLUTION", "string", "", "", ".spec.conflictResolution", 0},
                {"PRIORITY", "string", "", "", ".spec.priority", 0},
                {"AGE", "date", "", "", ".metadata.creationTimestamp", 0}};
    }
    return {};
}

json cell_value(const json& v)
{
    if (v.is_null()) {
        return "<none>";
    }
    if (v.is_primitive()) {
        return v;
    }
    return v.dump();
}

} // namespace

bool wants_table(std::string_view accept)
{
    return accept.find("as=Table") != std::string_view::npos;
}

std::string human_duration(std::chrono::seconds d)
{
    auto s = d.count();
    if (s < -1) {
        return "<invalid>";
    }
    if (s < 0) {
        return "0s";
    }
    auto fmt2 = [](long long a, const char* ua, long long b, const char* ub) {
        return b == 0 ? std::to_string(a) + ua : std::to_string(a) + ua + std::to_string(b) + ub;
    };
    if (s < 60 * 2) {
        return std::to_string(s) + "s";
    }
    auto m = s / 60;
    if (m < 10) {
        return fmt2(m, "m", s % 60, "s");
    }
    if (m < 60 * 3) {
        return std::to_string(m) + "m";
    }
    auto h = m / 60;
    if (h < 8) {
        return fmt2(h, "h", m % 60, "m");
    }
    if (h < 48) {
        return std::to_string(h) + "h";
    }
    if (h < 24 * 8) {
        return fmt2(h / 24, "d", h % 24, "h");
    }
    if (h < 24 * 365 * 2) {
        return std::to_string(h / 24) + "d";
    }
    if (h < 24 * 365 * 8) {
        return fmt2(h / 24 / 365, "y", (h / 24) % 365, "d");
    }
    return std::to_string(h / 24 / 365) + "y";
}

json eval_json_path(const json& object, std::string_view path)
{
    std::vector<const json*> cur = {&object};
    std::size_t i = 0;
    if (!path.empty() && path.front() == '{' && path.back() == '}') {
        path = path.substr(1, path.size() - 2);
    }
    while (i < path.size() && !cur.empty()) {
        std::vector<const json*> next;
        if (path[i] == '.') {
            ++i;
            auto end = path.find_first_of(".[", i);
            if (end == std::string_view::npos) {
                end = path.size();
            }
            std::string key(path.substr(i, end - i));
            i = end;
            for (const auto* c : cur) {
                if (c->is_object()) {
                    auto it = c->find(key);
                    if (it != c->end()) {
                        next.push_back(&*it);
                    }
                }
            }
        } else if (path[i] == '[') {
            auto end = path.find(']', i);
            if (end == std::string_view::npos) {
                return nullptr;
            }
            std::string inner(path.substr(i + 1, end - i - 1));
            i = end + 1;
            for (const auto* c : cur) {
                if (!c->is_array()) {
                    continue;
                }
                if (inner == "*") {
                    for (const auto& e : *c) {
                        next.push_back(&e);
                    }
                } else if (inner.rfind("?(@.", 0) == 0) {
                    auto eq = inner.find("==");
                    if (eq == std::string::npos) {
                        continue;
                    }
                    std::string key = inner.substr(4, eq - 4);
                    std::string value = inner.substr(eq + 2);
                    if (!value.empty() && value.back() == ')') {
                        value.pop_back();
                    }
                    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) {
                        value = value.substr(1, value.size() - 2);
                    }
                    for (const auto& e : *c) {
                        if (e.is_object() && e.contains(key) && e[key].is_string() &&
                            e[key].get<std::string>() == value) {
                            next.push_back(&e);
                        }
                    }
                } else {
                    char* endp = nullptr;
                    long idx = std::strtol(inner.c_str(), &endp, 10);
                    if (endp && *endp == '\0') {
                        if (idx < 0) {
                            idx += static_cast<long>(c->size());
                        }
                        if (idx >= 0 && static_cast<std::size_t>(idx) < c->size()) {
                            next.push_back(&(*c)[static_cast<std::size_t>(idx)]);
                        }
                    }
                }
            }
        } else {
            return nullptr;
        }
        cur = std::move(next);
    }
    if (cur.empty()) {
        return nullptr;
    }
    return *cur.front();
}

json to_table(const model::resource_info& resource, const std::vector<model::object_ptr>& items,
              time_point now, const json& list_metadata)
{
    json columns = json::array();
    std::function<json(const json&)> cells;
    const printer* builtin = nullptr;
    for (const auto& p : printers()) {
        if (resource.group == p.group && resource.plural == p.plural) {
            builtin = &p;
        }
    }
    if (builtin) {
        for (const auto& c : builtin->columns) {
            columns.push_back(column_json(c));
        }
        cells = [builtin, now](const json& o) { return builtin->cells(o, now); };
    } else {
        columns.push_back(column_json({"Name", "string", "name", 0}));
        std::vector<model::printer_column> cols = resource.columns;
        if (cols.empty()) {
            cols = fallback_columns(resource);
        }
        bool has_age = false;
        for (const auto& c : cols) {
            has_age = has_age || c.name == "Age" || c.name == "AGE";
        }
        if (cols.empty() || !has_age) {
            cols.push_back({"Age", "date", "", "", ".metadata.creationTimestamp", 0});
        }
        for (const auto& c : cols) {
            columns.push_back({{"name", c.name},
                               {"type", c.type},
                               {"format", c.format},
                               {"description", c.description},
                               {"priority", c.priority}});
        }
        cells = [cols, now](const json& o) {
            json row = json::array({at(o, {"metadata", "name"})});
            for (const auto& c : cols) {
                auto v = eval_json_path(o, c.json_path);
                // As the CRD table convertor does: dates are printed as ages.
                if (c.type == "date" && v.is_string()) {
                    row.push_back(age_of(v.get<std::string>(), now));
                } else {
                    row.push_back(cell_value(v));
                }
            }
            return row;
        };
    }
    json rows = json::array();
    for (const auto& item : items) {
        json meta = item->contains("metadata") ? (*item)["metadata"] : json::object();
        meta.erase("managedFields");
        rows.push_back({{"cells", cells(*item)},
                        {"object",
                         {{"kind", "PartialObjectMetadata"},
                          {"apiVersion", "meta.k8s.io/v1"},
                          {"metadata", std::move(meta)}}}});
    }
    return {{"kind", "Table"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata", list_metadata.is_object() ? list_metadata : json::object()},
            {"columnDefinitions", columns},
            {"rows", rows}};
}

} // namespace fedsim::api
