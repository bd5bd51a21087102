#include "sim/model/member_cluster.hpp"
#include "sim/model/json_access.hpp"

#include "sim/model/federation.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace fedsim::model {

using nlohmann::json;

namespace {

/// Pods a workload controller creates or deletes per sync, as kube-controller-manager's
/// ReplicaSet (burstReplicas) and Job controllers cap it; the rest follows on later ticks.
constexpr std::size_t burst_replicas = 500;

std::string key_of(const std::string& ns, const std::string& name) {
    return ns + "/" + name;
}

std::string owner_key(const resource_info& r, const std::string& ns, const std::string& name) {
    return r.group + "/" + r.plural + "/" + ns + "/" + name;
}

/// splitmix64: a small deterministic hash for outcomes and log content.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::uint64_t hash_str(std::string_view s, std::uint64_t seed) {
    std::uint64_t h = 1469598103934665603ULL ^ seed;
    for (unsigned char c : s)
        h = (h ^ c) * 1099511628211ULL;
    return mix(h);
}

std::string rfc3339(time_point t) {
    return format_time(t);
}

std::string rfc3339_nano(time_point t) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    auto secs = ns / 1000000000;
    auto frac = ns % 1000000000;
    std::string base = format_time(time_point(std::chrono::seconds(secs)));
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
    return base.substr(0, base.size() - 1) + buf + "Z";
}

time_point after(time_point t, double seconds) {
    return t + std::chrono::duration_cast<time_point::duration>(
                   std::chrono::duration<double>(std::max(0.0, seconds)));
}

json condition(const std::string& type, bool status, const std::string& reason,
               const std::string& message, time_point t) {
    json c = {{"type", type},
              {"status", status ? "True" : "False"},
              {"lastProbeTime", nullptr},
              {"lastTransitionTime", rfc3339(t)}};
    if (!reason.empty())
        c["reason"] = reason;
    if (!message.empty())
        c["message"] = message;
    return c;
}

const char hash_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

std::string short_hash(std::uint64_t h, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += hash_alphabet[h % (sizeof hash_alphabet - 1)];
        h /= (sizeof hash_alphabet - 1);
        if (h == 0)
            h = mix(i + 7);
    }
    return s;
}

}  // namespace

// --- construction ----------------------------------------------------------------------------

member_cluster::member_cluster(const resource_registry& registry, cluster_config config,
                               std::uint64_t seed, double time_scale, std::size_t history,
                               bool pod_events, time_point start)
    : registry_(registry),
      config_(std::move(config)),
      time_scale_(time_scale > 0 ? time_scale : 1),
      pod_events_(pod_events),
      store_(registry, config_.name, seed, history),
      seed_(seed),
      now_(start) {
    store_.set_time(start);
    pods_res_ = registry_.find("", "v1", "pods");
    events_res_ = registry_.find("", "v1", "events");
    if (const auto* ns = registry_.find("", "v1", "namespaces")) {
        for (const char* n : {"default", "kube-node-lease", "kube-public", "kube-system"}) {
            (void)store_.create(*ns, "", json{{"metadata", {{"name", n}}}});
        }
    }
    create_nodes(start);
    for (const auto* r :
         {pods_res_, registry_.find("batch", "v1", "jobs"),
          registry_.find("apps", "v1", "deployments"),
          registry_.find("kubeflow.org", "v1", "pytorchjobs"),
          registry_.find("batch.volcano.sh", "v1alpha1", "jobs"),
          registry_.find("ray.io", "v1", "rayclusters"), registry_.find("ray.io", "v1", "rayjobs"),
          registry_.find("kubeflow.org", "v1", "notebooks")}) {
        if (r)
            watched_.push_back(r);
    }
    seen_rv_ = store_.resource_version();
}

member_cluster::~member_cluster() = default;

void member_cluster::create_nodes(time_point start) {
    const auto* nodes_res = registry_.find("", "v1", "nodes");
    // Nodes are most of a large member's objects and are rarely read (kubectl get nodes):
    // kept as text they take a fraction of the memory. The scheduler uses `nodes_`.
    if (nodes_res)
        store_.store_compactly(*nodes_res);
    std::size_t index = 0;
    for (const auto& g : config_.nodes) {
        for (std::int64_t i = 0; i < g.count; ++i, ++index) {
            node_state n;
            n.name = (g.name_prefix.empty() ? config_.name + "-node" : g.name_prefix) + "-" +
                     std::to_string(i);
            n.allocatable.cpu_milli = parse_amount("cpu", json(g.cpu));
            n.allocatable.memory = parse_amount("memory", json(g.memory));
            if (g.gpus > 0)
                n.allocatable.scalar[g.gpu_resource] = g.gpus;
            n.pods_allocatable = g.pods;
            if (nodes_res) {
                json labels = {{"kubernetes.io/hostname", n.name},
                               {"kubernetes.io/os", "linux"},
                               {"kubernetes.io/arch", "amd64"},
                               {"node.kubernetes.io/instance-type", "fedsim"}};
                if (!config_.region.empty())
                    labels["topology.kubernetes.io/region"] = config_.region;
                if (!config_.zones.empty()) {
                    labels["topology.kubernetes.io/zone"] =
                        config_.zones[index % config_.zones.size()];
                }
                if (!g.gpu_model.empty()) {
                    labels["gpu.model"] = g.gpu_model;
                    labels["nvidia.com/gpu.product"] = "NVIDIA-" + g.gpu_model;
                    labels["nvidia.com/gpu.count"] = std::to_string(g.gpus);
                }
                for (const auto& [k, v] : g.labels)
                    labels[k] = v;
                json resources = n.allocatable.to_json(n.pods_allocatable);
                std::string ip = "10." + std::to_string(index / 65536 % 256) + "." +
                                 std::to_string(index / 256 % 256) + "." +
                                 std::to_string(index % 256);
                n.ip = ip;
                json node = {
                    {"metadata", {{"name", n.name}, {"labels", labels}}},
                    {"spec",
                     {{"podCIDR", "10.244." + std::to_string(index % 256) + ".0/24"},
                      {"providerID", "fedsim://" + config_.name + "/" + n.name}}},
                    {"status",
                     {{"capacity", resources},
                      {"allocatable", resources},
                      {"conditions", json::array({{{"type", "Ready"},
                                                   {"status", "True"},
                                                   {"reason", "KubeletReady"},
                                                   {"message", "kubelet is posting ready status"},
                                                   {"lastHeartbeatTime", rfc3339(start)},
                                                   {"lastTransitionTime", rfc3339(start)}}})},
                      {"addresses", json::array({{{"type", "InternalIP"}, {"address", ip}},
                                                 {{"type", "Hostname"}, {"address", n.name}}})},
                      {"nodeInfo",
                       {{"kubeletVersion", config_.kubernetes_version},
                        {"containerRuntimeVersion", "containerd://1.7.22"},
                        {"osImage", "Ubuntu 22.04.4 LTS"},
                        {"kernelVersion", "5.15.0-119-generic"},
                        {"architecture", "amd64"},
                        {"operatingSystem", "linux"}}}}}};
                store_.put(*nodes_res, std::move(node));
            }
            nodes_.push_back(std::move(n));
        }
    }
}

// --- event intake ----------------------------------------------------------------------------

