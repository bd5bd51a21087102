#pragma once
/// The job as the REST API returns it (CONTRACTS.md §8): `{"id", "name", "namespace", "jobType",
/// "owner", "state", "message", "placement", "clusters": [{"name", "replicas", "state"}],
/// "createdAt", "updatedAt"}`, plus the status and event documents.
///
/// Thread safety: pure functions.

#include "broker/store/job_record.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace broker::service {

/// RFC 3339 with milliseconds, UTC ("2026-11-22T10:30:59.123Z").
std::string format_time(store::time_point t);

nlohmann::json job_json(const store::job_record& job);

/// `GET /jobs/{id}/status`: state, message and the per-cluster breakdown
/// (`clusters: [{"name", "replicas", "gpus", "state", "message"}]`).
nlohmann::json status_json(const store::job_record& job);

nlohmann::json events_json(const std::vector<store::job_event>& events);

}  // namespace broker::service
