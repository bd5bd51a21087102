#include "sim/model/karmada_controller.hpp"
#include "sim/model/json_access.hpp"

#include "sim/model/federation.hpp"
#include "sim/model/patch.hpp"
#include "sim/model/pod_resources.hpp"
#include "sim/model/selectors.hpp"

#include "propagation/division/division.hpp"
#include "propagation/division/general_estimator.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace fedsim::model {

using nlohmann::json;
namespace div = propagation::division;

namespace {

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string key_of(const std::string& ns, const std::string& name) {
    return ns + "/" + name;
}

std::pair<std::string, std::string> split_key(const std::string& key) {
    auto slash = key.find('/');
    return {key.substr(0, slash), key.substr(slash + 1)};
}

/// Karmada's names.GenerateBindingName.
std::string binding_name(const std::string& kind, const std::string& name) {
    std::string n = lower(name + "-" + kind);
    std::replace(n.begin(), n.end(), ':', '.');
    return n;
}

bool reserved_namespace(const std::string& ns) {
    return ns == "karmada-system" || ns == "karmada-cluster" || ns.rfind("karmada-es-", 0) == 0 ||
           ns == "kube-system" || ns == "kube-public" || ns == "kube-node-lease";
}

bool propagatable(const resource_info& r) {
    if (r.control_plane_only)
        return false;
    if (r.group.empty() &&
        (r.plural == "namespaces" || r.plural == "events" || r.plural == "nodes")) {
        return false;
    }
    return true;
}

json condition(const std::string& type, bool ok, const std::string& reason,
               const std::string& message, time_point t) {
    return {{"type", type},
            {"status", ok ? "True" : "False"},
            {"reason", reason},
            {"message", message},
            {"lastTransitionTime", format_time(t)}};
}

/// util.ClusterMatches: exclude, labelSelector, fieldSelector and clusterNames, ANDed.
bool affinity_matches(const json& affinity, const json& cluster) {
    if (!affinity.is_object())
        return true;
    const json& meta = jget(cluster, "metadata");
    const std::string& name = sget(meta, "name");
    if (const json& ex = jget(affinity, "exclude"); ex.is_array()) {
        for (const auto& e : ex) {
            if (e.is_string() && e.get<std::string>() == name)
                return false;
        }
    }
    if (const json& ls = jget(affinity, "labelSelector"); ls.is_object()) {
        auto sel = label_selector::from_json(ls);
        if (!sel || !sel->matches(jget(meta, "labels")))
            return false;
    }
    if (const json& fs = jget(affinity, "fieldSelector"); fs.is_object()) {
        const json& spec = jget(cluster, "spec");
        const json& exprs = jget(fs, "matchExpressions");
        if (exprs.is_array()) {
            for (const auto& e : exprs) {
                std::string key = sget(e, "key");
                std::string op = sget(e, "operator");
                std::vector<std::string> have;
                if (key == "provider")
                    have.push_back(sget(spec, "provider"));
                else if (key == "region")
                    have.push_back(sget(spec, "region"));
                else if (key == "zone") {
                    if (const json& z = jget(spec, "zones"); z.is_array()) {
                        for (const auto& v : z)
                            if (v.is_string())
                                have.push_back(v.get<std::string>());
                    }
                    if (!sget(spec, "zone").empty())
                        have.push_back(sget(spec, "zone"));
                }
                bool any = false;
                const json& values = jget(e, "values");
                for (const auto& h : have) {
                    if (h.empty())
                        continue;
                    if (values.is_array() &&
                        std::find(values.begin(), values.end(), json(h)) != values.end()) {
                        any = true;
                    }
                }
                if (op == "In" && !any)
                    return false;
                if (op == "NotIn" && any)
                    return false;
            }
        }
    }
    if (const json& names = jget(affinity, "clusterNames"); names.is_array() && !names.empty()) {
        if (std::find(names.begin(), names.end(), json(name)) == names.end())
            return false;
    }
    return true;
}

bool tolerated(const json& taint, const json& tolerations) {
    if (!tolerations.is_array())
        return false;
    for (const auto& t : tolerations) {
        std::string op = sget(t, "operator");
        if (op.empty())
            op = "Equal";
        const std::string& key = sget(t, "key");
        if (!key.empty() && key != sget(taint, "key"))
            continue;
        if (key.empty() && op != "Exists")
            continue;
        if (op == "Equal" && sget(t, "value") != sget(taint, "value"))
            continue;
        const std::string& effect = sget(t, "effect");
        if (!effect.empty() && effect != sget(taint, "effect"))
            continue;
        return true;
    }
    return false;
}

/// The first NoSchedule/NoExecute taint the placement does not tolerate, or null.
const json* untolerated_taint(const json& cluster, const json& tolerations) {
    const json& taints = jget(jget(cluster, "spec"), "taints");
    if (!taints.is_array())
        return nullptr;
    for (const auto& t : taints) {
        std::string effect = sget(t, "effect");
        if (effect != "NoSchedule" && effect != "NoExecute")
            continue;
        if (!tolerated(t, tolerations))
            return &t;
    }
    return nullptr;
}

bool api_enabled(const json& cluster, const resource_info& r) {
    const json& en = jget(jget(cluster, "status"), "apiEnablements");
    if (!en.is_array())
        return true;  // unknown: Karmada does not filter
    for (const auto& gv : en) {
        if (sget(gv, "groupVersion") != r.api_version())
            continue;
        const json& res = jget(gv, "resources");
        if (!res.is_array())
            continue;
        for (const auto& x : res) {
            if (sget(x, "name") == r.plural)
                return true;
        }
    }
    return false;
}

std::int64_t template_replicas(const resource_info& r, const json& tmpl) {
    const json& spec = jget(tmpl, "spec");
    if (r.group == "apps" && r.plural == "deployments")
        return iget(spec, "replicas", 1);
    if (r.group == "batch" && r.plural == "jobs") {
        std::int64_t p = iget(spec, "parallelism", 1);
        std::int64_t c = iget(spec, "completions", p);
        return std::min(p, c);
    }
    return 0;
}

json resource_request(const resource_info& r, const json& tmpl) {
    if (!((r.group == "apps" && r.plural == "deployments") ||
          (r.group == "batch" && r.plural == "jobs"))) {
        return nullptr;
    }
    auto req = pod_requests(jget(jget(jget(tmpl, "spec"), "template"), "spec"));
    json out = json::object();
    if (req.cpu_milli > 0)
        out["cpu"] = format_amount("cpu", req.cpu_milli);
    if (req.memory > 0)
        out["memory"] = format_amount("memory", req.memory);
    for (const auto& [k, v] : req.scalar) {
        if (v > 0)
            out[k] = format_amount(k, v);
    }
    return out;
}

int worst_rank(const std::vector<std::string>& order, const std::string& v) {
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (order[i] == v || (order[i] == "Suspend" && v.rfind("Suspend", 0) == 0)) {
            return static_cast<int>(i);
        }
    }
    return static_cast<int>(order.size());
}

api_error webhook_denied(const std::string& webhook, const std::string& message) {
    api_error e;
    e.code = 403;
    e.reason = "Forbidden";
    e.message = "admission webhook \"" + webhook + "\" denied the request: " + message;
    return e;
}

}  // namespace

karmada_controller::karmada_controller(
    object_store& control_plane, const resource_registry& registry,
    std::vector<member_cluster*> members,
    const std::map<std::string, fault_state, std::less<>>& faults, std::string kubernetes_version)
    : cp_(control_plane),
      registry_(registry),
      members_(std::move(members)),
      faults_(faults),
      kubernetes_version_(std::move(kubernetes_version)) {
    clusters_res_ = registry_.find("cluster.karmada.io", "v1alpha1", "clusters");
    rb_res_ = registry_.find("work.karmada.io", "v1alpha2", "resourcebindings");
    crb_res_ = registry_.find("work.karmada.io", "v1alpha2", "clusterresourcebindings");
    pp_res_ = registry_.find("policy.karmada.io", "v1alpha1", "propagationpolicies");
    cpp_res_ = registry_.find("policy.karmada.io", "v1alpha1", "clusterpropagationpolicies");
    op_res_ = registry_.find("policy.karmada.io", "v1alpha1", "overridepolicies");
    ns_res_ = registry_.find("", "v1", "namespaces");
}

member_cluster* karmada_controller::member(const std::string& name) const {
    for (auto* m : members_) {
        if (m->name() == name)
            return m;
    }
    return nullptr;
}

bool karmada_controller::cluster_reachable(const std::string& name) const {
    auto* m = member(name);
    if (!m)
        return false;
    auto it = faults_.find(name);
    return it == faults_.end() || (it->second.ready && !it->second.unavailable);
}

// --- bootstrap and cluster status ------------------------------------------------------------

void karmada_controller::bootstrap(time_point now) {
    if (ns_res_) {
        for (const char* n : {"default", "karmada-cluster", "karmada-system", "kube-node-lease",
                              "kube-public", "kube-system"}) {
            (void)cp_.create(*ns_res_, "", json{{"metadata", {{"name", n}}}});
        }
        for (auto* m : members_) {
            (void)cp_.create(*ns_res_, "",
                             json{{"metadata", {{"name", "karmada-es-" + m->name()}}}});
        }
    }
    if (clusters_res_) {
        for (auto* m : members_) {
            const auto& c = m->config();
            json labels = json::object();
            for (const auto& [k, v] : c.labels)
                labels[k] = v;
            json spec = {{"syncMode", c.sync_mode},
                         {"apiEndpoint", "https://" + c.name + ".fedsim.local:6443"},
                         {"secretRef", {{"namespace", "karmada-cluster"}, {"name", c.name}}},
                         {"impersonatorSecretRef",
                          {{"namespace", "karmada-cluster"}, {"name", c.name + "-impersonator"}}},
                         {"id", cp_.next_uid()}};
            if (!c.provider.empty())
                spec["provider"] = c.provider;
            if (!c.region.empty())
                spec["region"] = c.region;
            if (!c.zones.empty())
                spec["zones"] = c.zones;
            if (c.taints.is_array() && !c.taints.empty())
                spec["taints"] = c.taints;
            if (c.resource_models.is_array() && !c.resource_models.empty()) {
                spec["resourceModels"] = c.resource_models;
            }
            json cluster = {{"metadata", {{"name", c.name}, {"labels", labels}}}, {"spec", spec}};
            cp_.put(*clusters_res_, std::move(cluster));
        }
    }
    update_clusters(now);
    // React to every change from here on.
    for (const auto& r : registry_.all()) {
        bool wanted = propagatable(r) || &r == pp_res_ || &r == cpp_res_ || &r == op_res_ ||
                      &r == rb_res_ || &r == crb_res_ || &r == clusters_res_ || &r == ns_res_;
        if (wanted)
            watched_.insert(&r);
    }
    seen_cp_rv_ = cp_.resource_version();
    sync_namespaces();
}