void member_cluster::track_pod(const json& pod) {
    const json& meta = jget(pod, "metadata");
    std::string key = key_of(sget(meta, "namespace"), sget(meta, "name"));
    auto existing = pods_.find(key);
    if (existing != pods_.end() && existing->second.uid == sget(meta, "uid"))
        return;
    if (existing != pods_.end())
        forget_pod(key);
    pod_state p;
    p.ns = sget(meta, "namespace");
    p.name = sget(meta, "name");
    p.uid = sget(meta, "uid");
    const json& spec = jget(pod, "spec");
    p.requests = pod_requests(spec);
    std::string restart = sget(spec, "restartPolicy");
    const json& labels = jget(meta, "labels");
    bool long_running_kind = labels.is_object() && (labels.contains("ray.io/node-type") ||
                                                    labels.contains("notebook-name"));
    p.run_to_completion = restart != "Always" && !restart.empty() && !long_running_kind;
    p.run_seconds = config_.workload.run_seconds;
    const json& ann = jget(meta, "annotations");
    if (const auto& rs = sget(ann, "fedsim.io/run-seconds"); !rs.empty()) {
        try {
            p.run_seconds = std::stod(rs);
            p.run_to_completion = true;
        } catch (const std::exception&) {
        }
    }
    const std::string& outcome = sget(ann, "fedsim.io/outcome");
    if (outcome == "fail")
        p.will_fail = true;
    else if (outcome == "succeed")
        p.will_fail = false;
    else {
        double u =
            static_cast<double>(hash_str(p.ns + "/" + p.name, seed_) >> 11) / 9007199254740992.0;
        p.will_fail = u < config_.workload.failure_rate;
    }
    if (spec.contains("containers") && spec["containers"].is_array()) {
        for (const auto& c : spec["containers"])
            p.containers.push_back(sget(c, "name"));
    }
    // The controller that owns the pod.
    if (const json& refs = jget(meta, "ownerReferences"); refs.is_array()) {
        for (const auto& ref : refs) {
            if (!ref.value("controller", false))
                continue;
            const std::string& kind = sget(ref, "kind");
            std::string rname = sget(ref, "name");
            const resource_info* r = registry_.find_kind(sget(ref, "apiVersion"), kind);
            // Unserved intermediates: a ReplicaSet "<deployment>-<hash>", a StatefulSet named
            // after its Notebook.
            if (!r && kind == "ReplicaSet" && rname.rfind('-') != std::string::npos) {
                r = registry_.find("apps", "v1", "deployments");
                rname = rname.substr(0, rname.rfind('-'));
            } else if (!r && kind == "StatefulSet") {
                r = registry_.find("kubeflow.org", "v1", "notebooks");
            }
            if (r)
                p.owner = owner_key(*r, p.ns, rname);
        }
    }
    p.created = now_;
    p.sequence = ++sequence_;
    const std::string& phase = sget(jget(pod, "status"), "phase");
    if (phase == "Succeeded" || phase == "Failed") {
        p.phase = phase == "Succeeded" ? pod_phase::succeeded : pod_phase::failed;
    } else if (const std::string& node = sget(spec, "nodeName"); !node.empty()) {
        // Bound by someone else (or re-tracked): account it on that node.
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            if (nodes_[i].name == node) {
                p.node = static_cast<int>(i);
                nodes_[i].used.add(p.requests);
                nodes_[i].pods_used += 1;
                break;
            }
        }
        p.phase = phase == "Running" ? pod_phase::running : pod_phase::creating;
        p.scheduled = now_;
        p.started = now_;
        if (p.phase == pod_phase::creating) {
            timers_.emplace(after(now_, config_.workload.start_seconds / time_scale_), key);
        } else if (p.run_to_completion) {
            timers_.emplace(after(now_, p.run_seconds / time_scale_), key);
        }
    } else {
        pending_.insert({p.sequence, key});
    }
    if (!p.owner.empty())
        by_owner_[p.owner].insert(key);
    pods_.emplace(key, std::move(p));
    ++capacity_version_;
}

void member_cluster::release(pod_state& p) {
    if (p.node >= 0) {
        auto& n = nodes_[static_cast<std::size_t>(p.node)];
        n.used.add(p.requests, -1);
        n.pods_used -= 1;
        first_free_node_ = std::min(first_free_node_, static_cast<std::size_t>(p.node));
        p.node = -1;
        capacity_freed_ = true;
        ++capacity_version_;
    }
}

void member_cluster::forget_pod(const std::string& key) {
    auto it = pods_.find(key);
    if (it == pods_.end())
        return;
    auto& p = it->second;
    if (p.phase != pod_phase::succeeded && p.phase != pod_phase::failed)
        release(p);
    if (pending_.erase({p.sequence, key}))
        ++capacity_version_;
    if (!p.owner.empty()) {
        auto o = by_owner_.find(p.owner);
        if (o != by_owner_.end()) {
            o->second.erase(key);
            if (o->second.empty())
                by_owner_.erase(o);
        }
        // The owner reacts to a lost pod.
        auto parts = p.owner;
        auto s1 = parts.find('/');
        auto s2 = parts.find('/', s1 + 1);
        auto s3 = parts.find('/', s2 + 1);
        if (s1 != std::string::npos && s2 != std::string::npos && s3 != std::string::npos) {
            std::string group = parts.substr(0, s1);
            std::string plural = parts.substr(s1 + 1, s2 - s1 - 1);
            for (const auto* r : watched_) {
                if (r->group == group && r->plural == plural) {
                    dirty_.insert({r, parts.substr(s2 + 1)});
                }
            }
        }
    }
    pods_.erase(it);
}

void member_cluster::drain_events() {
    if (store_.resource_version() == seen_rv_)
        return;
    auto watched = [&](const resource_info* r) {
        return std::find(watched_.begin(), watched_.end(), r) != watched_.end();
    };
    // One pass over the change feed (track_pod / forget_pod do not write to the store).
    bool complete = store_.changes_since(
        seen_rv_, [&](const resource_info& rr, event_type type, const object_ptr& obj) {
            const resource_info* r = &rr;
            if (!watched(r))
                return;
            const json& m = jget(*obj, "metadata");
            const std::string& ns = sget(m, "namespace");
            const std::string& name = sget(m, "name");
            if (r == pods_res_) {
                std::string key = key_of(ns, name);
                if (type == event_type::deleted) {
                    auto it = pods_.find(key);
                    if (it != pods_.end() && it->second.uid == sget(m, "uid"))
                        forget_pod(key);
                } else if (type == event_type::added) {
                    track_pod(*obj);
                }
            } else {
                dirty_.insert({r, key_of(ns, name)});
            }
        });
    seen_rv_ = store_.resource_version();
    if (complete)
        return;
    // Fell out of the history: resynchronise from the current state.
    for (const auto* r : watched_) {
        if (r == pods_res_) {
            std::set<std::string> present;
            std::vector<object_ptr> current;
            store_.for_each(*r, "", [&](const object_ptr& p) {
                const json& m = jget(*p, "metadata");
                present.insert(key_of(sget(m, "namespace"), sget(m, "name")));
                current.push_back(p);
            });
            std::vector<std::string> gone;
            for (const auto& [k, p] : pods_) {
                if (!present.count(k))
                    gone.push_back(k);
            }
            for (const auto& k : gone)
                forget_pod(k);
            for (const auto& p : current)
                track_pod(*p);
        } else {
            store_.for_each(*r, "", [&](const object_ptr& p) {
                const json& m = jget(*p, "metadata");
                dirty_.insert({r, key_of(sget(m, "namespace"), sget(m, "name"))});
            });
        }
    }
}

// --- scheduler and kubelet -------------------------------------------------------------------

bool member_cluster::schedule_pending(time_point now) {
    if (pending_.empty())
        return false;
    bool changed = false;
    // Per request shape, where the first-fit search resumes: within one pass free capacity only
    // shrinks, so nodes that did not fit a shape never fit it later in the pass.
    struct shape {
        const resource_amounts* requests;
        std::size_t next = 0;
        bool failed = false;
        std::string message;
    };
    std::vector<shape> shapes;
    auto node_fits = [](const node_state& n, const resource_amounts& r) {
        if (n.pods_used >= n.pods_allocatable)
            return false;
        if (r.cpu_milli > n.allocatable.cpu_milli - n.used.cpu_milli ||
            r.memory > n.allocatable.memory - n.used.memory)
            return false;
        for (const auto& [k, v] : r.scalar) {
            if (v <= 0)
                continue;
            auto a = n.allocatable.scalar.find(k);
            if (a == n.allocatable.scalar.end())
                return false;
            auto u = n.used.scalar.find(k);
            if (v > a->second - (u == n.used.scalar.end() ? 0 : u->second))
                return false;
        }
        return true;
    };
    std::vector<std::pair<std::uint64_t, std::string>> bound;
    for (const auto& [seq, key] : pending_) {
        auto it = pods_.find(key);
        if (it == pods_.end())
            continue;
        auto& p = it->second;
        shape* sh = nullptr;
        for (auto& s : shapes) {
            if (s.requests->cpu_milli == p.requests.cpu_milli &&
                s.requests->memory == p.requests.memory &&
                s.requests->scalar == p.requests.scalar) {
                sh = &s;
                break;
            }
        }
        if (!sh) {
            shapes.push_back({&p.requests, 0, false, {}});
            sh = &shapes.back();
        }
        bool known_bad = sh->failed;
        int chosen = -1;
        if (!known_bad) {
            for (std::size_t i = sh->next; i < nodes_.size(); ++i) {
                if (node_fits(nodes_[i], p.requests)) {
                    chosen = static_cast<int>(i);
                    break;
                }
            }
            if (chosen < 0)
                sh->failed = true;
            else
                sh->next = static_cast<std::size_t>(chosen);
        }
        if (chosen < 0) {
            if (!p.unschedulable_reported) {
                p.unschedulable_reported = true;
                // Why, per node, as kube-scheduler words it (once per request shape and pass).
                if (sh->message.empty()) {
                    std::map<std::string, int> reasons;
                    for (const auto& n : nodes_) {
                        if (n.pods_used >= n.pods_allocatable) {
                            reasons["Too many pods"]++;
                            continue;
                        }
                        resource_amounts free = n.allocatable;
                        free.add(n.used, -1);
                        std::string s = p.requests.first_shortage(free);
                        reasons[s.empty() ? std::string("node(s) didn't match")
                                          : "Insufficient " + s]++;
                    }
                    std::string n = std::to_string(nodes_.size());
                    std::string msg = "0/" + n + " nodes are available: ";
                    bool first = true;
                    for (const auto& [reason, count] : reasons) {
                        if (!first)
                            msg += ", ";
                        first = false;
                        msg += std::to_string(count) + " " + reason;
                    }
                    msg += ". preemption: 0/" + n + " nodes are available: " + n +
                           " No preemption victims found for incoming pod.";
                    sh->message = msg;
                }
                const std::string& msg = sh->message;
                auto obj = store_.find(*pods_res_, p.ns, p.name);
                if (obj) {
                    json pod = *obj;
                    json& st = pod["status"];
                    st["phase"] = "Pending";
                    json conds = json::array();
                    json c = condition("PodScheduled", false, "Unschedulable", msg, now);
                    c.erase("lastProbeTime");
                    conds.push_back(c);
                    st["conditions"] = conds;
                    store_.put(*pods_res_, std::move(pod));
                    record_event(*obj, "Warning", "FailedScheduling", msg, "default-scheduler",
                                 now);
                }
                changed = true;
            }
            continue;
        }
        auto& n = nodes_[static_cast<std::size_t>(chosen)];
        n.used.add(p.requests);
        n.pods_used += 1;
        p.node = chosen;
        ++capacity_version_;
        p.phase = pod_phase::creating;
        p.scheduled = now;
        bound.push_back({seq, key});
        timers_.emplace(after(now, config_.workload.start_seconds / time_scale_), key);
        set_pod_status(p, now);
        if (auto obj = store_.find(*pods_res_, p.ns, p.name)) {
            record_event(*obj, "Normal", "Scheduled",
                         "Successfully assigned " + p.ns + "/" + p.name + " to " + n.name,
                         "default-scheduler", now);
        }
        changed = true;
    }
    for (const auto& b : bound)
        pending_.erase(b);
    return changed;
}

