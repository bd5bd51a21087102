#pragma once
/// The broker's API surface, one function per resource file, all adding to the ONE route table
/// (STYLE.md principle 2). Handlers read the principal the authenticator stored and call the
/// services; they never touch the socket.
///
/// Thread safety: called once at startup, before the server starts.

#include "broker/server/metrics.hpp"
#include "broker/server/router.hpp"
#include "broker/service/job_service.hpp"
#include "broker/service/log_service.hpp"

#include <functional>
#include <memory>
#include <string>

namespace broker::routes {

/// api_reply → HTTP response (JSON body or Status error).
server::response to_response(const service::api_reply& reply);

/// /api/v1/jobs, /api/v1/jobs/{id}, /status, /events (and DELETE).
void add_job_routes(server::router& router, service::job_service& jobs);

/// GET /api/v1/jobs/{id}/logs (cluster, pod, container, tailLines, follow, timestamps).
void add_log_routes(server::router& router, service::log_service& logs);

/// What /readyz checks: each returns an empty string when ready, else why not.
struct readiness_checks {
    std::function<boost::asio::awaitable<std::string>()> database;
    std::function<std::string()> karmada;
};

/// /healthz, /readyz, /metrics, /openapi.json. `extra_metrics` appends the service's own
/// gauges (jobs by state, Karmada calls, pool use) to the server's request metrics.
void add_health_routes(server::router& router, readiness_checks checks,
                       std::shared_ptr<server::metrics_registry> metrics,
                       std::function<boost::asio::awaitable<std::string>()> extra_metrics);

/// The OpenAPI 3 document describing every route (served at /openapi.json).
const nlohmann::json& openapi_document();

}  // namespace broker::routes