void karmada_controller::update_clusters(time_point now) {
    if (!clusters_res_)
        return;
    for (auto* m : members_) {
        const std::string& name = m->name();
        auto fit = faults_.find(name);
        bool ready = fit == faults_.end() || fit->second.ready;
        bool reachable = fit == faults_.end() || !fit->second.unavailable;
        // Refreshed when the member's allocations or the faults changed, not on every write in
        // the member (most are pod status updates that leave the summary as it was).
        std::string sig = std::to_string(m->capacity_version()) + (ready ? "R" : "N") +
                          (reachable ? "r" : "u");
        auto existing = cp_.find(*clusters_res_, "", name);
        if (!existing)
            continue;
        if (cluster_signature_[name] == sig && existing->contains("status")) {
            continue;
        }
        bool ok_now = ready && reachable;
        auto last_ok = cluster_ok_.find(name);
        bool summary_only = last_ok != cluster_ok_.end() && last_ok->second == ok_now &&
                            existing->contains("status");
        if (summary_only) {
            // Allocations moved: summarised at most once per period (the first change after a
            // quiet period at once, later ones when the period is over).
            auto w = summary_written_.find(name);
            if (w != summary_written_.end() && now < w->second + summary_period) {
                summary_due_[name] = w->second + summary_period;
                continue;
            }
            summary_written_[name] = now;
        }
        summary_due_.erase(name);
        cluster_signature_[name] = sig;
        cluster_ok_[name] = ok_now;
        json cluster = *existing;
        json& status = cluster["status"];
        if (!status.is_object())
            status = json::object();
        bool ok = ready && reachable;
        json conds = status.contains("conditions") ? status["conditions"] : json::array();
        upsert_condition(
            conds,
            condition(
                "Ready", ok,
                ok ? "ClusterReady" : (reachable ? "ClusterNotReady" : "ClusterNotReachable"),
                ok ? "cluster is healthy and ready to accept workloads"
                   : (reachable ? "cluster is reachable but health endpoint responded without ok"
                                : "cluster is not reachable"),
                now));
        if (ok || !status.contains("apiEnablements")) {
            upsert_condition(conds,
                             condition("CompleteAPIEnablements", true, "Complete",
                                       "collected complete APIEnablements from the cluster", now));
            status["kubernetesVersion"] = m->config().kubernetes_version;
            if (api_enablements_.is_null()) {
                // Served group-versions, sorted; resources by name.
                std::map<std::string, std::vector<std::pair<std::string, std::string>>> gvs;
                for (const auto& r : registry_.all()) {
                    if (r.control_plane_only)
                        continue;
                    gvs[r.api_version()].emplace_back(r.plural, r.kind);
                }
                json en = json::array();
                for (auto& [gv, rs] : gvs) {
                    std::sort(rs.begin(), rs.end());
                    json list = json::array();
                    for (const auto& [plural, kind] : rs)
                        list.push_back({{"name", plural}, {"kind", kind}});
                    en.push_back({{"groupVersion", gv}, {"resources", list}});
                }
                api_enablements_ = std::move(en);
            }
            status["apiEnablements"] = api_enablements_;
            auto s = m->summary();
            status["nodeSummary"] = {{"totalNum", s.nodes_total}, {"readyNum", s.nodes_ready}};
            json summary = {{"allocatable", s.allocatable.to_json(s.pods_allocatable)},
                            {"allocating", s.allocating.to_json(s.pods_allocating)},
                            {"allocated", s.allocated.to_json(s.pods_allocated)}};
            const json& models = jget(jget(cluster, "spec"), "resourceModels");
            if (models.is_array() && !models.empty()) {
                summary["allocatableModelings"] = m->allocatable_modelings(models);
            }
            status["resourceSummary"] = summary;
        }
        status["conditions"] = conds;
        // The not-ready taint follows the Ready condition.
        json& spec = cluster["spec"];
        json taints =
            spec.contains("taints") && spec["taints"].is_array() ? spec["taints"] : json::array();
        json kept = json::array();
        bool had = false;
        for (const auto& t : taints) {
            if (sget(t, "key") == "cluster.karmada.io/not-ready") {
                had = true;
                if (!ok)
                    kept.push_back(t);
            } else {
                kept.push_back(t);
            }
        }
        if (!ok && !had) {
            kept.push_back({{"key", "cluster.karmada.io/not-ready"},
                            {"effect", "NoSchedule"},
                            {"timeAdded", format_time(now)}});
        }
        if (kept.empty())
            spec.erase("taints");
        else
            spec["taints"] = kept;
        auto stored = cp_.put(*clusters_res_, std::move(cluster));
        if (summary_only && stored != existing) {
            const std::string& rv = sget(jget(*stored, "metadata"), "resourceVersion");
            summary_writes_.insert(std::strtoull(rv.c_str(), nullptr, 10));
        }
    }
}

std::optional<time_point> karmada_controller::next_wakeup() const {
    std::optional<time_point> best;
    for (const auto& [name, due] : summary_due_) {
        if (!best || due < *best)
            best = due;
    }
    return best;
}

void karmada_controller::sync_namespaces() {
    if (!ns_res_)
        return;
    std::set<std::string> wanted;
    cp_.for_each(*ns_res_, "", [&](const object_ptr& p) {
        const json& meta = jget(*p, "metadata");
        const std::string& name = sget(meta, "name");
        if (reserved_namespace(name) || name == "default")
            return;
        if (sget(jget(meta, "labels"), "namespace.karmada.io/skip-auto-propagation") == "true")
            return;
        if (jget(meta, "deletionTimestamp").is_string())
            return;
        wanted.insert(name);
    });
    for (auto* m : members_) {
        if (!cluster_reachable(m->name()))
            continue;
        for (const auto& n : wanted) {
            if (!m->store().find(*ns_res_, "", n)) {
                json ns = {
                    {"metadata", {{"name", n}, {"labels", {{"karmada.io/managed", "true"}}}}}};
                (void)m->store().create(*ns_res_, "", std::move(ns));
            }
        }
        for (const auto& n : propagated_namespaces_) {
            if (!wanted.count(n) && m->store().find(*ns_res_, "", n)) {
                (void)m->store().remove(*ns_res_, "", n);
            }
        }
    }
    propagated_namespaces_ = std::move(wanted);
}

// --- admission webhooks ----------------------------------------------------------------------

std::optional<api_error> karmada_controller::admit(const resource_info& r, json& obj,
                                                   const json* old_obj) {
    bool pp = &r == pp_res_;
    bool cpp = &r == cpp_res_;
    if (!pp && !cpp && &r != op_res_)
        return std::nullopt;
    json& meta = obj["metadata"];
    std::string webhook = pp    ? "propagationpolicy.karmada.io"
                          : cpp ? "clusterpropagationpolicy.karmada.io"
                                : "overridepolicy.karmada.io";
    json& spec = obj["spec"];
    if (spec.is_object()) {
        json& sels = spec["resourceSelectors"];
        if (sels.is_array()) {
            for (auto& s : sels) {
                if (!s.is_object())
                    continue;
                if ((pp || &r == op_res_) && sget(s, "namespace").empty())
                    s["namespace"] = sget(meta, "namespace");
                if ((pp || &r == op_res_) && sget(s, "namespace") != sget(meta, "namespace")) {
                    return webhook_denied(
                        webhook,
                        "spec.resourceSelectors: Invalid value: \"" + sget(s, "namespace") +
                            "\": the namespace of a resource selector must equal the policy's");
                }
            }
        } else if (sels.is_null()) {
            spec.erase("resourceSelectors");
        }
    }
    if (pp || cpp) {
        json& placement = spec["placement"];
        if (placement.is_null())
            placement = json::object();
        if (placement.is_object()) {
            if (placement.contains("clusterAffinity") && placement.contains("clusterAffinities") &&
                !placement["clusterAffinity"].is_null() &&
                !placement["clusterAffinities"].is_null()) {
                return webhook_denied(webhook,
                                      "clusterAffinities can not co-exist with clusterAffinity");
            }
            if (placement.contains("spreadConstraints") &&
                placement["spreadConstraints"].is_array()) {
                bool cluster_level = false, field_level = false;
                for (auto& c : placement["spreadConstraints"]) {
                    if (!c.is_object())
                        continue;
                    if (sget(c, "spreadByField").empty() && sget(c, "spreadByLabel").empty()) {
                        c["spreadByField"] = "cluster";
                    }
                    if (!sget(c, "spreadByField").empty() && !sget(c, "spreadByLabel").empty()) {
                        return webhook_denied(
                            webhook, "spreadByLabel should not co-exist with spreadByField");
                    }
                    if (!c.contains("minGroups"))
                        c["minGroups"] = 1;
                    if (c.contains("maxGroups") &&
                        iget(c, "maxGroups", 0) < iget(c, "minGroups", 1)) {
                        return webhook_denied(webhook,
                                              "maxGroups lower than minGroups is not allowed");
                    }
                    if (sget(c, "spreadByField") == "cluster")
                        cluster_level = true;
                    else if (!sget(c, "spreadByField").empty())
                        field_level = true;
                }
                if (field_level && !cluster_level) {
                    return webhook_denied(
                        webhook,
                        "the cluster spread constraint must be enabled in one of the "
                        "constraints in case of SpreadByField is enabled");
                }
            }
            if (placement.contains("replicaScheduling") &&
                placement["replicaScheduling"].is_object()) {
                json& rs = placement["replicaScheduling"];
                if (sget(rs, "replicaSchedulingType").empty())
                    rs["replicaSchedulingType"] = "Divided";
                if (sget(rs, "replicaSchedulingType") == "Divided" &&
                    sget(rs, "replicaDivisionPreference").empty()) {
                    rs["replicaDivisionPreference"] = "Weighted";
                }
            }
        }
        if (!spec.contains("priority"))
            spec["priority"] = 0;
        if (!spec.contains("conflictResolution"))
            spec["conflictResolution"] = "Abort";
        if (!spec.contains("schedulerName"))
            spec["schedulerName"] = "default-scheduler";
        if (!spec.contains("preemption"))
            spec["preemption"] = "Never";
        const char* id_label = pp ? "propagationpolicy.karmada.io/permanent-id"
                                  : "clusterpropagationpolicy.karmada.io/permanent-id";
        if (!meta.contains("labels") || !meta["labels"].is_object())
            meta["labels"] = json::object();
        std::string id;
        if (old_obj)
            id = sget(jget(jget(*old_obj, "metadata"), "labels"), id_label);
        if (id.empty())
            id = sget(meta["labels"], id_label);
        if (id.empty())
            id = cp_.next_uid();
        meta["labels"][id_label] = id;
    }
    return std::nullopt;
}

// --- event intake ----------------------------------------------------------------------------

namespace {

std::string policy_key_of(const resource_info& r, const std::string& ns, const std::string& name) {
    return r.plural + "|" + ns + "/" + name;
}

}  // namespace

