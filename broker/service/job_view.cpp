#include "broker/service/job_view.hpp"

#include <ctime>

namespace broker::service {

using nlohmann::json;

std::string format_time(store::time_point t) {
    const auto micros = t.time_since_epoch().count();
    const std::time_t secs = static_cast<std::time_t>(micros / 1000000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), buf,
                  static_cast<int>((micros / 1000) % 1000));
    return out;
}

namespace {

/// Per-cluster rows: the placement's clusters with the latest status the broker observed.
json cluster_rows(const store::job_record& job, bool detailed) {
    json rows = json::array();
    const json* clusters = nullptr;
    if (job.placement.is_object()) {
        if (auto it = job.placement.find("clusters"); it != job.placement.end() && it->is_array()) {
            clusters = &*it;
        }
    }
    if (clusters == nullptr) {
        return rows;
    }
    for (const auto& c : *clusters) {
        const auto name = c.value("name", std::string());
        json row = {{"name", name}, {"replicas", c.value("replicas", 0)}};
        std::string state = "Pending";
        std::string message;
        if (job.cluster_status.is_object()) {
            if (auto s = job.cluster_status.find(name);
                s != job.cluster_status.end() && s->is_object()) {
                state = s->value("state", state);
                message = s->value("message", std::string());
            }
        }
        if (job.state == store::job_state::queued || job.state == store::job_state::submitting) {
            state = "Pending";
        } else if (job.state == store::job_state::cancelled) {
            state = "Cancelled";
        }
        row["state"] = state;
        if (detailed) {
            row["gpus"] = c.value("gpus", 0);
            row["message"] = message;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace

json job_json(const store::job_record& job) {
    return {{"id", job.id},
            {"name", job.name},
            {"namespace", job.namespace_},
            {"jobType", job.job_type},
            {"owner", job.owner},
            {"state", store::to_string(job.state)},
            {"message", job.message},
            {"priority", job.priority},
            {"placement", job.placement},
            {"clusters", cluster_rows(job, false)},
            {"createdAt", format_time(job.created_at)},
            {"updatedAt", format_time(job.updated_at)}};
}

json status_json(const store::job_record& job) {
    return {{"id", job.id},
            {"state", store::to_string(job.state)},
            {"message", job.message},
            {"clusters", cluster_rows(job, true)},
            {"updatedAt", format_time(job.updated_at)}};
}

json events_json(const std::vector<store::job_event>& events) {
    json items = json::array();
    for (const auto& e : events) {
        json item = {{"time", format_time(e.at)},
                     {"to", store::to_string(e.to_state)},
                     {"reason", e.reason},
                     {"message", e.message}};
        item["from"] = e.from_state ? json(store::to_string(*e.from_state)) : json(nullptr);
        items.push_back(std::move(item));
    }
    return {{"items", std::move(items)}};
}

}  // namespace broker::service