void member_cluster::set_pod_status(pod_state& p, time_point now) {
    (void)now;
    auto obj = store_.find(*pods_res_, p.ns, p.name);
    if (!obj)
        return;
    json pod = *obj;
    json& spec = pod["spec"];
    json& st = pod["status"];
    std::string node =
        p.node >= 0 ? nodes_[static_cast<std::size_t>(p.node)].name : sget(spec, "nodeName");
    if (!node.empty())
        spec["nodeName"] = node;
    std::string host_ip;
    if (p.node >= 0)
        host_ip = nodes_[static_cast<std::size_t>(p.node)].ip;
    if (!host_ip.empty()) {
        st["hostIP"] = host_ip;
        st["hostIPs"] = json::array({{{"ip", host_ip}}});
    }
    auto pod_ip = [&] {
        std::uint64_t h = hash_str(p.uid, seed_);
        return "10.244." + std::to_string(h % 250) + "." + std::to_string((h >> 8) % 250 + 2);
    };
    bool scheduled = p.phase != pod_phase::pending;
    bool running = p.phase == pod_phase::running;
    bool done = p.phase == pod_phase::succeeded || p.phase == pod_phase::failed;
    const char* phase = running                           ? "Running"
                        : p.phase == pod_phase::succeeded ? "Succeeded"
                        : p.phase == pod_phase::failed    ? "Failed"
                                                          : "Pending";
    st["phase"] = phase;
    if (p.phase == pod_phase::running || done) {
        st["startTime"] = rfc3339(p.scheduled);
        st["podIP"] = pod_ip();
        st["podIPs"] = json::array({{{"ip", st["podIP"]}}});
    }
    json conds = json::array();
    auto cond = [&](const char* type, bool ok, time_point t, const char* reason = "") {
        json c = {{"type", type},
                  {"status", ok ? "True" : "False"},
                  {"lastProbeTime", nullptr},
                  {"lastTransitionTime", rfc3339(t)}};
        if (*reason)
            c["reason"] = reason;
        conds.push_back(std::move(c));
    };
    if (scheduled) {
        cond("PodReadyToStartContainers", running || done,
             running || done ? p.started : p.scheduled);
        cond("Initialized", true, p.scheduled);
        const char* why = done ? (p.phase == pod_phase::succeeded ? "PodCompleted" : "PodFailed")
                               : (running ? "" : "ContainersNotReady");
        cond("Ready", running, running ? p.started : (done ? p.finished : p.scheduled), why);
        cond("ContainersReady", running, running ? p.started : (done ? p.finished : p.scheduled),
             why);
        cond("PodScheduled", true, p.scheduled);
    }
    st["conditions"] = conds;
    json statuses = json::array();
    const json& containers = jget(spec, "containers");
    if (scheduled && containers.is_array()) {
        for (std::size_t i = 0; i < containers.size(); ++i) {
            const json& c = containers[i];
            std::string image = sget(c, "image");
            json cs = {{"name", sget(c, "name")}, {"image", image},   {"imageID", ""},
                       {"restartCount", 0},       {"ready", running}, {"started", running}};
            if (running || done) {
                cs["imageID"] =
                    image + "@sha256:" +
                    std::string(64, 'a').replace(0, 16, short_hash(hash_str(image, 1), 16));
                cs["containerID"] =
                    "containerd://" + short_hash(hash_str(p.uid + sget(c, "name"), 2), 32);
            }
            if (running) {
                cs["state"] = {{"running", {{"startedAt", rfc3339(p.started)}}}};
            } else if (done) {
                bool ok = p.phase == pod_phase::succeeded;
                cs["state"] = {{"terminated",
                                {{"exitCode", ok ? 0 : 1},
                                 {"reason", ok ? "Completed" : "Error"},
                                 {"startedAt", rfc3339(p.started)},
                                 {"finishedAt", rfc3339(p.finished)},
                                 {"containerID", cs["containerID"]}}}};
            } else {
                cs["state"] = {{"waiting", {{"reason", "ContainerCreating"}}}};
            }
            statuses.push_back(std::move(cs));
        }
        st["containerStatuses"] = statuses;
    }
    if (!st.contains("qosClass")) {
        st["qosClass"] =
            p.requests.cpu_milli == 0 && p.requests.memory == 0 ? "BestEffort" : "Burstable";
    }
    store_.put(*pods_res_, std::move(pod));
}

bool member_cluster::run_timers(time_point now) {
    bool changed = false;
    while (!timers_.empty() && timers_.begin()->first <= now) {
        auto [t, key] = *timers_.begin();
        timers_.erase(timers_.begin());
        if (key.rfind("W:", 0) == 0) {
            // A workload's own deadline: "W:<group>|<plural>|ns/name".
            std::string rest = key.substr(2);
            auto b1 = rest.find('|');
            auto b2 = rest.find('|', b1 + 1);
            std::string group = rest.substr(0, b1);
            std::string plural = rest.substr(b1 + 1, b2 - b1 - 1);
            for (const auto* res : watched_) {
                if (res->group == group && res->plural == plural)
                    dirty_.insert({res, rest.substr(b2 + 1)});
            }
            changed = true;
            continue;
        }
        auto it = pods_.find(key);
        if (it == pods_.end())
            continue;
        auto& p = it->second;
        if (p.phase == pod_phase::creating) {
            p.phase = pod_phase::running;
            p.started = t;
            if (p.run_to_completion)
                timers_.emplace(after(t, p.run_seconds / time_scale_), key);
            set_pod_status(p, t);
            if (auto obj = store_.find(*pods_res_, p.ns, p.name)) {
                record_event(*obj, "Normal", "Started",
                             "Started container " +
                                 (p.containers.empty() ? std::string() : p.containers.front()),
                             "kubelet", t);
            }
        } else if (p.phase == pod_phase::running && p.run_to_completion) {
            p.phase = p.will_fail ? pod_phase::failed : pod_phase::succeeded;
            p.finished = t;
            set_pod_status(p, t);
            release(p);
        } else {
            continue;
        }
        changed = true;
        if (!p.owner.empty()) {
            auto s1 = p.owner.find('/');
            auto s2 = p.owner.find('/', s1 + 1);
            std::string group = p.owner.substr(0, s1);
            std::string plural = p.owner.substr(s1 + 1, s2 - s1 - 1);
            for (const auto* res : watched_) {
                if (res->group == group && res->plural == plural) {
                    dirty_.insert({res, p.owner.substr(s2 + 1)});
                }
            }
        }
    }
    return changed;
}

std::optional<time_point> member_cluster::next_wakeup() const {
    std::optional<time_point> best;
    if (!timers_.empty())
        best = timers_.begin()->first;
    // Deferred bursts are due on the very next tick; the clock moves on by itself.
    if (!deferred_.empty() && (!best || deferred_at_ < *best))
        best = deferred_at_;
    return best;
}

void member_cluster::defer(const resource_info& r, const std::string& key) {
    deferred_.insert({&r, key});
    deferred_at_ = now_;
}

bool member_cluster::advance(time_point now) {
    if (now > now_)
        now_ = now;
    store_.set_time(now_);
    std::uint64_t rv_before = store_.resource_version();
    if (!deferred_.empty() && now_ > deferred_at_) {
        dirty_.merge(deferred_);
        deferred_.clear();
    }
    for (int round = 0; round < 32; ++round) {
        drain_events();
        std::uint64_t before = store_.resource_version();
        bool timed = run_timers(now_);
        drain_events();
        if (!dirty_.empty())
            reconcile_workloads(now_);
        drain_events();
        if (!pending_.empty())
            schedule_pending(now_);
        drain_events();
        if (!timed && dirty_.empty() && store_.resource_version() == before)
            break;
    }
    if (store_.finalize_namespaces())
        drain_events();
    return store_.resource_version() != rv_before;
}