void karmada_controller::resync_control_plane() {
    policies_by_name_.clear();
    policies_by_kind_.clear();
    policy_entries_.clear();
    for (const auto* pr : {pp_res_, cpp_res_}) {
        if (!pr)
            continue;
        cp_.for_each(*pr, "", [&](const object_ptr& p) { index_policy(*pr, *p); });
    }
    for (const auto& r : registry_.all()) {
        if (!propagatable(r))
            continue;
        cp_.for_each(r, "", [&](const object_ptr& p) {
            const json& m = jget(*p, "metadata");
            dirty_templates_.insert({&r, key_of(sget(m, "namespace"), sget(m, "name"))});
        });
    }
    for (const auto* br : {rb_res_, crb_res_}) {
        if (!br)
            continue;
        cp_.for_each(*br, "", [&](const object_ptr& p) {
            const json& m = jget(*p, "metadata");
            dirty_bindings_.insert({br, key_of(sget(m, "namespace"), sget(m, "name"))});
        });
    }
    ++clusters_version_;
    sync_namespaces();
}

void karmada_controller::unindex_policy(const std::string& pkey) {
    auto it = policy_entries_.find(pkey);
    if (it == policy_entries_.end())
        return;
    for (const auto& e : it->second) {
        if (e.rfind("K|", 0) == 0) {
            // "K|<resource address>": kind entry.
            for (auto k = policies_by_kind_.begin(); k != policies_by_kind_.end();) {
                if ("K|" + std::to_string(reinterpret_cast<std::uintptr_t>(k->first)) == e) {
                    k->second.erase(pkey);
                    if (k->second.empty()) {
                        k = policies_by_kind_.erase(k);
                        continue;
                    }
                }
                ++k;
            }
        } else {
            auto n = policies_by_name_.find(e);
            if (n != policies_by_name_.end()) {
                n->second.erase(pkey);
                if (n->second.empty())
                    policies_by_name_.erase(n);
            }
        }
    }
    policy_entries_.erase(it);
}

namespace {

/// Index key of a name selector: "<resource address>|<ns>/<name>".
std::string name_entry(const resource_info* r, const std::string& ns, const std::string& name) {
    return std::to_string(reinterpret_cast<std::uintptr_t>(r)) + "|" + ns + "/" + name;
}

}  // namespace

void karmada_controller::index_policy(const resource_info& pr, const json& policy) {
    const json& meta = jget(policy, "metadata");
    const std::string& pns = sget(meta, "namespace");
    std::string pkey = policy_key_of(pr, pns, sget(meta, "name"));
    unindex_policy(pkey);
    if (jget(meta, "deletionTimestamp").is_string())
        return;
    const json& sels = jget(jget(policy, "spec"), "resourceSelectors");
    if (!sels.is_array())
        return;
    auto& entries = policy_entries_[pkey];
    bool is_pp = &pr == pp_res_;
    for (const auto& sel : sels) {
        const resource_info* r = registry_.find_kind(sget(sel, "apiVersion"), sget(sel, "kind"));
        if (!r)
            continue;  // never matches a template
        const std::string& name = sget(sel, "name");
        if (is_pp && !name.empty()) {
            std::string e = name_entry(r, r->namespaced ? pns : "", name);
            policies_by_name_[e].insert(pkey);
            entries.push_back(std::move(e));
        } else {
            policies_by_kind_[r].insert(pkey);
            entries.push_back("K|" + std::to_string(reinterpret_cast<std::uintptr_t>(r)));
        }
    }
}

void karmada_controller::on_policy_event(const resource_info& pr, event_type type,
                                         const object_ptr& policy) {
    const json& meta = jget(*policy, "metadata");
    const std::string& pns = sget(meta, "namespace");
    std::string pkey = policy_key_of(pr, pns, sget(meta, "name"));
    if (type == event_type::deleted)
        unindex_policy(pkey);
    else
        index_policy(pr, *policy);
    // Templates it claims (a change may release them) ...
    if (auto c = claims_.find(pkey); c != claims_.end()) {
        for (const auto& t : c->second)
            dirty_templates_.insert(t);
    }
    if (type == event_type::deleted)
        return;
    // ... and templates it may select now.
    const json& sels = jget(jget(*policy, "spec"), "resourceSelectors");
    if (!sels.is_array())
        return;
    bool is_pp = &pr == pp_res_;
    for (const auto& sel : sels) {
        const resource_info* r = registry_.find_kind(sget(sel, "apiVersion"), sget(sel, "kind"));
        if (!r || !propagatable(*r))
            continue;
        const std::string& name = sget(sel, "name");
        std::string ns = is_pp ? pns : sget(sel, "namespace");
        if (!r->namespaced)
            ns.clear();
        if (!name.empty() && (is_pp || !ns.empty() || !r->namespaced)) {
            dirty_templates_.insert({r, key_of(ns, name)});
            continue;
        }
        cp_.for_each(*r, ns, [&](const object_ptr& p) {
            const json& m = jget(*p, "metadata");
            if (!name.empty() && sget(m, "name") != name)
                return;
            dirty_templates_.insert({r, key_of(sget(m, "namespace"), sget(m, "name"))});
        });
    }
}

void karmada_controller::set_claim(const resource_info& r, const std::string& tkey,
                                   const std::string& pkey) {
    auto t = std::make_pair(&r, tkey);
    auto it = claimed_by_.find(t);
    if (it != claimed_by_.end()) {
        if (it->second == pkey)
            return;
        auto c = claims_.find(it->second);
        if (c != claims_.end()) {
            c->second.erase(t);
            if (c->second.empty())
                claims_.erase(c);
        }
        claimed_by_.erase(it);
    }
    if (pkey.empty())
        return;
    claimed_by_.emplace(t, pkey);
    claims_[pkey].insert(t);
}

void karmada_controller::drain(time_point now) {
    bool overrides_changed = false;
    bool clusters_changed = false;
    bool capacity_changed = false;
    bool namespaces_changed = false;
    if (cp_.resource_version() != seen_cp_rv_) {
        // One pass over the control plane's change feed. Policy events only touch the policy
        // index here; the templates they affect are marked afterwards, once the index is whole.
        std::vector<std::tuple<const resource_info*, event_type, object_ptr>> policy_events;
        bool complete = cp_.changes_since(
            seen_cp_rv_, [&](const resource_info& rr, event_type type, const object_ptr& obj) {
                const resource_info* r = &rr;
                if (!watched_.count(r))
                    return;
                const json& m = jget(*obj, "metadata");
                if (r == pp_res_ || r == cpp_res_) {
                    policy_events.emplace_back(r, type, obj);
                } else if (r == op_res_) {
                    overrides_changed = true;
                } else if (r == rb_res_ || r == crb_res_) {
                    auto rv = std::strtoull(sget(m, "resourceVersion").c_str(), nullptr, 10);
                    if (!own_writes_.erase(rv))
                        dirty_bindings_.insert({r, key_of(sget(m, "namespace"), sget(m, "name"))});
                } else if (r == clusters_res_) {
                    auto rv = std::strtoull(sget(m, "resourceVersion").c_str(), nullptr, 10);
                    if (summary_writes_.erase(rv))
                        capacity_changed = true;
                    else
                        clusters_changed = true;
                } else if (r == ns_res_) {
                    namespaces_changed = true;
                } else {
                    auto rv = std::strtoull(sget(m, "resourceVersion").c_str(), nullptr, 10);
                    if (!own_writes_.erase(rv))
                        dirty_templates_.insert({r, key_of(sget(m, "namespace"), sget(m, "name"))});
                }
            });
        seen_cp_rv_ = cp_.resource_version();
        summary_writes_.clear();
        own_writes_.clear();
        if (!complete) {
            resync_control_plane();
        } else {
            for (const auto& [r, type, obj] : policy_events)
                on_policy_event(*r, type, obj);
        }
    }
    if (overrides_changed)
        ++overrides_version_;
    if (clusters_changed)
        ++placement_version_;
    if (overrides_changed) {
        // OverridePolicies shape every copy: revisit all templates (rare).
        for (const auto& r : registry_.all()) {
            if (!propagatable(r))
                continue;
            cp_.for_each(r, "", [&](const object_ptr& p) {
                const json& m = jget(*p, "metadata");
                dirty_templates_.insert({&r, key_of(sget(m, "namespace"), sget(m, "name"))});
            });
        }
    }
    if (clusters_changed) {
        // Readiness, taints, labels...: every binding may place or apply differently.
        ++clusters_version_;
        for (const auto* br : {rb_res_, crb_res_}) {
            if (!br)
                continue;
            cp_.for_each(*br, "", [&](const object_ptr& p) {
                const json& m = jget(*p, "metadata");
                dirty_bindings_.insert({br, key_of(sget(m, "namespace"), sget(m, "name"))});
            });
        }
    } else if (capacity_changed) {
        // Only free capacity moved: the bindings that failed to schedule try again.
        ++clusters_version_;
        for (const auto& b : unscheduled_)
            dirty_bindings_.insert(b);
    }
    if (namespaces_changed)
        sync_namespaces();
    // Members that changed: refresh the bindings whose copies changed there.
    for (auto* m : members_) {
        auto rv = m->store().resource_version();
        auto& seen = member_seen_rv_[m->name()];
        if (seen == rv)
            continue;
        std::string prefix = m->name() + "|";
        bool complete = m->store().changes_since(
            seen, [&](const resource_info& r, event_type, const object_ptr& obj) {
                if (!propagatable(r))
                    return;
                const json& om = jget(*obj, "metadata");
                auto it = copies_.find(prefix + r.plural + "." + r.group + "|" +
                                       key_of(sget(om, "namespace"), sget(om, "name")));
                if (it == copies_.end())
                    return;
                auto bar = it->second.find('|');
                const resource_info* br =
                    it->second.substr(0, bar) == "resourcebindings" ? rb_res_ : crb_res_;
                dirty_bindings_.insert({br, it->second.substr(bar + 1)});
            });
        seen = rv;
        if (complete)
            continue;
        // The member's history moved on without us: every binding placed there.
        for (const auto& [bkey, per_cluster] : applied_) {
            if (!per_cluster.count(m->name()))
                continue;
            auto bar = bkey.find('|');
            const resource_info* br =
                bkey.substr(0, bar) == "resourcebindings" ? rb_res_ : crb_res_;
            dirty_bindings_.insert({br, bkey.substr(bar + 1)});
        }
    }
    (void)now;
}

