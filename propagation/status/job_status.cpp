#include "propagation/status/job_status.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace propagation::status {
namespace {

using nlohmann::json;

const json* find(const json& obj, const char* key) {
    if (!obj.is_object()) {
        return nullptr;
    }
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

std::string string_at(const json& obj, const char* key) {
    const json* v = find(obj, key);
    return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::int64_t int_at(const json& obj, const char* key) {
    const json* v = find(obj, key);
    return v != nullptr && v->is_number_integer() ? v->get<std::int64_t>() : 0;
}

/// The condition of `type` whose status is "True", or null.
const json* true_condition(const json& status, std::string_view type) {
    const json* conditions = find(status, "conditions");
    if (conditions == nullptr || !conditions->is_array()) {
        return nullptr;
    }
    for (const auto& c : *conditions) {
        if (string_at(c, "type") == type && string_at(c, "status") == "True") {
            return &c;
        }
    }
    return nullptr;
}

void set_message(std::string* out, const json* condition) {
    if (out != nullptr && condition != nullptr) {
        *out = string_at(*condition, "message");
        if (out->empty()) {
            *out = string_at(*condition, "reason");
        }
    }
}

cluster_state batch_job_state(const json& s, std::string* message) {
    if (const json* c = true_condition(s, "Failed")) {
        set_message(message, c);
        return cluster_state::failed;
    }
    if (const json* c = true_condition(s, "Complete")) {
        set_message(message, c);
        return cluster_state::succeeded;
    }
    return int_at(s, "active") > 0 ? cluster_state::running : cluster_state::pending;
}

cluster_state pytorch_job_state(const json& s, std::string* message) {
    // The training operator appends conditions; the newest true one describes the job.
    const json* conditions = find(s, "conditions");
    if (conditions == nullptr || !conditions->is_array()) {
        return cluster_state::pending;
    }
    for (auto it = conditions->rbegin(); it != conditions->rend(); ++it) {
        if (string_at(*it, "status") != "True") {
            continue;
        }
        const auto type = string_at(*it, "type");
        set_message(message, &*it);
        if (type == "Succeeded") return cluster_state::succeeded;
        if (type == "Failed") return cluster_state::failed;
        if (type == "Running" || type == "Restarting") return cluster_state::running;
        return cluster_state::pending;
    }
    return cluster_state::pending;
}

cluster_state ray_job_state(const json& s, std::string* message) {
    const auto deployment = string_at(s, "jobDeploymentStatus");
    const auto job = string_at(s, "jobStatus");
    if (message != nullptr) {
        *message = string_at(s, "message");
    }
    if (deployment == "Failed" || deployment == "ValidationFailed" || job == "FAILED" ||
        job == "STOPPED") {
        return cluster_state::failed;
    }
    if (deployment == "Complete" || job == "SUCCEEDED") {
        return job == "FAILED" ? cluster_state::failed : cluster_state::succeeded;
    }
    if (deployment == "Running" || job == "RUNNING") {
        return cluster_state::running;
    }
    return cluster_state::pending;
}

cluster_state volcano_job_state(const json& s, std::string* message) {
    const json* state = find(s, "state");
    const auto phase = state != nullptr ? string_at(*state, "phase") : std::string();
    if (message != nullptr && state != nullptr) {
        *message = string_at(*state, "message");
    }
    if (phase == "Completed") return cluster_state::succeeded;
    if (phase == "Failed" || phase == "Aborted" || phase == "Terminated") {
        return cluster_state::failed;
    }
    if (phase == "Running" || phase == "Restarting" || phase == "Completing") {
        return cluster_state::running;
    }
    return cluster_state::pending;
}

cluster_state deployment_state(const json& s) {
    return int_at(s, "availableReplicas") >= 1 ? cluster_state::running : cluster_state::pending;
}

}  // namespace

std::string_view to_string(job_state s) {
    static constexpr std::array<std::string_view, 6> names = {
        "Queued", "Submitting", "Running", "Succeeded", "Failed", "Cancelled"};
    return names[static_cast<std::size_t>(s)];
}

std::string_view to_string(cluster_state s) {
    static constexpr std::array<std::string_view, 4> names = {"Pending", "Running", "Succeeded",
                                                              "Failed"};
    return names[static_cast<std::size_t>(s)];
}

std::optional<job_state> parse_job_state(std::string_view text) {
    for (int i = 0; i <= static_cast<int>(job_state::cancelled); ++i) {
        if (to_string(static_cast<job_state>(i)) == text) {
            return static_cast<job_state>(i);
        }
    }
    return std::nullopt;
}

bool is_terminal(job_state s) {
    return s == job_state::succeeded || s == job_state::failed || s == job_state::cancelled;
}

bool is_allowed_transition(job_state from, job_state to) {
    if (from == to || is_terminal(from)) {
        return false;
    }
    if (from == job_state::queued) {
        return to == job_state::submitting || to == job_state::cancelled || to == job_state::failed;
    }
    // Submitting and Running go forward only.
    return to != job_state::queued && to != job_state::submitting;
}

cluster_state member_state(form::job_type type, const json& member_status, std::string* message) {
    switch (type) {
        case form::job_type::job: return batch_job_state(member_status, message);
        case form::job_type::pytorch: return pytorch_job_state(member_status, message);
        case form::job_type::ray: return ray_job_state(member_status, message);
        case form::job_type::volcano: return volcano_job_state(member_status, message);
        case form::job_type::notebook: return deployment_state(member_status);
    }
    return cluster_state::pending;
}

job_status derive(form::job_type type, const json& binding,
                  const std::vector<cluster_status>& planned) {
    job_status out;
    std::map<std::string, cluster_status> by_name;
    for (const auto& p : planned) {
        by_name[p.name] = p;
        by_name[p.name].state = cluster_state::pending;
        by_name[p.name].message.clear();
    }
    const json* status = find(binding, "status");
    if (status != nullptr) {
        if (const json* aggregated = find(*status, "aggregatedStatus");
            aggregated != nullptr && aggregated->is_array()) {
            for (const auto& item : *aggregated) {
                const auto name = string_at(item, "clusterName");
                if (name.empty()) {
                    continue;
                }
                auto& c = by_name[name];
                c.name = name;
                const json* applied = find(item, "applied");
                if (applied != nullptr && applied->is_boolean() && !applied->get<bool>()) {
                    c.state = cluster_state::pending;
                    c.message = string_at(item, "appliedMessage");
                    continue;
                }
                if (const json* s = find(item, "status"); s != nullptr && s->is_object()) {
                    c.state = member_state(type, *s, &c.message);
                }
            }
        }
    }
    std::size_t succeeded = 0;
    std::vector<std::string> failed;
    bool any_running = false;
    for (auto& [name, c] : by_name) {
        if (c.state == cluster_state::succeeded) {
            ++succeeded;
        } else if (c.state == cluster_state::failed) {
            failed.push_back(name);
        } else if (c.state == cluster_state::running) {
            any_running = true;
        }
        out.clusters.push_back(c);
    }
    if (!failed.empty()) {
        out.state = job_state::failed;
        out.message = "failed in cluster";
        out.message += failed.size() > 1 ? "s " : " ";
        for (std::size_t i = 0; i < failed.size(); ++i) {
            out.message += (i ? ", " : "") + failed[i];
        }
        const auto& first = by_name[failed.front()].message;
        if (!first.empty()) {
            out.message += ": " + first;
        }
        return out;
    }
    if (!by_name.empty() && succeeded == by_name.size()) {
        out.state = job_state::succeeded;
        out.message = "succeeded in every cluster";
        return out;
    }
    out.state = job_state::running;
    if (status != nullptr) {
        if (const json* conditions = find(*status, "conditions");
            conditions != nullptr && conditions->is_array()) {
            for (const auto& c : *conditions) {
                if (string_at(c, "type") == "Scheduled" && string_at(c, "status") == "False") {
                    out.message = "Karmada could not schedule the job: " + string_at(c, "message");
                    return out;
                }
            }
        }
    }
    out.message = any_running ? "running" : "waiting for pods to start";
    return out;
}

}  // namespace propagation::status
