#include "propagation/placement/cluster_snapshot.hpp"

#include <algorithm>
#include <limits>

namespace propagation::placement {
namespace {

using nlohmann::json;

const json* member(const json& obj, const char* key) {
    if (!obj.is_object()) {
        return nullptr;
    }
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

std::string text(const json* v) { return v != nullptr && v->is_string() ? v->get<std::string>() : ""; }

/// Ready=True condition, with Karmada's reason/message when it is not.
bool is_ready(const json& cluster, std::string& reason) {
    const json* status = member(cluster, "status");
    const json* conditions = status != nullptr ? member(*status, "conditions") : nullptr;
    if (conditions != nullptr && conditions->is_array()) {
        for (const auto& c : *conditions) {
            if (text(member(c, "type")) != "Ready") {
                continue;
            }
            if (text(member(c, "status")) == "True") {
                return true;
            }
            reason = "NotReady";
            if (auto r = text(member(c, "reason")); !r.empty()) {
                reason += " (" + r + ")";
            }
            return false;
        }
    }
    reason = "NotReady (no Ready condition)";
    return false;
}

/// NoSchedule/NoExecute taints; the broker's jobs carry no cluster tolerations, so each one
/// blocks (Karmada adds not-ready/unreachable taints itself, which the Ready check covers).
std::vector<std::string> blocking_taints(const json& cluster) {
    std::vector<std::string> out;
    const json* spec = member(cluster, "spec");
    const json* taints = spec != nullptr ? member(*spec, "taints") : nullptr;
    if (taints == nullptr || !taints->is_array()) {
        return out;
    }
    for (const auto& t : *taints) {
        const auto effect = text(member(t, "effect"));
        if (effect != "NoSchedule" && effect != "NoExecute") {
            continue;
        }
        auto value = text(member(t, "value"));
        out.push_back(text(member(t, "key")) + (value.empty() ? "" : "=" + value) + ":" + effect);
    }
    return out;
}

std::int64_t whole(const division::resource_list& list, const std::string& name) {
    auto it = list.find(name);
    return it == list.end() ? 0 : it->second.value();
}

void add_to(division::resource_list& list, const std::string& name, const quantity& amount) {
    auto it = list.find(name);
    if (it == list.end()) {
        list.emplace(name, amount);
        return;
    }
    if (auto sum = quantity::add(it->second, amount)) {
        it->second = *sum;
    }
}

bool models_cover(const division::cluster_capacity& cap, const division::resource_list& request) {
    if (cap.resource_models.empty()) {
        return false;
    }
    const auto& ranges = cap.resource_models.front().ranges;
    for (const auto& entry : request) {
        if (entry.second.is_zero()) {
            continue;
        }
        const auto& name = entry.first;
        const bool modelled = std::any_of(ranges.begin(), ranges.end(),
                                          [&name](const auto& r) { return r.name == name; });
        if (!modelled) {
            return false;
        }
    }
    return true;
}

/// Free GPUs on the best node class the cluster reports (highest grade with nodes), or -1.
std::int64_t largest_node_gpus(const division::cluster_capacity& cap, const std::string& gpu) {
    if (!cap.summary || cap.summary->allocatable_modelings.empty()) {
        return -1;
    }
    std::int64_t best = -1;
    for (const auto& m : cap.summary->allocatable_modelings) {
        if (m.count <= 0) {
            continue;
        }
        for (const auto& model : cap.resource_models) {
            if (model.grade != m.grade) {
                continue;
            }
            for (const auto& r : model.ranges) {
                if (r.name == gpu) {
                    best = std::max(best, r.min.value());
                }
            }
        }
    }
    return best;
}

}  // namespace

division::resource_list replica_request(const form::job_form& f) {
    division::resource_list request;
    if (const auto& cpu = f.cpu_request ? f.cpu_request : f.cpu_limit) {
        request.emplace("cpu", *cpu);
    }
    if (const auto& mem = f.memory_request ? f.memory_request : f.memory_limit) {
        request.emplace("memory", *mem);
    }
    if (f.gpu_request > 0) {
        request.emplace(f.gpu_resource, quantity::from_int(f.gpu_request));
    }
    return request;
}

reserved_resources replica_resources(const form::job_form& f, std::int64_t replicas) {
    reserved_resources r;
    r.gpus = replicas * f.gpu_request;
    if (const auto& cpu = f.cpu_request ? f.cpu_request : f.cpu_limit) {
        r.cpu_milli = replicas * cpu->milli_value();
    }
    if (const auto& mem = f.memory_request ? f.memory_request : f.memory_limit) {
        r.memory_bytes = replicas * mem->value();
    }
    return r;
}

std::string cluster_gpu_model(const json& cluster, const snapshot_options& options) {
    const json* metadata = member(cluster, "metadata");
    const json* labels = metadata != nullptr ? member(*metadata, "labels") : nullptr;
    if (labels == nullptr || !labels->is_object()) {
        return {};
    }
    for (const auto& key : options.gpu_model_labels) {
        if (auto v = text(member(*labels, key.c_str())); !v.empty()) {
            return v;
        }
    }
    return {};
}

cluster_state to_cluster_state(const json& cluster, const form::job_form& f,
                               const reserved_resources& reserved,
                               const snapshot_options& options) {
    cluster_state c;
    const json* metadata = member(cluster, "metadata");
    c.name = metadata != nullptr ? text(member(*metadata, "name")) : "";
    if (auto it = options.admin_weights.find(c.name); it != options.admin_weights.end()) {
        c.admin_weight = it->second;
    }
    c.gpu_model = cluster_gpu_model(cluster, options);
    c.blocking_taints = blocking_taints(cluster);
    c.ready = is_ready(cluster, c.not_ready_reason);

    auto capacity = division::parse_cluster_capacity(cluster, "cluster");
    if (!capacity) {
        c.ready = false;
        c.not_ready_reason = "unusable Cluster status: " + capacity.error().message;
        return c;
    }
    const auto request = replica_request(f);
    const bool use_models = models_cover(*capacity, request);

    division::cluster_capacity summary_only = *capacity;
    summary_only.resource_models.clear();
    if (summary_only.summary) {
        auto& allocated = summary_only.summary->allocated;
        if (reserved.gpus > 0 && f.gpu_request > 0) {
            add_to(allocated, f.gpu_resource, quantity::from_int(reserved.gpus));
        }
        if (reserved.cpu_milli > 0) {
            add_to(allocated, "cpu", quantity::from_milli(reserved.cpu_milli));
        }
        if (reserved.memory_bytes > 0) {
            add_to(allocated, "memory", quantity::from_int(reserved.memory_bytes, quantity::format::binary_si));
        }
    }
    const std::optional<division::resource_list> req(request);
    std::int64_t fit = division::max_available_replicas(summary_only, req);
    if (use_models) {
        fit = std::min(fit, division::max_available_replicas(*capacity, req));
    }
    c.fit = std::max<std::int64_t>(fit, 0);

    if (f.gpu_request > 0 && capacity->summary) {
        const auto& s = *capacity->summary;
        c.free_gpus = std::max<std::int64_t>(
            0, whole(s.allocatable, f.gpu_resource) - whole(s.allocated, f.gpu_resource) -
                   whole(s.allocating, f.gpu_resource) - reserved.gpus);
        if (use_models) {
            c.largest_node_gpus = largest_node_gpus(*capacity, f.gpu_resource);
        }
    }
    return c;
}

}  // namespace propagation::placement