bool karmada_controller::advance(time_point now) {
    std::uint64_t before = cp_.resource_version();
    std::vector<std::uint64_t> member_before;
    for (auto* m : members_)
        member_before.push_back(m->store().resource_version());
    update_clusters(now);
    drain(now);
    auto templates = std::move(dirty_templates_);
    dirty_templates_.clear();
    for (const auto& [r, k] : templates) {
        auto [ns, name] = split_key(k);
        reconcile_template(*r, ns, name, now);
    }
    drain(now);
    auto bindings = std::move(dirty_bindings_);
    dirty_bindings_.clear();
    for (const auto& [r, k] : bindings) {
        auto [ns, name] = split_key(k);
        reconcile_binding(*r, ns, name, now);
    }
    bool changed = cp_.resource_version() != before;
    for (std::size_t i = 0; i < members_.size(); ++i) {
        if (members_[i]->store().resource_version() != member_before[i])
            changed = true;
    }
    return changed || !dirty_templates_.empty() || !dirty_bindings_.empty();
}

// --- detector --------------------------------------------------------------------------------

std::optional<karmada_controller::policy_ref> karmada_controller::find_policy(
    const resource_info& r, const json& tmpl) {
    const json& meta = jget(tmpl, "metadata");
    const std::string& ns = sget(meta, "namespace");
    const std::string& name = sget(meta, "name");
    const json& labels = jget(meta, "labels");
    auto match_level = [&](const json& policy, bool cluster_scoped) {
        int best = 0;
        const json& sels = jget(jget(policy, "spec"), "resourceSelectors");
        if (!sels.is_array())
            return 0;
        for (const auto& s : sels) {
            if (sget(s, "apiVersion") != r.api_version() || sget(s, "kind") != r.kind)
                continue;
            const std::string& sns = sget(s, "namespace");
            if (!sns.empty() && sns != ns)
                continue;
            if (!cluster_scoped && r.namespaced &&
                ns != sget(jget(policy, "metadata"), "namespace"))
                continue;
            if (!sget(s, "name").empty()) {
                if (sget(s, "name") == name)
                    best = std::max(best, 3);
                continue;
            }
            if (const json& ls = jget(s, "labelSelector"); ls.is_object()) {
                auto sel = label_selector::from_json(ls);
                if (sel && sel->matches(labels))
                    best = std::max(best, 2);
                continue;
            }
            best = std::max(best, 1);
        }
        return best;
    };
    auto pick = [&](const resource_info* pr, std::string_view in_ns,
                    bool cluster_scoped) -> std::optional<policy_ref> {
        std::optional<policy_ref> best;
        if (!pr)
            return best;
        // Only the policies that can select this template (see policies_by_name_).
        std::vector<object_ptr> candidates;
        auto add = [&](const std::string& pkey) {
            auto bar = pkey.find('|');
            auto slash = pkey.find('/', bar + 1);
            std::string pns = pkey.substr(bar + 1, slash - bar - 1);
            if (!cluster_scoped && pns != in_ns)
                return;
            if (auto p = cp_.find(*pr, pns, pkey.substr(slash + 1)))
                candidates.push_back(std::move(p));
        };
        std::string prefix = pr->plural + "|";
        if (!cluster_scoped) {
            auto n = policies_by_name_.find(name_entry(&r, r.namespaced ? ns : "", name));
            if (n != policies_by_name_.end()) {
                for (const auto& pkey : n->second)
                    add(pkey);
            }
        }
        if (auto k = policies_by_kind_.find(&r); k != policies_by_kind_.end()) {
            for (const auto& pkey : k->second) {
                if (pkey.rfind(prefix, 0) == 0)
                    add(pkey);
            }
        }
        for (const auto& p : candidates) {
            if (jget(jget(*p, "metadata"), "deletionTimestamp").is_string())
                continue;
            int level = match_level(*p, cluster_scoped);
            if (level == 0)
                continue;
            if (!best) {
                best = policy_ref{pr, p, level};
                continue;
            }
            auto prio = [](const json& o) { return iget(jget(o, "spec"), "priority", 0); };
            std::int64_t a = prio(*p), b = prio(*best->object);
            bool better = a != b ? a > b
                          : level != best->match
                              ? level > best->match
                              : sget(jget(*p, "metadata"), "name") <
                                    sget(jget(*best->object, "metadata"), "name");
            if (better)
                best = policy_ref{pr, p, level};
        }
        return best;
    };
    // An existing claim stays while its policy still selects the template (no preemption).
    const json& ann = jget(meta, "annotations");
    if (!sget(ann, "propagationpolicy.karmada.io/name").empty() && pp_res_) {
        auto p = cp_.find(*pp_res_, sget(ann, "propagationpolicy.karmada.io/namespace"),
                          sget(ann, "propagationpolicy.karmada.io/name"));
        if (p && !jget(jget(*p, "metadata"), "deletionTimestamp").is_string()) {
            int level = match_level(*p, false);
            if (level)
                return policy_ref{pp_res_, p, level};
        }
    } else if (!sget(ann, "clusterpropagationpolicy.karmada.io/name").empty() && cpp_res_) {
        auto p = cp_.find(*cpp_res_, "", sget(ann, "clusterpropagationpolicy.karmada.io/name"));
        if (p && !jget(jget(*p, "metadata"), "deletionTimestamp").is_string()) {
            int level = match_level(*p, true);
            if (level)
                return policy_ref{cpp_res_, p, level};
        }
    }
    if (r.namespaced) {
        if (auto p = pick(pp_res_, ns, false))
            return p;
    }
    if (r.namespaced && reserved_namespace(ns))
        return std::nullopt;
    return pick(cpp_res_, "", true);
}

void karmada_controller::reconcile_template(const resource_info& r, const std::string& ns,
                                            const std::string& name, time_point now) {
    (void)now;
    auto tmpl = cp_.find(r, ns, name);
    const resource_info* br = r.namespaced ? rb_res_ : crb_res_;
    if (!br)
        return;
    std::string bns = r.namespaced ? ns : "";
    std::string bname = binding_name(r.kind, name);
    std::string bkey = br->plural + "|" + key_of(bns, bname);
    auto drop_binding = [&] {
        remove_copies(bkey, r, ns, name, {});
        forget_applied(bkey);
        cp_.erase(*br, bns, bname);
    };
    std::string tkey = key_of(ns, name);
    if (!tmpl || jget(jget(*tmpl, "metadata"), "deletionTimestamp").is_string()) {
        set_claim(r, tkey, "");
        drop_binding();
        return;
    }
    auto policy = find_policy(r, *tmpl);
    const json& tmeta = jget(*tmpl, "metadata");
    if (!policy) {
        set_claim(r, tkey, "");
        if (cp_.find(*br, bns, bname))
            drop_binding();
        // Forget a stale claim.
        json t = *tmpl;
        bool changed = false;
        for (const char* k :
             {"propagationpolicy.karmada.io/name", "propagationpolicy.karmada.io/namespace",
              "clusterpropagationpolicy.karmada.io/name"}) {
            if (t["metadata"].contains("annotations") && t["metadata"]["annotations"].is_object() &&
                t["metadata"]["annotations"].erase(k))
                changed = true;
        }
        for (const char* k : {"propagationpolicy.karmada.io/permanent-id",
                              "clusterpropagationpolicy.karmada.io/permanent-id"}) {
            if (t["metadata"].contains("labels") && t["metadata"]["labels"].is_object() &&
                t["metadata"]["labels"].erase(k))
                changed = true;
        }
        if (changed)
            note_own_write(tmpl, cp_.put(r, std::move(t)));
        return;
    }
    const json& pol = *policy->object;
    const json& pmeta = jget(pol, "metadata");
    set_claim(r, tkey,
              policy_key_of(*policy->resource, sget(pmeta, "namespace"), sget(pmeta, "name")));
    bool is_pp = policy->resource == pp_res_;
    const char* id_label = is_pp ? "propagationpolicy.karmada.io/permanent-id"
                                 : "clusterpropagationpolicy.karmada.io/permanent-id";
    std::string policy_id = sget(jget(pmeta, "labels"), id_label);

    // Claim the template.
    {
        json t = *tmpl;
        json& m = t["metadata"];
        if (!m.contains("labels") || !m["labels"].is_object())
            m["labels"] = json::object();
        if (!m.contains("annotations") || !m["annotations"].is_object())
            m["annotations"] = json::object();
        if (is_pp) {
            m["labels"].erase("clusterpropagationpolicy.karmada.io/permanent-id");
            m["annotations"].erase("clusterpropagationpolicy.karmada.io/name");
            m["labels"][id_label] = policy_id;
            m["annotations"]["propagationpolicy.karmada.io/name"] = sget(pmeta, "name");
            m["annotations"]["propagationpolicy.karmada.io/namespace"] = sget(pmeta, "namespace");
        } else {
            m["labels"].erase("propagationpolicy.karmada.io/permanent-id");
            m["annotations"].erase("propagationpolicy.karmada.io/name");
            m["annotations"].erase("propagationpolicy.karmada.io/namespace");
            m["labels"][id_label] = policy_id;
            m["annotations"]["clusterpropagationpolicy.karmada.io/name"] = sget(pmeta, "name");
        }
        if (t != *tmpl) {
            auto stored = cp_.put(r, std::move(t));
            note_own_write(tmpl, stored);
            tmpl = stored;
        }
    }
    const json& tm = jget(*tmpl, "metadata");
    (void)tmeta;

    // The binding.
    auto existing = cp_.find(*br, bns, bname);
    json b = existing ? *existing : json{{"metadata", {{"name", bname}}}, {"spec", json::object()}};
    json& bm = b["metadata"];
    if (r.namespaced)
        bm["namespace"] = bns;
    json labels = bm.contains("labels") && bm["labels"].is_object() ? bm["labels"] : json::object();
    labels.erase("propagationpolicy.karmada.io/permanent-id");
    labels.erase("clusterpropagationpolicy.karmada.io/permanent-id");
    labels[id_label] = policy_id;
    if (!labels.contains("resourcebinding.karmada.io/permanent-id")) {
        labels["resourcebinding.karmada.io/permanent-id"] = cp_.next_uid();
    }
    bm["labels"] = labels;
    json annotations = json::object();
    if (is_pp) {
        annotations["propagationpolicy.karmada.io/name"] = sget(pmeta, "name");
        annotations["propagationpolicy.karmada.io/namespace"] = sget(pmeta, "namespace");
    } else {
        annotations["clusterpropagationpolicy.karmada.io/name"] = sget(pmeta, "name");
    }
    bm["annotations"] = annotations;
    bm["ownerReferences"] = json::array({{{"apiVersion", r.api_version()},
                                          {"kind", r.kind},
                                          {"name", name},
                                          {"uid", sget(tm, "uid")},
                                          {"controller", true},
                                          {"blockOwnerDeletion", true}}});
    json& spec = b["spec"];
    json resource = {{"apiVersion", r.api_version()},
                     {"kind", r.kind},
                     {"name", name},
                     {"uid", sget(tm, "uid")},
                     {"resourceVersion", sget(tm, "resourceVersion")}};
    if (r.namespaced)
        resource["namespace"] = ns;
    spec["resource"] = resource;
    std::int64_t replicas = template_replicas(r, *tmpl);
    if (replicas > 0)
        spec["replicas"] = replicas;
    else
        spec.erase("replicas");
    json req = resource_request(r, *tmpl);
    if (req.is_object() && !req.empty())
        spec["replicaRequirements"] = {{"resourceRequest", req}};
    else
        spec.erase("replicaRequirements");
    const json& pspec = jget(pol, "spec");
    spec["placement"] = jget(pspec, "placement").is_object() ? pspec["placement"] : json::object();
    spec["conflictResolution"] =
        sget(pspec, "conflictResolution").empty() ? "Abort" : sget(pspec, "conflictResolution");
    spec["schedulerName"] =
        sget(pspec, "schedulerName").empty() ? "default-scheduler" : sget(pspec, "schedulerName");
    if (jget(pspec, "propagateDeps").is_boolean())
        spec["propagateDeps"] = pspec["propagateDeps"];
    for (const char* k : {"failover", "suspension", "preserveResourcesOnDeletion"}) {
        if (pspec.contains(k) && !pspec[k].is_null())
            spec[k] = pspec[k];
        else
            spec.erase(k);
    }
    // The resourceVersion in spec.resource changes on every template write; only status-only
    // writes (our own aggregation) are ignored so the binding does not churn.
    if (existing) {
        const json& old_res = jget(jget(*existing, "spec"), "resource");
        json cmp = b;
        cmp["spec"]["resource"]["resourceVersion"] = sget(old_res, "resourceVersion");
        if (cmp == *existing) {
            // Only the template's RV moved: the copies may still need the new template.
            dirty_bindings_.insert({br, key_of(bns, bname)});
            return;
        }
    }
    auto stored = cp_.put(*br, std::move(b));
    dirty_bindings_.insert({br, key_of(bns, bname)});
    (void)stored;
}