void member_cluster::record_event(const json& involved, const std::string& type,
                                  const std::string& reason, const std::string& message,
                                  const std::string& component, time_point now) {
    if (!pod_events_ || !events_res_)
        return;
    const json& m = jget(involved, "metadata");
    std::string ns = sget(m, "namespace");
    if (ns.empty())
        ns = "default";
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(hash_str(sget(m, "uid") + reason, ++sequence_)));
    json ev = {{"metadata", {{"name", sget(m, "name") + "." + hex}, {"namespace", ns}}},
               {"involvedObject",
                {{"kind", sget(involved, "kind")},
                 {"namespace", ns},
                 {"name", sget(m, "name")},
                 {"uid", sget(m, "uid")},
                 {"apiVersion", sget(involved, "apiVersion")},
                 {"resourceVersion", sget(m, "resourceVersion")}}},
               {"reason", reason},
               {"message", message},
               {"source", {{"component", component}}},
               {"firstTimestamp", rfc3339(now)},
               {"lastTimestamp", rfc3339(now)},
               {"count", 1},
               {"type", type},
               {"eventTime", nullptr},
               {"reportingComponent", component},
               {"reportingInstance", ""}};
    store_.put(*events_res_, std::move(ev));
}

// --- workload controllers --------------------------------------------------------------------

std::vector<member_cluster::pod_state*> member_cluster::owned_pods(const std::string& owner) {
    std::vector<pod_state*> out;
    auto it = by_owner_.find(owner);
    if (it == by_owner_.end())
        return out;
    for (const auto& k : it->second) {
        auto p = pods_.find(k);
        if (p != pods_.end())
            out.push_back(&p->second);
    }
    std::sort(out.begin(), out.end(),
              [](const pod_state* a, const pod_state* b) { return a->sequence < b->sequence; });
    return out;
}

std::string member_cluster::create_pod(const resource_info& owner_res, const json& owner,
                                       const json& pod_template, const std::string& name,
                                       const std::string& generate_name,
                                       const std::map<std::string, std::string>& labels,
                                       const std::map<std::string, std::string>& annotations,
                                       const std::string& restart_policy, time_point now) {
    const json& om = jget(owner, "metadata");
    const std::string& ns = sget(om, "namespace");
    json tm = jget(pod_template, "metadata");
    json meta = {{"namespace", ns}};
    if (!name.empty())
        meta["name"] = name;
    else
        meta["generateName"] = generate_name;
    json l = tm.is_object() && tm.contains("labels") && tm["labels"].is_object() ? tm["labels"]
                                                                                 : json::object();
    for (const auto& [k, v] : labels)
        l[k] = v;
    meta["labels"] = l;
    json a = tm.is_object() && tm.contains("annotations") && tm["annotations"].is_object()
                 ? tm["annotations"]
                 : json::object();
    // Test hooks on the owner propagate to its pods.
    const json& oa = jget(om, "annotations");
    for (const char* k : {"fedsim.io/run-seconds", "fedsim.io/outcome"}) {
        if (!sget(oa, k).empty() && !a.contains(k))
            a[k] = sget(oa, k);
    }
    for (const auto& [k, v] : annotations) {
        if (k != "fedsim.io/owner")
            a[k] = v;  // a marker for us, not an annotation
    }
    if (!a.empty())
        meta["annotations"] = a;
    std::string controller_kind = owner_res.kind;
    std::string controller_api = owner_res.api_version();
    std::string controller_name = sget(om, "name");
    std::string controller_uid = sget(om, "uid");
    if (auto it = annotations.find("fedsim.io/owner"); it != annotations.end()) {
        // Pods of Deployments/Notebooks belong to a ReplicaSet/StatefulSet fedsim does not serve.
        controller_kind = owner_res.plural == "deployments" ? "ReplicaSet" : "StatefulSet";
        controller_api = "apps/v1";
        controller_name = labels.count("pod-template-hash")
                              ? controller_name + "-" + labels.at("pod-template-hash")
                              : controller_name;
        // A stable uid for the unserved intermediate owner, shaped like the owner's.
        char head[9];
        std::snprintf(
            head, sizeof head, "%08llx",
            static_cast<unsigned long long>(hash_str(controller_name, 3) & 0xffffffffULL));
        if (controller_uid.size() >= 8)
            controller_uid.replace(0, 8, head);
    }
    meta["ownerReferences"] = json::array({{{"apiVersion", controller_api},
                                            {"kind", controller_kind},
                                            {"name", controller_name},
                                            {"uid", controller_uid},
                                            {"controller", true},
                                            {"blockOwnerDeletion", true}}});
    json spec = jget(pod_template, "spec");
    if (!spec.is_object())
        spec = json::object();
    if (!restart_policy.empty())
        spec["restartPolicy"] = restart_policy;
    json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", spec}};
    auto created = store_.create(*pods_res_, ns, std::move(pod));
    if (!created) {
        record_event(owner, "Warning", "FailedCreate", "Error creating: " + created.error().message,
                     owner_res.plural == "jobs" ? "job-controller" : "controller", now);
        return "";
    }
    const json& cm = jget(**created, "metadata");
    std::string key = key_of(ns, sget(cm, "name"));
    track_pod(**created);
    auto it = pods_.find(key);
    if (it != pods_.end()) {
        std::string ok = owner_key(owner_res, ns, sget(om, "name"));
        if (it->second.owner != ok) {
            if (!it->second.owner.empty())
                by_owner_[it->second.owner].erase(key);
            it->second.owner = ok;
            by_owner_[ok].insert(key);
        }
    }
    if (owner_res.plural == "jobs" && owner_res.group == "batch") {
        record_event(owner, "Normal", "SuccessfulCreate", "Created pod: " + sget(cm, "name"),
                     "job-controller", now);
    }
    return key;
}

void member_cluster::delete_pod(const std::string& key) {
    auto it = pods_.find(key);
    if (it == pods_.end())
        return;
    std::string ns = it->second.ns, name = it->second.name;
    forget_pod(key);
    store_.erase(*pods_res_, ns, name);
}

void member_cluster::write_status(const resource_info& r, const json& obj, json status) {
    if (jget(obj, "status") == status)
        return;
    json copy = obj;
    copy["status"] = std::move(status);
    store_.put(r, std::move(copy));
}

void member_cluster::reconcile_workloads(time_point now) {
    auto work = std::move(dirty_);
    dirty_.clear();
    for (const auto& [r, key] : work) {
        // A workload whose burst is spent waits for the next tick, whatever woke it meanwhile.
        if (deferred_.count({r, key}))
            continue;
        auto slash = key.find('/');
        reconcile(*r, key.substr(0, slash), key.substr(slash + 1), now);
    }
}

void member_cluster::reconcile(const resource_info& r, const std::string& ns,
                               const std::string& name, time_point now) {
    auto obj = store_.find(r, ns, name);
    std::string okey = owner_key(r, ns, name);
    if (!obj) {
        // Deleted: its pods go too (Deployment/Notebook pods have no served owner to cascade).
        auto pods = owned_pods(okey);
        std::size_t n = 0;
        for (auto* p : pods) {
            if (++n > burst_replicas) {
                defer(r, key_of(ns, name));
                return;
            }
            delete_pod(key_of(p->ns, p->name));
        }
        rayjob_ends_.erase(okey);
        return;
    }
    if (jget(jget(*obj, "metadata"), "deletionTimestamp").is_string())
        return;
    if (r.group == "batch" && r.plural == "jobs")
        reconcile_job(*obj, now);
    else if (r.group == "apps")
        reconcile_deployment(*obj, now);
    else if (r.plural == "pytorchjobs")
        reconcile_pytorchjob(*obj, now);
    else if (r.group == "batch.volcano.sh")
        reconcile_volcano_job(*obj, now);
    else if (r.plural == "rayclusters")
        reconcile_raycluster(*obj, now);
    else if (r.plural == "rayjobs")
        reconcile_rayjob(*obj, now);
    else if (r.plural == "notebooks")
        reconcile_notebook(*obj, now);
}

namespace {

struct pod_counts {
    std::int64_t pending = 0, creating = 0, running = 0, succeeded = 0, failed = 0;
    std::int64_t active() const { return pending + creating + running; }
    time_point last_finish{};
};

}  // namespace