// --- scheduler -------------------------------------------------------------------------------

void karmada_controller::schedule(const resource_info& br, json& binding, time_point now) {
    (void)br;
    json& spec = binding["spec"];
    json& status = binding["status"];
    if (!status.is_object())
        status = json::object();
    const json& placement = jget(spec, "placement");
    std::int64_t replicas = iget(spec, "replicas", 0);
    const json& res = jget(spec, "resource");
    const std::string uid = sget(res, "uid");
    const resource_info* tr = registry_.find_kind(sget(res, "apiVersion"), sget(res, "kind"));
    std::optional<div::resource_list> request;
    if (const json& rr = jget(jget(spec, "replicaRequirements"), "resourceRequest");
        rr.is_object()) {
        auto parsed = div::parse_resource_list(rr, "resourceRequest");
        if (parsed)
            request = *parsed;
    }
    std::map<std::string, std::int64_t> previous;
    if (const json& pc = jget(spec, "clusters"); pc.is_array()) {
        for (const auto& c : pc)
            previous[sget(c, "name")] = iget(c, "replicas", 0);
    }
    std::vector<object_ptr> clusters;
    if (clusters_res_)
        cp_.for_each(*clusters_res_, "", [&](const object_ptr& p) { clusters.push_back(p); });

    // Affinity groups: clusterAffinities in order, or the single clusterAffinity.
    std::vector<std::pair<std::string, json>> groups;
    if (const json& ca = jget(placement, "clusterAffinities"); ca.is_array() && !ca.empty()) {
        for (const auto& g : ca)
            groups.emplace_back(sget(g, "affinityName"), g);
    } else {
        groups.emplace_back("", jget(placement, "clusterAffinity"));
    }
    const json& tolerations = jget(placement, "clusterTolerations");
    const json& rs = jget(placement, "replicaScheduling");
    div::strategy kind = div::strategy::duplicated;
    if (rs.is_object() && sget(rs, "replicaSchedulingType") != "Duplicated") {
        std::string pref = sget(rs, "replicaDivisionPreference");
        if (pref == "Aggregated")
            kind = div::strategy::aggregated;
        else if (sget(jget(rs, "weightPreference"), "dynamicWeight") == "AvailableReplicas") {
            kind = div::strategy::dynamic_weight;
        } else {
            kind = div::strategy::static_weight;
        }
    }
    const json& static_list = jget(jget(rs, "weightPreference"), "staticWeightList");

    std::string fail_reason, fail_message;
    std::optional<std::vector<div::target_cluster>> result;
    std::string chosen_affinity;
    for (const auto& [affinity_name, affinity] : groups) {
        std::map<std::string, int> reasons;
        std::vector<div::candidate> cands;
        for (const auto& c : clusters) {
            const std::string& cname = sget(jget(*c, "metadata"), "name");
            bool in_prev = previous.count(cname) > 0;
            if (!affinity_matches(affinity, *c)) {
                reasons["cluster(s) did not match the placement cluster affinity constraint"]++;
                continue;
            }
            if (!in_prev) {
                if (const json* t = untolerated_taint(*c, tolerations)) {
                    reasons["cluster(s) had untolerated taint {" + sget(*t, "key") + ": " +
                            sget(*t, "value") + "}"]++;
                    continue;
                }
            }
            if (tr && !api_enabled(*c, *tr)) {
                reasons["cluster(s) did not have the API resource"]++;
                continue;
            }
            div::candidate cand;
            cand.name = cname;
            cand.previous = in_prev ? previous[cname] : 0;
            cand.score = in_prev ? 100 : 0;
            // Parsed once per Cluster object version, not once per binding.
            auto& cached = capacity_cache_[cname];
            if (cached.first != c) {
                auto cap = div::parse_cluster_capacity(*c, "cluster");
                cached.first = c;
                cached.second = cap ? std::optional<div::cluster_capacity>(*cap) : std::nullopt;
            }
            cand.available =
                cached.second ? div::max_available_replicas(*cached.second, request) : 0;
            if (kind == div::strategy::static_weight && static_list.is_array()) {
                std::int64_t w = 0;
                for (const auto& rule : static_list) {
                    if (affinity_matches(jget(rule, "targetCluster"), *c)) {
                        w = std::max(w, iget(rule, "weight", 0));
                    }
                }
                cand.weight = w;
            }
            cands.push_back(std::move(cand));
        }
        if (cands.empty()) {
            fail_reason = "NoClusterFit";
            fail_message = "0/" + std::to_string(clusters.size()) + " clusters are available: ";
            bool first = true;
            for (const auto& [why, n] : reasons) {
                if (!first)
                    fail_message += ", ";
                first = false;
                fail_message += std::to_string(n) + " " + why;
            }
            fail_message += ".";
            if (reasons.empty())
                fail_message = "no clusters available to schedule";
            continue;
        }
        div::sort_candidates(cands);
        // Spread constraints drive selection except for static weights.
        if (kind != div::strategy::static_weight) {
            const json& sc = jget(placement, "spreadConstraints");
            if (sc.is_array()) {
                for (const auto& c : sc) {
                    if (sget(c, "spreadByField") != "cluster")
                        continue;
                    std::int64_t min_g = iget(c, "minGroups", 1);
                    std::int64_t max_g =
                        iget(c, "maxGroups", static_cast<std::int64_t>(cands.size()));
                    if (max_g <= 0)
                        max_g = static_cast<std::int64_t>(cands.size());
                    std::optional<std::int64_t> need;
                    if (kind != div::strategy::duplicated && replicas > 0)
                        need = replicas;
                    auto sel = div::select_clusters_by_cluster(cands, min_g, max_g, need);
                    if (!sel) {
                        fail_reason = "Unschedulable";
                        fail_message = sel.error().message;
                        cands.clear();
                    } else {
                        cands = *sel;
                    }
                }
            }
            if (cands.empty())
                continue;
        }
        div::division_request req;
        req.kind = kind;
        req.replicas = replicas;
        req.uid = uid;
        req.clusters = cands;
        std::vector<div::target_cluster> prev;
        for (const auto& [n, v] : previous)
            prev.push_back({n, v});
        req.previous = prev;
        auto divided = div::divide(req);
        if (!divided) {
            fail_reason = divided.error().code == propagation::errc::unschedulable
                              ? "Unschedulable"
                              : "SchedulerError";
            fail_message = divided.error().message;
            continue;
        }
        result = *divided;
        chosen_affinity = affinity_name;
        break;
    }
    json conds = status.contains("conditions") ? status["conditions"] : json::array();
    std::int64_t generation = iget(jget(binding, "metadata"), "generation", 1);
    if (result) {
        json list = json::array();
        for (const auto& t : *result) {
            json e = {{"name", t.name}};
            if (t.replicas > 0)
                e["replicas"] = t.replicas;
            list.push_back(std::move(e));
        }
        if (jget(spec, "clusters") != list) {
            spec["clusters"] = list;
            ++generation;  // the spec change bumps the generation when stored
        }
        upsert_condition(conds, condition("Scheduled", true, "Success",
                                          "Binding has been scheduled successfully.", now));
        status["lastScheduledTime"] = format_time(now);
        if (!chosen_affinity.empty())
            status["schedulerObservingAffinityName"] = chosen_affinity;
        // An event on the template, as karmada-scheduler records it.
        if (tr) {
            std::string summary;
            for (const auto& t : *result) {
                summary +=
                    (summary.empty() ? "" : ", ") + t.name + ":" + std::to_string(t.replicas);
            }
            (void)summary;
        }
    } else {
        upsert_condition(conds, condition("Scheduled", false, fail_reason, fail_message, now));
    }
    status["conditions"] = conds;
    status["schedulerObservedGeneration"] = generation;
    binding["metadata"]["generation"] = generation;
    binding_clusters_version_[sget(jget(binding, "metadata"), "namespace") + "/" +
                              sget(jget(binding, "metadata"), "name")] = clusters_version_;
}

// --- binding controller ----------------------------------------------------------------------

json karmada_controller::member_copy(const resource_info& tr, const json& tmpl, const json& binding,
                                     const std::string& cluster, std::int64_t replicas) {
    json copy = tmpl;
    copy.erase("status");
    json& m = copy["metadata"];
    for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "generation",
                          "managedFields", "selfLink", "ownerReferences", "finalizers",
                          "deletionTimestamp", "deletionGracePeriodSeconds", "generateName"}) {
        m.erase(k);
    }
    if (!m.contains("labels") || !m["labels"].is_object())
        m["labels"] = json::object();
    if (!m.contains("annotations") || !m["annotations"].is_object())
        m["annotations"] = json::object();
    const json& bm = jget(binding, "metadata");
    m["labels"]["karmada.io/managed"] = "true";
    m["labels"]["resourcebinding.karmada.io/permanent-id"] =
        sget(jget(bm, "labels"), "resourcebinding.karmada.io/permanent-id");
    m["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
    m["annotations"]["resourcebinding.karmada.io/name"] = sget(bm, "name");
    if (tr.namespaced)
        m["annotations"]["resourcebinding.karmada.io/namespace"] = sget(bm, "namespace");
    m["annotations"]["resourcetemplate.karmada.io/uid"] = sget(jget(tmpl, "metadata"), "uid");
    m["annotations"]["resourcetemplate.karmada.io/generation"] =
        std::to_string(iget(jget(tmpl, "metadata"), "generation", 1));
    m["annotations"]["work.karmada.io/namespace"] = "karmada-es-" + cluster;
    m["annotations"]["work.karmada.io/name"] = sget(jget(tmpl, "metadata"), "name") + "-" +
                                               sget(jget(tmpl, "metadata"), "uid").substr(0, 8);
    json& spec = copy["spec"];
    // `replicas` < 0: not a Divided placement, nothing is revised.
    if (tr.group == "apps" && tr.plural == "deployments" && spec.is_object()) {
        if (replicas >= 0)
            spec["replicas"] = replicas;
    } else if (tr.group == "batch" && tr.plural == "jobs" && spec.is_object()) {
        // Karmada prunes the generated selector and controller labels so the member assigns its
        // own.
        if (!(jget(spec, "manualSelector").is_boolean() && spec["manualSelector"].get<bool>())) {
            spec.erase("selector");
            if (spec.contains("template") && spec["template"].contains("metadata") &&
                spec["template"]["metadata"].contains("labels")) {
                auto& l = spec["template"]["metadata"]["labels"];
                for (const char* k : {"controller-uid", "batch.kubernetes.io/controller-uid",
                                      "job-name", "batch.kubernetes.io/job-name"}) {
                    l.erase(k);
                }
            }
        }
        if (replicas > 0)
            spec["parallelism"] = replicas;
    }
    // OverridePolicies, applied last.
    if (op_res_) {
        std::vector<object_ptr> ops;
        cp_.for_each(*op_res_, sget(jget(tmpl, "metadata"), "namespace"),
                     [&](const object_ptr& p) { ops.push_back(p); });
        const json* cluster_obj = nullptr;
        object_ptr cobj = clusters_res_ ? cp_.find(*clusters_res_, "", cluster) : nullptr;
        if (cobj)
            cluster_obj = cobj.get();
        for (const auto& op : ops) {
            const json& ospec = jget(*op, "spec");
            bool selected = false;
            const json& sels = jget(ospec, "resourceSelectors");
            if (!sels.is_array() || sels.empty())
                selected = true;
            else {
                for (const auto& s : sels) {
                    if (sget(s, "apiVersion") != tr.api_version() || sget(s, "kind") != tr.kind)
                        continue;
                    if (!sget(s, "name").empty()) {
                        if (sget(s, "name") == sget(jget(tmpl, "metadata"), "name"))
                            selected = true;
                    } else if (const json& ls = jget(s, "labelSelector"); ls.is_object()) {
                        auto sel = label_selector::from_json(ls);
                        if (sel && sel->matches(jget(jget(tmpl, "metadata"), "labels")))
                            selected = true;
                    } else {
                        selected = true;
                    }
                }
            }
            if (!selected)
                continue;
            const json& rules = jget(ospec, "overrideRules");
            if (!rules.is_array())
                continue;
            for (const auto& rule : rules) {
                if (cluster_obj && !affinity_matches(jget(rule, "targetCluster"), *cluster_obj))
                    continue;
                const json& ov = jget(rule, "overriders");
                if (const json& plain = jget(ov, "plaintext"); plain.is_array()) {
                    json patch = json::array();
                    for (const auto& p : plain) {
                        json opj = {{"op", sget(p, "operator")}, {"path", sget(p, "path")}};
                        if (p.contains("value"))
                            opj["value"] = p["value"];
                        patch.push_back(opj);
                    }
                    json trial = copy;
                    if (apply_json_patch(trial, patch).empty())
                        copy = std::move(trial);
                }
                for (const char* which : {"labelsOverrider", "annotationsOverrider"}) {
                    const json& lo = jget(ov, which);
                    if (!lo.is_array())
                        continue;
                    json& target =
                        copy["metadata"]
                            [std::string(which) == "labelsOverrider" ? "labels" : "annotations"];
                    for (const auto& o : lo) {
                        std::string opn = sget(o, "operator");
                        const json& val = jget(o, "value");
                        if (!val.is_object())
                            continue;
                        for (const auto& [k, v] : val.items()) {
                            if (opn == "delete")
                                target.erase(k);
                            else if (opn == "addIfAbsent") {
                                if (!target.contains(k))
                                    target[k] = v;
                            } else
                                target[k] = v;
                        }
                    }
                }
                auto containers_of = [&](json& obj) -> std::vector<json*> {
                    std::vector<json*> out;
                    std::vector<json*> specs;
                    if (obj.contains("spec") && obj["spec"].contains("template") &&
                        obj["spec"]["template"].contains("spec")) {
                        specs.push_back(&obj["spec"]["template"]["spec"]);
                    }
                    if (tr.plural == "pods" && obj.contains("spec"))
                        specs.push_back(&obj["spec"]);
                    for (auto* s : specs) {
                        if (s->contains("containers") && (*s)["containers"].is_array()) {
                            for (auto& c : (*s)["containers"])
                                out.push_back(&c);
                        }
                    }
                    return out;
                };
                if (const json& io = jget(ov, "imageOverrider"); io.is_array()) {
                    for (auto* c : containers_of(copy)) {
                        std::string image = sget(*c, "image");
                        for (const auto& o : io) {
                            std::string comp = sget(o, "component");
                            std::string opn = sget(o, "operator");
                            std::string val = sget(o, "value");
                            auto slash = image.find('/');
                            auto colon = image.rfind(':');
                            bool has_registry =
                                slash != std::string::npos &&
                                (image.substr(0, slash).find('.') != std::string::npos ||
                                 image.substr(0, slash).find(':') != std::string::npos);
                            std::string reg = has_registry ? image.substr(0, slash) : "";
                            std::string rest = has_registry ? image.substr(slash + 1) : image;
                            colon = rest.rfind(':');
                            std::string repo =
                                colon == std::string::npos ? rest : rest.substr(0, colon);
                            std::string tag =
                                colon == std::string::npos ? "" : rest.substr(colon + 1);
                            std::string* part = comp == "Registry"     ? &reg
                                                : comp == "Repository" ? &repo
                                                                       : &tag;
                            if (opn == "remove")
                                part->clear();
                            else if (opn == "add")
                                *part += val;
                            else
                                *part = val;
                            image = (reg.empty() ? "" : reg + "/") + repo +
                                    (tag.empty() ? "" : ":" + tag);
                        }
                        (*c)["image"] = image;
                    }
                }
                for (const char* which : {"commandOverrider", "argsOverrider"}) {
                    const json& co = jget(ov, which);
                    if (!co.is_array())
                        continue;
                    const char* field =
                        std::string(which) == "commandOverrider" ? "command" : "args";
                    for (auto* c : containers_of(copy)) {
                        for (const auto& o : co) {
                            if (sget(o, "containerName") != sget(*c, "name"))
                                continue;
                            json& list = (*c)[field];
                            if (!list.is_array())
                                list = json::array();
                            const json& val = jget(o, "value");
                            if (!val.is_array())
                                continue;
                            if (sget(o, "operator") == "remove") {
                                json kept = json::array();
                                for (const auto& x : list) {
                                    if (std::find(val.begin(), val.end(), x) == val.end())
                                        kept.push_back(x);
                                }
                                list = kept;
                            } else {
                                for (const auto& x : val)
                                    list.push_back(x);
                            }
                        }
                    }
                }
            }
        }
    }
    return copy;
}

namespace {

/// Equal apart from `.status` and `metadata.resourceVersion` (what our own status writes on a
/// template change).
bool same_but_status(const json& a, const json& b) {
    if (&a == &b)
        return true;
    if (!a.is_object() || !b.is_object())
        return a == b;
    std::size_t na = 0, nb = 0;
    for (auto it = a.begin(); it != a.end(); ++it) {
        if (it.key() == "status")
            continue;
        ++na;
        auto o = b.find(it.key());
        if (o == b.end())
            return false;
        if (it.key() == "metadata" && it->is_object() && o->is_object()) {
            std::size_t ma = 0, mb = 0;
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (m.key() == "resourceVersion")
                    continue;
                ++ma;
                auto om = o->find(m.key());
                if (om == o->end() || *om != *m)
                    return false;
            }
            for (auto m = o->begin(); m != o->end(); ++m)
                mb += m.key() == "resourceVersion" ? 0 : 1;
            if (ma != mb)
                return false;
        } else if (*o != *it) {
            return false;
        }
    }
    for (auto it = b.begin(); it != b.end(); ++it)
        nb += it.key() == "status" ? 0 : 1;
    return na == nb;
}

}  // namespace

void karmada_controller::note_own_write(const object_ptr& before, const object_ptr& after) {
    if (!after || after == before)
        return;  // unchanged: no event
    own_writes_.insert(
        std::strtoull(sget(jget(*after, "metadata"), "resourceVersion").c_str(), nullptr, 10));
}

void karmada_controller::forget_applied(const std::string& binding_key) {
    auto it = applied_.find(binding_key);
    if (it == applied_.end())
        return;
    for (const auto& [cluster, st] : it->second) {
        const json& d = st.desired;
        const resource_info* tr = registry_.find_kind(sget(d, "apiVersion"), sget(d, "kind"));
        if (!tr)
            continue;
        const json& dm = jget(d, "metadata");
        std::string ns = tr->namespaced ? sget(dm, "namespace") : std::string();
        copies_.erase(cluster + "|" + tr->plural + "." + tr->group + "|" +
                      key_of(ns, sget(dm, "name")));
    }
    applied_.erase(it);
}

void karmada_controller::remove_copies(const std::string& binding_key, const resource_info& tr,
                                       const std::string& ns, const std::string& name,
                                       const std::set<std::string>& keep) {
    auto it = applied_.find(binding_key);
    if (it == applied_.end())
        return;
    for (auto c = it->second.begin(); c != it->second.end();) {
        if (keep.count(c->first)) {
            ++c;
            continue;
        }
        if (!cluster_reachable(c->first)) {
            ++c;  // retried once the member is reachable again
            continue;
        }
        if (auto* m = member(c->first)) {
            auto obj = m->store().find(tr, ns, name);
            if (obj &&
                sget(jget(jget(*obj, "metadata"), "labels"), "karmada.io/managed") == "true") {
                delete_options o;
                o.propagation_policy = "Background";
                (void)m->store().remove(tr, ns, name, o);
            }
        }
        copies_.erase(c->first + "|" + tr.plural + "." + tr.group + "|" + key_of(ns, name));
        c = it->second.erase(c);
    }
}