void member_cluster::reconcile_job(const json& job, time_point now) {
    const auto* r = registry_.find("batch", "v1", "jobs");
    const json& meta = jget(job, "metadata");
    const json& spec = jget(job, "spec");
    json status = jget(job, "status");
    if (!status.is_object())
        status = json::object();
    std::string okey = owner_key(*r, sget(meta, "namespace"), sget(meta, "name"));
    auto pods = owned_pods(okey);
    pod_counts c;
    for (auto* p : pods) {
        switch (p->phase) {
            case pod_phase::pending:
                c.pending++;
                break;
            case pod_phase::creating:
                c.creating++;
                break;
            case pod_phase::running:
                c.running++;
                break;
            case pod_phase::succeeded:
                c.succeeded++;
                c.last_finish = std::max(c.last_finish, p->finished);
                break;
            case pod_phase::failed:
                c.failed++;
                c.last_finish = std::max(c.last_finish, p->finished);
                break;
        }
    }
    bool finished = condition_true(status, "Complete") || condition_true(status, "Failed");
    auto delete_active = [&] {
        for (auto* p : owned_pods(okey)) {
            if (p->phase != pod_phase::succeeded && p->phase != pod_phase::failed) {
                delete_pod(key_of(p->ns, p->name));
            }
        }
    };
    auto write_counts = [&](json& st, std::int64_t active) {
        if (active > 0)
            st["active"] = active;
        else
            st.erase("active");
        if (c.succeeded > 0)
            st["succeeded"] = c.succeeded;
        else
            st.erase("succeeded");
        if (c.failed > 0)
            st["failed"] = c.failed;
        else
            st.erase("failed");
        st["ready"] = c.running;
        st["terminating"] = 0;
        st["uncountedTerminatedPods"] = json::object();
    };
    if (finished) {
        if (c.active() > 0)
            delete_active();
        return;
    }
    bool suspend = jget(spec, "suspend").is_boolean() && spec["suspend"].get<bool>();
    std::int64_t parallelism = iget(spec, "parallelism", 1);
    const json& comp = jget(spec, "completions");
    std::int64_t backoff = iget(spec, "backoffLimit", 6);
    if (suspend) {
        delete_active();
        c.pending = c.creating = c.running = 0;
        upsert_condition(status["conditions"],
                         condition("Suspended", true, "JobSuspended", "Job suspended", now));
        write_counts(status, 0);
        write_status(*r, job, std::move(status));
        return;
    }
    if (!status.contains("startTime"))
        status["startTime"] = rfc3339(now);
    if (condition_true(status, "Suspended")) {
        upsert_condition(status["conditions"],
                         condition("Suspended", false, "JobResumed", "Job resumed", now));
    }
    auto fail_job = [&](const std::string& reason, const std::string& message) {
        delete_active();
        time_point t = c.last_finish > time_point{} ? c.last_finish : now;
        upsert_condition(status["conditions"],
                         condition("FailureTarget", true, reason, message, t));
        upsert_condition(status["conditions"], condition("Failed", true, reason, message, t));
        write_counts(status, 0);
        write_status(*r, job, std::move(status));
    };
    if (c.failed > backoff) {
        fail_job("BackoffLimitExceeded", "Job has reached the specified backoff limit");
        return;
    }
    if (const json& ads = jget(spec, "activeDeadlineSeconds"); ads.is_number_integer()) {
        // startTime is whole seconds; the deadline counts from it.
        std::string st = sget(status, "startTime");
        std::tm tm{};
        strptime(st.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
        time_point start = std::chrono::system_clock::from_time_t(timegm(&tm));
        time_point deadline = after(start, static_cast<double>(ads.get<std::int64_t>()));
        if (now >= deadline) {
            fail_job("DeadlineExceeded", "Job was active longer than specified deadline");
            return;
        }
        {
            std::string key = "W:batch|jobs|" + sget(meta, "namespace") + "/" + sget(meta, "name");
            bool scheduled = false;
            for (auto [it, end] = timers_.equal_range(deadline); it != end; ++it) {
                scheduled = scheduled || it->second == key;
            }
            if (!scheduled)
                timers_.emplace(deadline, key);
        }
    }
    std::int64_t want;
    bool complete = false;
    if (comp.is_number_integer()) {
        std::int64_t completions = comp.get<std::int64_t>();
        if (c.succeeded >= completions)
            complete = true;
        want = std::min(parallelism, completions - c.succeeded);
    } else {
        if (c.succeeded > 0 && c.active() == 0)
            complete = true;
        want = c.succeeded > 0 ? 0 : parallelism;
    }
    if (complete) {
        delete_active();
        time_point t = c.last_finish > time_point{} ? c.last_finish : now;
        upsert_condition(status["conditions"],
                         condition("SuccessCriteriaMet", true, "CompletionsReached",
                                   "Reached expected number of succeeded pods", t));
        upsert_condition(status["conditions"],
                         condition("Complete", true, "CompletionsReached",
                                   "Reached expected number of succeeded pods", t));
        status["completionTime"] = rfc3339(t);
        write_counts(status, 0);
        write_status(*r, job, std::move(status));
        return;
    }
    std::int64_t active = c.active();
    bool indexed = sget(spec, "completionMode") == "Indexed";
    if (active < want) {
        std::set<std::int64_t> used;
        if (indexed) {
            for (auto* p : pods) {
                if (p->phase == pod_phase::failed)
                    continue;
                auto obj = store_.find(*pods_res_, p->ns, p->name);
                if (!obj)
                    continue;
                const auto& idx = sget(jget(jget(*obj, "metadata"), "annotations"),
                                       "batch.kubernetes.io/job-completion-index");
                if (!idx.empty())
                    used.insert(std::atoll(idx.c_str()));
            }
        }
        std::int64_t next_index = 0;
        std::int64_t until = want;
        if (want - active > static_cast<std::int64_t>(burst_replicas)) {
            until = active + static_cast<std::int64_t>(burst_replicas);
            defer(*r, key_of(sget(meta, "namespace"), sget(meta, "name")));
        }
        for (std::int64_t i = active; i < until; ++i) {
            std::map<std::string, std::string> labels, annotations;
            std::string gen = sget(meta, "name") + "-";
            if (indexed) {
                while (used.count(next_index))
                    ++next_index;
                used.insert(next_index);
                std::string idx = std::to_string(next_index);
                labels["batch.kubernetes.io/job-completion-index"] = idx;
                annotations["batch.kubernetes.io/job-completion-index"] = idx;
                gen = sget(meta, "name") + "-" + idx + "-";
            }
            create_pod(*r, job, jget(spec, "template"), "", gen, labels, annotations, "", now);
            ++c.pending;
        }
    } else if (active > want) {
        std::int64_t extra = active - want;
        for (auto it = pods.rbegin(); it != pods.rend() && extra > 0; ++it) {
            if ((*it)->phase == pod_phase::succeeded || (*it)->phase == pod_phase::failed)
                continue;
            delete_pod(key_of((*it)->ns, (*it)->name));
            --extra;
            --c.pending;
        }
    }
    write_counts(status, std::max<std::int64_t>(0, c.active()));
    write_status(*r, job, std::move(status));
}

void member_cluster::reconcile_deployment(const json& d, time_point now) {
    const auto* r = registry_.find("apps", "v1", "deployments");
    const json& meta = jget(d, "metadata");
    const json& spec = jget(d, "spec");
    std::string name = sget(meta, "name");
    std::string okey = owner_key(*r, sget(meta, "namespace"), name);
    std::int64_t replicas = iget(spec, "replicas", 1);
    std::string hash = short_hash(hash_str(jget(spec, "template").dump(), 5), 10);
    std::string rs = name + "-" + hash;
    auto pods = owned_pods(okey);
    std::int64_t current = 0, ready = 0;
    for (auto* p : pods) {
        auto obj = store_.find(*pods_res_, p->ns, p->name);
        std::string h =
            obj ? sget(jget(jget(*obj, "metadata"), "labels"), "pod-template-hash") : "";
        bool terminal = p->phase == pod_phase::succeeded || p->phase == pod_phase::failed;
        if (h != hash || terminal) {
            delete_pod(key_of(p->ns, p->name));
            continue;
        }
        ++current;
    }
    pods = owned_pods(okey);
    std::int64_t until = replicas;
    if (replicas - current > static_cast<std::int64_t>(burst_replicas)) {
        until = current + static_cast<std::int64_t>(burst_replicas);
        defer(*r, key_of(sget(meta, "namespace"), name));
    }
    for (std::int64_t i = current; i < until; ++i) {
        create_pod(*r, d, jget(spec, "template"), "", rs + "-", {{"pod-template-hash", hash}},
                   {{"fedsim.io/owner", okey}}, "", now);
        ++current;
    }
    if (current > replicas) {
        std::int64_t extra = current - replicas;
        for (auto it = pods.rbegin(); it != pods.rend() && extra > 0; ++it, --extra) {
            delete_pod(key_of((*it)->ns, (*it)->name));
        }
        current = replicas;
    }
    for (auto* p : owned_pods(okey)) {
        if (p->phase == pod_phase::running)
            ++ready;
    }
    json status = jget(d, "status");
    if (!status.is_object())
        status = json::object();
    status["observedGeneration"] = iget(meta, "generation", 1);
    status["replicas"] = current;
    status["updatedReplicas"] = current;
    if (ready > 0) {
        status["readyReplicas"] = ready;
        status["availableReplicas"] = ready;
    } else {
        status.erase("readyReplicas");
        status.erase("availableReplicas");
    }
    if (current - ready > 0)
        status["unavailableReplicas"] = current - ready;
    else
        status.erase("unavailableReplicas");
    if (current == 0) {
        status.erase("replicas");
        status.erase("updatedReplicas");
    }
    json conds = status.contains("conditions") ? status["conditions"] : json::array();
    auto dcond = [&](const char* type, bool ok, const std::string& reason, const std::string& msg) {
        json c = {{"type", type},
                  {"status", ok ? "True" : "False"},
                  {"lastUpdateTime", rfc3339(now)},
                  {"lastTransitionTime", rfc3339(now)},
                  {"reason", reason},
                  {"message", msg}};
        for (auto& old : conds) {
            if (sget(old, "type") == type) {
                if (sget(old, "status") == sget(c, "status") && sget(old, "reason") == reason)
                    return;
                if (sget(old, "status") == sget(c, "status"))
                    c["lastTransitionTime"] = old["lastTransitionTime"];
                old = c;
                return;
            }
        }
        conds.push_back(c);
    };
    bool available = ready >= replicas;
    dcond("Available", available,
          available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
          available ? "Deployment has minimum availability."
                    : "Deployment does not have minimum availability.");
    dcond("Progressing", true, available ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
          available ? "ReplicaSet \"" + rs + "\" has successfully progressed."
                    : "ReplicaSet \"" + rs + "\" is progressing.");
    status["conditions"] = conds;
    write_status(*r, d, std::move(status));
}

void member_cluster::reconcile_pytorchjob(const json& j, time_point now) {
    const auto* r = registry_.find("kubeflow.org", "v1", "pytorchjobs");
    const json& meta = jget(j, "metadata");
    const json& specs = jget(jget(j, "spec"), "pytorchReplicaSpecs");
    std::string name = sget(meta, "name");
    std::string okey = owner_key(*r, sget(meta, "namespace"), name);
    json status = jget(j, "status");
    if (!status.is_object())
        status = json::object();
    bool finished = condition_true(status, "Succeeded") || condition_true(status, "Failed");
    auto pods = owned_pods(okey);
    std::map<std::string, pod_state*> by_name;
    for (auto* p : pods)
        by_name[p->name] = p;
    std::vector<std::string> types;
    if (specs.is_object()) {
        for (const auto& [t, s] : specs.items())
            types.push_back(t);
    }
    std::sort(types.begin(), types.end(), [](const std::string& a, const std::string& b) {
        return (a == "Master") != (b == "Master") ? a == "Master" : a < b;
    });
    json replica_statuses = json::object();
    std::int64_t total = 0, running = 0, failed = 0;
    std::string failed_type;
    bool master_done = false, has_master = false, all_done = true;
    for (const auto& t : types) {
        const json& s = specs[t];
        std::int64_t n = iget(s, "replicas", 1);
        std::string lower = t;
        for (auto& ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string restart = sget(s, "restartPolicy");
        if (restart.empty() || restart == "ExitCode")
            restart = "Never";
        std::int64_t active = 0, succ = 0, fail = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            std::string pname = name + "-" + lower + "-" + std::to_string(i);
            auto it = by_name.find(pname);
            if (it == by_name.end()) {
                if (finished)
                    continue;
                std::map<std::string, std::string> labels = {
                    {"training.kubeflow.org/job-name", name},
                    {"training.kubeflow.org/operator-name", "pytorchjob-controller"},
                    {"training.kubeflow.org/replica-type", lower},
                    {"training.kubeflow.org/replica-index", std::to_string(i)}};
                if (t == "Master")
                    labels["training.kubeflow.org/job-role"] = "master";
                create_pod(*r, j, jget(s, "template"), pname, "", labels, {}, restart, now);
                ++active;
                continue;
            }
            auto* p = it->second;
            if (p->phase == pod_phase::succeeded)
                ++succ;
            else if (p->phase == pod_phase::failed)
                ++fail;
            else {
                ++active;
                if (p->phase == pod_phase::running)
                    ++running;
            }
        }
        total += n;
        json rs = json::object();
        if (active)
            rs["active"] = active;
        if (succ)
            rs["succeeded"] = succ;
        if (fail)
            rs["failed"] = fail;
        rs["selector"] = "training.kubeflow.org/job-name=" + name +
                         ",training.kubeflow.org/operator-name=pytorchjob-controller"
                         ",training.kubeflow.org/replica-type=" +
                         lower;
        replica_statuses[t] = rs;
        if (fail && failed_type.empty())
            failed_type = t;
        failed += fail;
        if (t == "Master") {
            has_master = true;
            master_done = succ == n;
        }
        if (succ != n)
            all_done = false;
    }
    if (finished)
        return;
    status["replicaStatuses"] = replica_statuses;
    json& conds = status["conditions"];
    if (!conds.is_array())
        conds = json::array();
    auto kf_cond = [&](const char* type, bool ok, const std::string& reason,
                       const std::string& msg) {
        json c = {{"type", type},
                  {"status", ok ? "True" : "False"},
                  {"reason", reason},
                  {"message", msg},
                  {"lastUpdateTime", rfc3339(now)},
                  {"lastTransitionTime", rfc3339(now)}};
        for (auto& old : conds) {
            if (sget(old, "type") == type) {
                if (sget(old, "status") == sget(c, "status"))
                    return;
                old = c;
                return;
            }
        }
        conds.push_back(c);
    };
    kf_cond("Created", true, "PyTorchJobCreated", "PyTorchJob " + name + " is created.");
    if (!status.contains("startTime"))
        status["startTime"] = rfc3339(now);
    bool succeeded = has_master ? master_done : all_done;
    if (failed > 0) {
        kf_cond("Running", false, "PyTorchJobFailed",
                "PyTorchJob " + name + " is failed because " + std::to_string(failed) + " " +
                    failed_type + " replica(s) failed.");
        kf_cond("Failed", true, "PyTorchJobFailed",
                "PyTorchJob " + name + " is failed because " + std::to_string(failed) + " " +
                    failed_type + " replica(s) failed.");
        status["completionTime"] = rfc3339(now);
    } else if (succeeded && total > 0) {
        kf_cond("Running", false, "PyTorchJobSucceeded",
                "PyTorchJob " + name + " is successfully completed.");
        kf_cond("Succeeded", true, "PyTorchJobSucceeded",
                "PyTorchJob " + name + " is successfully completed.");
        status["completionTime"] = rfc3339(now);
    } else if (running > 0 && running + 0 >= 1) {
        kf_cond("Running", true, "PyTorchJobRunning", "PyTorchJob " + name + " is running.");
    }
    write_status(*r, j, std::move(status));
}

void member_cluster::reconcile_volcano_job(const json& j, time_point now) {
    const auto* r = registry_.find("batch.volcano.sh", "v1alpha1", "jobs");
    const json& meta = jget(j, "metadata");
    const json& spec = jget(j, "spec");
    std::string name = sget(meta, "name");
    std::string ns = sget(meta, "namespace");
    std::string okey = owner_key(*r, ns, name);
    json status = jget(j, "status");
    if (!status.is_object())
        status = json::object();
    std::string phase = sget(jget(status, "state"), "phase");
    bool finished = phase == "Completed" || phase == "Failed" || phase == "Terminated";
    auto pods = owned_pods(okey);
    std::map<std::string, pod_state*> by_name;
    for (auto* p : pods)
        by_name[p->name] = p;
    std::int64_t pending = 0, running = 0, succeeded = 0, failed = 0, total = 0;
    json task_counts = json::object();
    const json& tasks = jget(spec, "tasks");
    if (tasks.is_array()) {
        for (const auto& t : tasks) {
            std::string task = sget(t, "name");
            std::int64_t n = iget(t, "replicas", 1);
            total += n;
            std::map<std::string, std::int64_t> counts;
            for (std::int64_t i = 0; i < n; ++i) {
                std::string pname = name + "-" + task + "-" + std::to_string(i);
                auto it = by_name.find(pname);
                if (it == by_name.end()) {
                    if (finished)
                        continue;
                    std::string restart = sget(jget(jget(t, "template"), "spec"), "restartPolicy");
                    create_pod(*r, j, jget(t, "template"), pname, "",
                               {{"volcano.sh/job-name", name},
                                {"volcano.sh/job-namespace", ns},
                                {"volcano.sh/queue-name",
                                 sget(spec, "queue").empty() ? "default" : sget(spec, "queue")},
                                {"volcano.sh/task-spec", task},
                                {"volcano.sh/task-index", std::to_string(i)}},
                               {{"scheduling.k8s.io/group-name", name + "-" + sget(meta, "uid")},
                                {"volcano.sh/job-name", name},
                                {"volcano.sh/job-version", "0"},
                                {"volcano.sh/task-spec", task}},
                               restart.empty() ? "OnFailure" : restart, now);
                    ++pending;
                    counts["Pending"]++;
                    continue;
                }
                auto* p = it->second;
                switch (p->phase) {
                    case pod_phase::pending:
                    case pod_phase::creating:
                        ++pending;
                        counts["Pending"]++;
                        break;
                    case pod_phase::running:
                        ++running;
                        counts["Running"]++;
                        break;
                    case pod_phase::succeeded:
                        ++succeeded;
                        counts["Succeeded"]++;
                        break;
                    case pod_phase::failed:
                        ++failed;
                        counts["Failed"]++;
                        break;
                }
            }
            json phases = json::object();
            for (const auto& [k, v] : counts)
                phases[k] = v;
            task_counts[task] = {{"phase", phases}};
        }
    }
    if (finished)
        return;
    std::int64_t min_available = iget(spec, "minAvailable", total);
    std::string next = "Pending";
    if (failed > 0)
        next = "Failed";
    else if (total > 0 && succeeded == total)
        next = "Completed";
    else if (running + succeeded >= min_available && running > 0)
        next = "Running";
    if (next != phase) {
        status["state"] = {{"phase", next}, {"lastTransitionTime", rfc3339(now)}};
        if (!status.contains("conditions"))
            status["conditions"] = json::array();
        status["conditions"].push_back({{"status", next}, {"lastTransitionTime", rfc3339(now)}});
    }
    status["minAvailable"] = min_available;
    status["pending"] = pending;
    status["running"] = running;
    status["succeeded"] = succeeded;
    status["failed"] = failed;
    status["taskStatusCount"] = task_counts;
    status["version"] = 0;
    status["retryCount"] = 0;
    for (const char* k : {"pending", "running", "succeeded", "failed"}) {
        if (status[k] == 0)
            status.erase(k);
    }
    write_status(*r, j, std::move(status));
}

void member_cluster::reconcile_raycluster(const json& c, time_point now) {
    const auto* r = registry_.find("ray.io", "v1", "rayclusters");
    const json& meta = jget(c, "metadata");
    const json& spec = jget(c, "spec");
    std::string name = sget(meta, "name");
    std::string okey = owner_key(*r, sget(meta, "namespace"), name);
    auto pods = owned_pods(okey);
    std::map<std::string, std::int64_t> have;  // group → live pods
    std::int64_t running_workers = 0, live_workers = 0;
    bool head_running = false;
    std::string head_ip, head_name;
    for (auto* p : pods) {
        auto obj = store_.find(*pods_res_, p->ns, p->name);
        if (!obj)
            continue;
        const json& labels = jget(jget(*obj, "metadata"), "labels");
        std::string group = sget(labels, "ray.io/group");
        if (p->phase == pod_phase::failed || p->phase == pod_phase::succeeded) {
            delete_pod(key_of(p->ns, p->name));
            continue;
        }
        have[group]++;
        if (sget(labels, "ray.io/node-type") == "head") {
            head_running = p->phase == pod_phase::running;
            head_ip = sget(jget(*obj, "status"), "podIP");
            head_name = p->name;
        } else {
            ++live_workers;
            if (p->phase == pod_phase::running)
                ++running_workers;
        }
    }
    auto labels_for = [&](const std::string& type, const std::string& group) {
        return std::map<std::string, std::string>{
            {"ray.io/cluster", name},
            {"ray.io/node-type", type},
            {"ray.io/group", group},
            {"ray.io/is-ray-node", "yes"},
            {"ray.io/identifier", name + "-" + type},
            {"app.kubernetes.io/name", "kuberay"},
            {"app.kubernetes.io/created-by", "kuberay-operator"}};
    };
    if (have["headgroup"] == 0) {
        create_pod(*r, c, jget(jget(spec, "headGroupSpec"), "template"), "", name + "-head-",
                   labels_for("head", "headgroup"), {}, "", now);
    }
    std::int64_t desired_workers = 0;
    resource_amounts desired;
    desired.add(pod_requests(jget(jget(jget(spec, "headGroupSpec"), "template"), "spec")));
    const json& groups = jget(spec, "workerGroupSpecs");
    std::int64_t min_w = 0, max_w = 0;
    if (groups.is_array()) {
        for (const auto& g : groups) {
            std::string group = sget(g, "groupName");
            std::int64_t n = iget(g, "replicas", iget(g, "minReplicas", 0));
            desired_workers += n;
            min_w += iget(g, "minReplicas", 0);
            max_w += iget(g, "maxReplicas", n);
            auto req = pod_requests(jget(jget(g, "template"), "spec"));
            for (std::int64_t i = 0; i < n; ++i)
                desired.add(req);
            for (std::int64_t i = have[group]; i < n; ++i) {
                create_pod(*r, c, jget(g, "template"), "", name + "-" + group + "-worker-",
                           labels_for("worker", group), {}, "", now);
            }
        }
    }
    json status = jget(c, "status");
    if (!status.is_object())
        status = json::object();
    bool ready = head_running && running_workers >= desired_workers;
    std::string state = ready ? "ready" : "";
    if (!state.empty())
        status["state"] = state;
    status["desiredWorkerReplicas"] = desired_workers;
    status["availableWorkerReplicas"] = running_workers;
    status["readyWorkerReplicas"] = running_workers;
    status["minWorkerReplicas"] = min_w;
    status["maxWorkerReplicas"] = max_w;
    status["desiredCPU"] = format_amount("cpu", desired.cpu_milli);
    status["desiredMemory"] = format_amount("memory", desired.memory);
    std::int64_t gpus = 0;
    for (const auto& [k, v] : desired.scalar) {
        if (k.find("gpu") != std::string::npos)
            gpus += v;
    }
    status["desiredGPU"] = std::to_string(gpus);
    status["desiredTPU"] = "0";
    status["observedGeneration"] = iget(meta, "generation", 1);
    if (!head_ip.empty()) {
        status["head"] = {
            {"podIP", head_ip}, {"podName", head_name}, {"serviceName", name + "-head-svc"}};
    }
    status["endpoints"] = {
        {"client", "10001"}, {"dashboard", "8265"}, {"gcs-server", "6379"}, {"metrics", "8080"}};
    if (ready && !status.contains("stateTransitionTimes")) {
        status["stateTransitionTimes"] = {{"ready", rfc3339(now)}};
    }
    (void)live_workers;
    write_status(*r, c, std::move(status));
    // A RayJob waits for its cluster: tell it.
    if (const json& refs = jget(meta, "ownerReferences"); refs.is_array()) {
        for (const auto& ref : refs) {
            if (sget(ref, "kind") != "RayJob")
                continue;
            if (const auto* rj = registry_.find("ray.io", "v1", "rayjobs")) {
                dirty_.insert({rj, key_of(sget(meta, "namespace"), sget(ref, "name"))});
            }
        }
    }
}

void member_cluster::reconcile_rayjob(const json& j, time_point now) {
    const auto* r = registry_.find("ray.io", "v1", "rayjobs");
    const auto* rc = registry_.find("ray.io", "v1", "rayclusters");
    const json& meta = jget(j, "metadata");
    const json& spec = jget(j, "spec");
    std::string name = sget(meta, "name");
    std::string ns = sget(meta, "namespace");
    std::string okey = owner_key(*r, ns, name);
    json status = jget(j, "status");
    if (!status.is_object())
        status = json::object();
    std::string deploy = sget(status, "jobDeploymentStatus");
    if (deploy == "Complete" || deploy == "Failed")
        return;
    std::string cluster = sget(status, "rayClusterName");
    if (cluster.empty()) {
        cluster = name + "-" + store_.random_suffix(5);
        json rc_obj = {{"metadata",
                        {{"name", cluster},
                         {"namespace", ns},
                         {"labels",
                          {{"ray.io/originated-from-crd", "RayJob"},
                           {"ray.io/originated-from-cr-name", name}}},
                         {"ownerReferences", json::array({{{"apiVersion", "ray.io/v1"},
                                                           {"kind", "RayJob"},
                                                           {"name", name},
                                                           {"uid", sget(meta, "uid")},
                                                           {"controller", true},
                                                           {"blockOwnerDeletion", true}}})}}},
                       {"spec", jget(spec, "rayClusterSpec")}};
        const json& oa = jget(meta, "annotations");
        for (const char* k : {"fedsim.io/run-seconds", "fedsim.io/outcome"}) {
            if (!sget(oa, k).empty())
                rc_obj["metadata"]["annotations"][k] = sget(oa, k);
        }
        if (rc)
            (void)store_.create(*rc, ns, rc_obj);
        status["rayClusterName"] = cluster;
        status["jobId"] = name + "-" + store_.random_suffix(5);
        status["jobDeploymentStatus"] = "Initializing";
        status["startTime"] = rfc3339(now);
        write_status(*r, j, std::move(status));
        return;
    }
    auto cobj = rc ? store_.find(*rc, ns, cluster) : nullptr;
    json cstatus = cobj ? jget(*cobj, "status") : json();
    if (cstatus.is_object())
        status["rayClusterStatus"] = cstatus;
    bool ready = sget(cstatus, "state") == "ready";
    const json& ann = jget(meta, "annotations");
    double run = config_.workload.run_seconds;
    if (!sget(ann, "fedsim.io/run-seconds").empty()) {
        try {
            run = std::stod(sget(ann, "fedsim.io/run-seconds"));
        } catch (const std::exception&) {
        }
    }
    if (deploy == "Initializing" && ready) {
        status["jobDeploymentStatus"] = "Running";
        status["jobStatus"] = "RUNNING";
        status["dashboardURL"] = cluster + "-head-svc." + ns + ".svc.cluster.local:8265";
        time_point end = after(now, run / time_scale_);
        rayjob_ends_[okey] = end;
        timers_.emplace(end, "W:ray.io|rayjobs|" + ns + "/" + name);
    } else if (deploy == "Running") {
        auto it = rayjob_ends_.find(okey);
        if (it == rayjob_ends_.end()) {
            time_point end = after(now, run / time_scale_);
            rayjob_ends_[okey] = end;
            timers_.emplace(end, "W:ray.io|rayjobs|" + ns + "/" + name);
        } else if (now >= it->second) {
            std::string outcome = sget(ann, "fedsim.io/outcome");
            bool fail =
                outcome == "fail" ||
                (outcome.empty() &&
                 static_cast<double>(hash_str(ns + "/" + name, seed_) >> 11) / 9007199254740992.0 <
                     config_.workload.failure_rate);
            status["jobStatus"] = fail ? "FAILED" : "SUCCEEDED";
            status["jobDeploymentStatus"] = fail ? "Failed" : "Complete";
            status["endTime"] = rfc3339(it->second);
            status["message"] =
                fail ? "Job failed with exit code 1." : "Job finished successfully.";
            if (fail)
                status["reason"] = "AppFailed";
            status["succeeded"] = fail ? 0 : 1;
            status["failed"] = fail ? 1 : 0;
            rayjob_ends_.erase(it);
            if (jget(spec, "shutdownAfterJobFinishes").is_boolean() &&
                spec["shutdownAfterJobFinishes"].get<bool>() && rc) {
                (void)store_.remove(*rc, ns, cluster,
                                    delete_options{"Background", {}, {}, {}, false});
            }
        }
    }
    write_status(*r, j, std::move(status));
}

void member_cluster::reconcile_notebook(const json& n, time_point now) {
    const auto* r = registry_.find("kubeflow.org", "v1", "notebooks");
    const json& meta = jget(n, "metadata");
    std::string name = sget(meta, "name");
    std::string okey = owner_key(*r, sget(meta, "namespace"), name);
    auto pods = owned_pods(okey);
    pod_state* pod = nullptr;
    for (auto* p : pods) {
        if (p->phase == pod_phase::failed || p->phase == pod_phase::succeeded) {
            delete_pod(key_of(p->ns, p->name));
        } else {
            pod = p;
        }
    }
    if (!pod) {
        create_pod(*r, n, jget(jget(n, "spec"), "template"), name + "-0", "",
                   {{"notebook-name", name},
                    {"statefulset", name},
                    {"statefulset.kubernetes.io/pod-name", name + "-0"}},
                   {{"fedsim.io/owner", okey}}, "", now);
    }
    json status = jget(n, "status");
    if (!status.is_object())
        status = json::object();
    bool running = pod && pod->phase == pod_phase::running;
    status["readyReplicas"] = running ? 1 : 0;
    if (running) {
        status["containerState"] = {{"running", {{"startedAt", rfc3339(pod->started)}}}};
    } else {
        status["containerState"] = {{"waiting", {{"reason", "ContainerCreating"}}}};
    }
    json conds = json::array();
    if (running) {
        conds.push_back({{"type", "Ready"},
                         {"status", "True"},
                         {"lastProbeTime", rfc3339(pod->started)},
                         {"lastTransitionTime", rfc3339(pod->started)}});
    }
    status["conditions"] = conds;
    write_status(*r, n, std::move(status));
}

// --- summaries and logs ----------------------------------------------------------------------

member_summary member_cluster::summary() const {
    member_summary s;
    s.nodes_total = static_cast<std::int64_t>(nodes_.size());
    s.nodes_ready = s.nodes_total;
    for (const auto& n : nodes_) {
        s.allocatable.add(n.allocatable);
        s.pods_allocatable += n.pods_allocatable;
        s.allocated.add(n.used);
        s.pods_allocated += n.pods_used;
    }
    for (const auto& [seq, key] : pending_) {
        auto it = pods_.find(key);
        if (it == pods_.end())
            continue;
        s.allocating.add(it->second.requests);
        s.pods_allocating += 1;
    }
    return s;
}

json member_cluster::allocatable_modelings(const json& models) const {
    json out = json::array();
    if (!models.is_array() || models.empty())
        return out;
    struct grade {
        std::int64_t number = 0;
        std::vector<std::pair<std::string, std::int64_t>> mins;
        std::int64_t count = 0;
    };
    std::vector<grade> grades;
    for (const auto& m : models) {
        grade g;
        g.number = iget(m, "grade", 0);
        const json& ranges = jget(m, "ranges");
        if (ranges.is_array()) {
            for (const auto& rg : ranges) {
                std::string rname = sget(rg, "name");
                g.mins.emplace_back(rname, parse_amount(rname, jget(rg, "min")));
            }
        }
        grades.push_back(std::move(g));
    }
    std::sort(grades.begin(), grades.end(),
              [](const grade& a, const grade& b) { return a.number < b.number; });
    for (const auto& n : nodes_) {
        // Karmada stops counting at the first node whose pod slots are all taken.
        if (n.pods_used >= n.pods_allocatable)
            break;
        resource_amounts free = n.allocatable;
        free.add(n.used, -1);
        int chosen = -1;
        for (std::size_t gi = 0; gi < grades.size(); ++gi) {
            bool ok = true;
            for (const auto& [rname, min] : grades[gi].mins) {
                std::int64_t have = rname == "cpu" ? free.cpu_milli
                                    : rname == "memory"
                                        ? free.memory
                                        : (free.scalar.count(rname) ? free.scalar.at(rname) : 0);
                if (have < min) {
                    ok = false;
                    break;
                }
            }
            if (ok)
                chosen = static_cast<int>(gi);
        }
        if (chosen >= 0)
            grades[static_cast<std::size_t>(chosen)].count++;
    }
    for (const auto& g : grades)
        out.push_back({{"grade", g.number}, {"count", g.count}});
    return out;
}

api_result<log_chunk> member_cluster::pod_log(std::string_view namespace_, std::string_view pod,
                                              const log_options& options) const {
    auto obj = store_.find(*pods_res_, namespace_, pod);
    if (!obj)
        return not_found(*pods_res_, pod);
    auto it = pods_.find(key_of(std::string(namespace_), std::string(pod)));
    std::vector<std::string> containers;
    const json& cs = jget(jget(*obj, "spec"), "containers");
    if (cs.is_array()) {
        for (const auto& c : cs)
            containers.push_back(sget(c, "name"));
    }
    std::string container = options.container;
    if (container.empty()) {
        if (containers.size() != 1) {
            std::string list;
            for (std::size_t i = 0; i < containers.size(); ++i)
                list += (i ? " " : "") + containers[i];
            return bad_request("a container name must be specified for pod " + std::string(pod) +
                               ", choose one of: [" + list + "]");
        }
        container = containers.front();
    } else if (std::find(containers.begin(), containers.end(), container) == containers.end()) {
        return bad_request("container " + container + " is not valid for pod " + std::string(pod));
    }
    log_chunk out;
    if (it == pods_.end() || it->second.phase == pod_phase::pending) {
        return out;  // no node yet: the API server answers with an empty log
    }
    const auto& p = it->second;
    if (p.phase == pod_phase::creating) {
        return bad_request("container \"" + container + "\" in pod \"" + std::string(pod) +
                           "\" is waiting to start: ContainerCreating");
    }
    double lps = config_.workload.log_lines_per_second;
    bool done = p.phase == pod_phase::succeeded || p.phase == pod_phase::failed;
    time_point end = done ? p.finished : now_;
    double elapsed = std::chrono::duration<double>(end - p.started).count() * time_scale_;
    std::int64_t body = static_cast<std::int64_t>(std::floor(std::max(0.0, elapsed) * lps));
    body = std::min<std::int64_t>(body, 1000000);
    std::int64_t total = 1 + body + (done ? 1 : 0);
    std::int64_t from = 0;
    if (options.from_line)
        from = std::clamp<std::int64_t>(*options.from_line, 0, total);
    else if (options.tail_lines)
        from = std::max<std::int64_t>(0, total - std::max<std::int64_t>(0, *options.tail_lines));
    std::string node = p.node >= 0 ? nodes_[static_cast<std::size_t>(p.node)].name : std::string();
    std::int64_t steps = static_cast<std::int64_t>(std::floor(p.run_seconds * lps));
    for (std::int64_t i = from; i < total; ++i) {
        std::string line;
        double offset = 0;
        if (i == 0) {
            line = "Starting " + container + " in pod " + std::string(pod) + " on cluster " +
                   config_.name;
        } else if (done && i == total - 1) {
            offset = std::chrono::duration<double>(p.finished - p.started).count();
            line = p.phase == pod_phase::succeeded ? "Training finished: status=success"
                                                   : "Error: training failed with exit code 1";
        } else {
            offset = static_cast<double>(i) / (lps > 0 ? lps : 1) / time_scale_;
            std::uint64_t h = hash_str(p.uid + container, static_cast<std::uint64_t>(i));
            double loss = 2.5 / (1.0 + 0.05 * static_cast<double>(i)) +
                          static_cast<double>(h % 1000) / 20000.0;
            char buf[128];
            std::snprintf(buf, sizeof buf, "step %lld/%lld loss=%.4f lr=0.001",
                          static_cast<long long>(i), static_cast<long long>(steps), loss);
            line = buf;
        }
        if (options.timestamps)
            line = rfc3339_nano(after(p.started, offset)) + " " + line;
        out.text += line;
        out.text += '\n';
        if (options.limit_bytes &&
            static_cast<std::int64_t>(out.text.size()) >= *options.limit_bytes) {
            out.text.resize(static_cast<std::size_t>(*options.limit_bytes));
            break;
        }
    }
    out.next_line = total;
    out.finished = done;
    return out;
}

}  // namespace fedsim::model