void karmada_controller::apply_to_members(const resource_info& br, json& binding,
                                          const object_ptr& tmpl_ptr, const resource_info& tr,
                                          time_point now) {
    const json& tmpl = *tmpl_ptr;
    (void)now;
    const json& bm = jget(binding, "metadata");
    std::string bkey = br.plural + "|" + key_of(sget(bm, "namespace"), sget(bm, "name"));
    const json& spec = jget(binding, "spec");
    const json& tmeta = jget(tmpl, "metadata");
    const std::string& ns = sget(tmeta, "namespace");
    const std::string& name = sget(tmeta, "name");
    std::set<std::string> targets;
    std::vector<div::target_cluster> shares;
    if (const json& cl = jget(spec, "clusters"); cl.is_array()) {
        for (const auto& c : cl) {
            targets.insert(sget(c, "name"));
            shares.push_back({sget(c, "name"), iget(c, "replicas", 0)});
        }
    }
    // Job completions are divided by each cluster's parallelism.
    std::map<std::string, std::int64_t> completions;
    bool divided = sget(jget(jget(spec, "placement"), "replicaScheduling"),
                        "replicaSchedulingType") == "Divided";
    if (divided && tr.group == "batch" && tr.plural == "jobs") {
        const json& c = jget(jget(tmpl, "spec"), "completions");
        if (c.is_number_integer() && !shares.empty()) {
            auto d = div::divide_job_completions(c.get<std::int64_t>(), shares,
                                                 sget(jget(spec, "resource"), "uid"));
            if (d) {
                for (const auto& t : *d)
                    completions[t.name] = t.replicas;
            }
        }
    }
    auto& state = applied_[bkey];
    std::string conflict = sget(spec, "conflictResolution");
    bool suspended_all = jget(jget(spec, "suspension"), "dispatching").is_boolean() &&
                         spec["suspension"]["dispatching"].get<bool>();
    for (const auto& share : shares) {
        const std::string& cname = share.name;
        if (!cluster_reachable(cname) || suspended_all)
            continue;
        auto* m = member(cname);
        if (!m)
            continue;
        auto prev = state.find(cname);
        auto existing = m->store().find(tr, ns, name);
        bool same_basis = prev != state.end() && existing && prev->second.error.empty() &&
                          prev->second.overrides_basis == overrides_version_ &&
                          prev->second.clusters_basis == placement_version_ &&
                          prev->second.spec_basis == spec &&
                          (prev->second.template_basis == tmpl_ptr ||
                           same_but_status(*prev->second.template_basis, tmpl));
        if (same_basis) {
            prev->second.template_basis = tmpl_ptr;
            continue;
        }
        json desired = member_copy(tr, tmpl, binding, cname, divided ? share.replicas : -1);
        if (!completions.empty() && desired["spec"].is_object()) {
            desired["spec"]["completions"] = completions[cname];
        }
        applied_state st;
        st.template_basis = tmpl_ptr;
        st.spec_basis = spec;
        st.overrides_basis = overrides_version_;
        st.clusters_basis = placement_version_;
        if (prev != state.end() && prev->second.desired == desired && existing &&
            prev->second.error.empty()) {
            st.desired = std::move(prev->second.desired);
            prev->second = std::move(st);
            continue;
        }
        st.desired = desired;
        if (tr.namespaced && ns_res_ && !m->store().find(*ns_res_, "", ns)) {
            (void)m->store().create(*ns_res_, "", json{{"metadata", {{"name", ns}}}});
        }
        if (!existing) {
            auto r = m->store().create(tr, ns, desired);
            if (!r)
                st.error = "Failed to apply: " + r.error().message;
        } else if (sget(jget(jget(*existing, "metadata"), "labels"), "karmada.io/managed") !=
                       "true" &&
                   conflict != "Overwrite") {
            st.error = "The resource(kind=" + tr.kind + ", namespace=" + ns + ", name=" + name +
                       ") already exists in the cluster but is not managed by Karmada. "
                       "conflictResolution: Abort";
        } else {
            json merged = *existing;
            json patch = desired;
            patch.erase("status");
            apply_merge_patch(merged, patch);
            m->store().put(tr, std::move(merged));
        }
        state[cname] = std::move(st);
        copies_[cname + "|" + tr.plural + "." + tr.group + "|" + key_of(ns, name)] = bkey;
    }
    remove_copies(bkey, tr, ns, name, targets);
}

namespace {

json reflect_status(const resource_info& tr, const json& obj, const json& tmpl) {
    const json& st = jget(obj, "status");
    if (tr.group == "batch" && tr.plural == "jobs") {
        json out = json::object();
        for (const char* k :
             {"active", "succeeded", "failed", "conditions", "startTime", "completionTime"}) {
            if (st.is_object() && st.contains(k))
                out[k] = st[k];
        }
        return out;
    }
    if (tr.group == "apps" && tr.plural == "deployments") {
        json out = json::object();
        for (const char* k : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                              "unavailableReplicas", "observedGeneration"}) {
            if (st.is_object() && st.contains(k))
                out[k] = st[k];
        }
        out["generation"] = iget(jget(obj, "metadata"), "generation", 1);
        out["resourceTemplateGeneration"] = iget(jget(tmpl, "metadata"), "generation", 1);
        return out;
    }
    return st.is_object() ? st : json();
}

std::string health_of(const resource_info& tr, const json& obj) {
    const json& st = jget(obj, "status");
    if (tr.group == "apps" && tr.plural == "deployments") {
        std::int64_t want = iget(jget(obj, "spec"), "replicas", 1);
        bool ok = iget(st, "updatedReplicas", 0) == want &&
                  iget(st, "availableReplicas", 0) >= want &&
                  iget(st, "observedGeneration", 0) == iget(jget(obj, "metadata"), "generation", 1);
        return ok ? "Healthy" : "Unhealthy";
    }
    if (tr.plural == "rayjobs") {
        return sget(st, "jobDeploymentStatus") == "Failed" ? "Unhealthy" : "Healthy";
    }
    if (tr.plural == "pytorchjobs")
        return condition_true(st, "Failed") ? "Unhealthy" : "Healthy";
    if (tr.group == "batch.volcano.sh") {
        return sget(jget(st, "state"), "phase") == "Failed" ? "Unhealthy" : "Healthy";
    }
    return "Healthy";
}

}  // namespace

void karmada_controller::aggregate(const resource_info& br, json& binding, const json& tmpl,
                                   const resource_info& tr, time_point now) {
    const json& bm = jget(binding, "metadata");
    std::string bkey = br.plural + "|" + key_of(sget(bm, "namespace"), sget(bm, "name"));
    json& status = binding["status"];
    if (!status.is_object())
        status = json::object();
    // Read before `status["aggregatedStatus"]` is replaced at the end (no copy needed).
    const json& old_items = jget(status, "aggregatedStatus");
    const json& cl = jget(jget(binding, "spec"), "clusters");
    std::vector<std::string> targets;
    if (cl.is_array()) {
        for (const auto& c : cl)
            targets.push_back(sget(c, "name"));
    }
    std::sort(targets.begin(), targets.end());
    const auto& state = applied_[bkey];
    const std::string& ns = sget(jget(tmpl, "metadata"), "namespace");
    const std::string& name = sget(jget(tmpl, "metadata"), "name");
    json items = json::array();
    bool all_applied = !targets.empty();
    for (const auto& c : targets) {
        json item = {{"clusterName", c}};
        if (!cluster_reachable(c)) {
            // Stale: keep what was reported last.
            bool found = false;
            if (old_items.is_array()) {
                for (const auto& o : old_items) {
                    if (sget(o, "clusterName") == c) {
                        item = o;
                        found = true;
                    }
                }
            }
            if (!found) {
                item["applied"] = false;
                item["health"] = "Unknown";
            }
            if (!item.value("applied", false))
                all_applied = false;
            items.push_back(item);
            continue;
        }
        auto st = state.find(c);
        if (st != state.end() && !st->second.error.empty()) {
            item["applied"] = false;
            item["appliedMessage"] = st->second.error;
            item["health"] = "Unknown";
            all_applied = false;
        } else {
            auto* m = member(c);
            auto obj = m ? m->store().find(tr, ns, name) : nullptr;
            if (!obj) {
                item["applied"] = false;
                item["health"] = "Unknown";
                all_applied = false;
            } else {
                item["applied"] = true;
                json s = reflect_status(tr, *obj, tmpl);
                if (!s.is_null() && !(s.is_object() && s.empty()))
                    item["status"] = s;
                item["health"] = health_of(tr, *obj);
            }
        }
        items.push_back(std::move(item));
    }
    if (items.empty())
        status.erase("aggregatedStatus");
    else
        status["aggregatedStatus"] = items;
    if (!targets.empty()) {
        json conds = status.contains("conditions") ? status["conditions"] : json::array();
        upsert_condition(
            conds,
            all_applied
                ? condition("FullyApplied", true, "FullyAppliedSuccess",
                            "All works have been successfully applied", now)
                : condition("FullyApplied", false, "FullyAppliedFailed",
                            "Failed to apply all works, see status.aggregatedStatus for details",
                            now));
        status["conditions"] = conds;
    }
}

void karmada_controller::write_template_status(const resource_info& tr, const json& tmpl,
                                               const json& binding) {
    const json& items = jget(jget(binding, "status"), "aggregatedStatus");
    const json& cl = jget(jget(binding, "spec"), "clusters");
    if (!items.is_array() || items.empty() || !cl.is_array())
        return;
    const json& cur = jget(tmpl, "status");
    json st = cur.is_object() ? cur : json::object();
    std::vector<std::pair<std::string, json>> members;  // (cluster, reflected status)
    for (const auto& it : items) {
        if (it.value("applied", false) && it.contains("status")) {
            members.emplace_back(sget(it, "clusterName"), it["status"]);
        }
    }
    std::size_t expected = cl.size();
    if (tr.group == "batch" && tr.plural == "jobs") {
        if (condition_true(cur, "Complete") || condition_true(cur, "Failed"))
            return;  // frozen
        std::int64_t active = 0, succeeded = 0, failed = 0;
        std::vector<std::string> failed_clusters;
        std::size_t complete = 0, criteria = 0, started = 0;
        std::string start, completion;
        for (const auto& [c, s] : members) {
            active += iget(s, "active", 0);
            succeeded += iget(s, "succeeded", 0);
            failed += iget(s, "failed", 0);
            if (condition_true(s, "Failed"))
                failed_clusters.push_back(c);
            if (condition_true(s, "Complete"))
                ++complete;
            if (condition_true(s, "SuccessCriteriaMet"))
                ++criteria;
            if (!sget(s, "startTime").empty()) {
                ++started;
                if (start.empty() || sget(s, "startTime") < start)
                    start = sget(s, "startTime");
            }
            if (!sget(s, "completionTime").empty() && sget(s, "completionTime") > completion) {
                completion = sget(s, "completionTime");
            }
        }
        json out = json::object();
        if (active)
            out["active"] = active;
        if (succeeded)
            out["succeeded"] = succeeded;
        if (failed)
            out["failed"] = failed;
        if (started == expected && !start.empty())
            out["startTime"] = start;
        json conds = json::array();
        std::string now_s = format_time(cp_.time());
        if (!failed_clusters.empty()) {
            std::string list;
            for (const auto& f : failed_clusters)
                list += (list.empty() ? "" : ",") + f;
            conds.push_back({{"type", "Failed"},
                             {"status", "True"},
                             {"lastProbeTime", now_s},
                             {"lastTransitionTime", now_s},
                             {"reason", "JobFailed"},
                             {"message", "Job executed failed in member clusters " + list}});
        } else if (complete == expected && expected > 0) {
            if (criteria == expected) {
                conds.push_back({{"type", "SuccessCriteriaMet"},
                                 {"status", "True"},
                                 {"lastProbeTime", now_s},
                                 {"lastTransitionTime", now_s},
                                 {"reason", "Completed"},
                                 {"message", "Job completed"}});
            }
            conds.push_back({{"type", "Complete"},
                             {"status", "True"},
                             {"lastProbeTime", now_s},
                             {"lastTransitionTime", now_s},
                             {"reason", "Completed"},
                             {"message", "Job completed"}});
            if (!completion.empty())
                out["completionTime"] = completion;
        }
        if (!conds.empty())
            out["conditions"] = conds;
        st = out;
    } else if (tr.group == "apps" && tr.plural == "deployments") {
        std::int64_t sums[5] = {0, 0, 0, 0, 0};
        const char* keys[5] = {"replicas", "readyReplicas", "updatedReplicas", "availableReplicas",
                               "unavailableReplicas"};
        bool observed = members.size() == expected;
        for (const auto& [c, s] : members) {
            for (int i = 0; i < 5; ++i)
                sums[i] += iget(s, keys[i], 0);
            if (iget(s, "observedGeneration", 0) != iget(s, "generation", -1) ||
                iget(s, "resourceTemplateGeneration", -1) !=
                    iget(jget(tmpl, "metadata"), "generation", 1)) {
                observed = false;
            }
        }
        json out = st;
        for (int i = 0; i < 5; ++i) {
            if (sums[i])
                out[keys[i]] = sums[i];
            else
                out.erase(keys[i]);
        }
        if (observed)
            out["observedGeneration"] = iget(jget(tmpl, "metadata"), "generation", 1);
        st = out;
    } else if (tr.plural == "rayjobs") {
        if (members.empty())
            return;
        if (members.size() == 1) {
            st = members.front().second;
        } else {
            static const std::vector<std::string> deploy_order = {
                "Failed",   "ValidationFailed", "Complete", "Running",
                "Retrying", "Suspend",          "Waiting",  "Initializing"};
            static const std::vector<std::string> job_order = {"FAILED", "STOPPED", "SUCCEEDED",
                                                               "RUNNING", "PENDING"};
            json out = members.front().second;
            int best_d = 1 << 20, best_j = 1 << 20;
            for (const auto& [c, s] : members) {
                int d = worst_rank(deploy_order, sget(s, "jobDeploymentStatus"));
                if (d < best_d) {
                    best_d = d;
                    out["jobDeploymentStatus"] = s.value("jobDeploymentStatus", "");
                    if (s.contains("reason"))
                        out["reason"] = s["reason"];
                    if (s.contains("message"))
                        out["message"] = s["message"];
                }
                int j = worst_rank(job_order, sget(s, "jobStatus"));
                if (j < best_j) {
                    best_j = j;
                    if (s.contains("jobStatus"))
                        out["jobStatus"] = s["jobStatus"];
                }
            }
            st = out;
        }
    } else if (tr.plural == "pytorchjobs") {
        if (members.empty())
            return;
        if (members.size() == 1) {
            st = members.front().second;
        } else {
            json out = members.front().second;
            json replicas = json::object();
            bool any_failed = false, all_succeeded = true, any_running = false;
            std::string start, completion;
            for (const auto& [c, s] : members) {
                if (const json& rs = jget(s, "replicaStatuses"); rs.is_object()) {
                    for (const auto& [type, v] : rs.items()) {
                        for (const char* k : {"active", "succeeded", "failed"}) {
                            std::int64_t n = iget(v, k, 0);
                            if (n)
                                replicas[type][k] = iget(replicas[type], k, 0) + n;
                        }
                        if (!replicas.contains(type))
                            replicas[type] = json::object();
                    }
                }
                any_failed = any_failed || condition_true(s, "Failed");
                all_succeeded = all_succeeded && condition_true(s, "Succeeded");
                any_running = any_running || condition_true(s, "Running");
                if (!sget(s, "startTime").empty() &&
                    (start.empty() || sget(s, "startTime") < start))
                    start = sget(s, "startTime");
                if (sget(s, "completionTime") > completion)
                    completion = sget(s, "completionTime");
            }
            out["replicaStatuses"] = replicas;
            if (!start.empty())
                out["startTime"] = start;
            json conds = json::array();
            std::string t = format_time(cp_.time());
            auto add = [&](const char* type, const char* reason) {
                conds.push_back({{"type", type},
                                 {"status", "True"},
                                 {"reason", reason},
                                 {"lastUpdateTime", t},
                                 {"lastTransitionTime", t}});
            };
            add("Created", "PyTorchJobCreated");
            if (any_failed)
                add("Failed", "PyTorchJobFailed");
            else if (all_succeeded)
                add("Succeeded", "PyTorchJobSucceeded");
            else if (any_running)
                add("Running", "PyTorchJobRunning");
            if ((any_failed || all_succeeded) && !completion.empty())
                out["completionTime"] = completion;
            out["conditions"] = conds;
            if (condition_true(cur, "Failed") || condition_true(cur, "Succeeded"))
                return;
            st = out;
        }
    } else if (tr.group == "batch.volcano.sh") {
        if (members.empty())
            return;
        if (members.size() == 1) {
            st = members.front().second;
        } else {
            json out = members.front().second;
            bool any_failed = false, all_done = true, any_running = false;
            for (const char* k : {"pending", "running", "succeeded", "failed"}) {
                std::int64_t n = 0;
                for (const auto& [c, s] : members)
                    n += iget(s, k, 0);
                if (n)
                    out[k] = n;
                else
                    out.erase(k);
            }
            for (const auto& [c, s] : members) {
                std::string p = sget(jget(s, "state"), "phase");
                any_failed = any_failed || p == "Failed";
                all_done = all_done && p == "Completed";
                any_running = any_running || p == "Running";
            }
            std::string phase = any_failed    ? "Failed"
                                : all_done    ? "Completed"
                                : any_running ? "Running"
                                              : "Pending";
            out["state"] = {{"phase", phase}};
            st = out;
        }
    } else {
        if (members.empty())
            return;
        if (tr.plural == "pods" || tr.plural == "services" || tr.group == "networking.k8s.io" ||
            tr.plural == "notebooks" || tr.plural == "rayclusters" ||
            tr.plural == "persistentvolumeclaims") {
            st = members.front().second;
        } else {
            return;
        }
    }
    if (st == cur)
        return;
    json t = tmpl;
    t["status"] = st;
    auto before = cp_.find(tr, sget(jget(tmpl, "metadata"), "namespace"),
                           sget(jget(tmpl, "metadata"), "name"));
    auto stored = cp_.put(tr, std::move(t));
    note_own_write(before, stored);
    // Only the status moved: the member copies made from the template are still right.
    const resource_info* br = tr.namespaced ? rb_res_ : crb_res_;
    const json& bmeta = jget(binding, "metadata");
    if (br && stored != before) {
        auto it = applied_.find(br->plural + "|" +
                                key_of(sget(bmeta, "namespace"), sget(bmeta, "name")));
        if (it != applied_.end()) {
            for (auto& [cluster, st_applied] : it->second) {
                if (st_applied.template_basis == before)
                    st_applied.template_basis = stored;
            }
        }
    }
}

void karmada_controller::reconcile_binding(const resource_info& br, const std::string& ns,
                                           const std::string& name, time_point now) {
    auto b = cp_.find(br, ns, name);
    std::string bkey = br.plural + "|" + key_of(ns, name);
    if (!b) {
        // Gone: its copies go too (the template kind is remembered in the applied state).
        auto it = applied_.find(bkey);
        if (it != applied_.end()) {
            for (const auto& [cluster, st] : it->second) {
                const json& d = st.desired;
                const resource_info* tr =
                    registry_.find_kind(sget(d, "apiVersion"), sget(d, "kind"));
                if (!tr || !cluster_reachable(cluster))
                    continue;
                if (auto* m = member(cluster)) {
                    const json& dm = jget(d, "metadata");
                    delete_options o;
                    o.propagation_policy = "Background";
                    (void)m->store().remove(*tr, sget(dm, "namespace"), sget(dm, "name"), o);
                }
            }
            forget_applied(bkey);
        }
        unscheduled_.erase({&br, key_of(ns, name)});
        return;
    }
    const json& res = jget(jget(*b, "spec"), "resource");
    const resource_info* tr = registry_.find_kind(sget(res, "apiVersion"), sget(res, "kind"));
    object_ptr tmpl = tr ? cp_.find(*tr, sget(res, "namespace"), sget(res, "name")) : nullptr;
    if (!tmpl || sget(jget(*tmpl, "metadata"), "uid") != sget(res, "uid")) {
        if (tr)
            remove_copies(bkey, *tr, sget(res, "namespace"), sget(res, "name"), {});
        forget_applied(bkey);
        unscheduled_.erase({&br, key_of(ns, name)});
        cp_.erase(br, ns, name);
        return;
    }
    json binding = *b;
    const json& st = jget(binding, "status");
    std::int64_t generation = iget(jget(binding, "metadata"), "generation", 1);
    bool scheduled_ok = condition_true(st, "Scheduled");
    bool never = !jget(st, "schedulerObservedGeneration").is_number_integer();
    bool stale = iget(st, "schedulerObservedGeneration", -1) != generation;
    auto cv = binding_clusters_version_.find(key_of(ns, name));
    bool retry =
        !scheduled_ok && (cv == binding_clusters_version_.end() || cv->second != clusters_version_);
    if (never || stale || retry) {
        schedule(br, binding, now);
        if (condition_true(jget(binding, "status"), "Scheduled"))
            unscheduled_.erase({&br, key_of(ns, name)});
        else
            unscheduled_.insert({&br, key_of(ns, name)});
    }
    if (condition_true(jget(binding, "status"), "Scheduled") ||
        jget(jget(binding, "spec"), "clusters").is_array()) {
        apply_to_members(br, binding, tmpl, *tr, now);
        aggregate(br, binding, *tmpl, *tr, now);
    }
    auto stored = cp_.put(br, binding);
    note_own_write(b, stored);
    write_template_status(*tr, *tmpl, *stored);
}

}  // namespace fedsim::model
