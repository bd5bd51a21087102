#include "broker/routes/routes.hpp"
#include "broker/server/response.hpp"
#include "broker/service/shielded.hpp"

namespace broker::routes {

using server::request_context;
using server::response;

void add_health_routes(server::router& router, readiness_checks checks,
                       std::shared_ptr<server::metrics_registry> metrics,
                       std::function<boost::asio::awaitable<std::string>()> extra_metrics) {
    router.add("GET", "/healthz", [](request_context&) -> boost::asio::awaitable<response> {
        co_return server::text_response(200, "ok\n");
    });
    router.add("GET", "/readyz",
               [checks = std::move(checks)](request_context&) -> boost::asio::awaitable<response> {
                   std::string problems;
                   if (checks.database) {
                       // Shielded: a probe that times out must not cancel the store hop.
                       auto why = co_await service::shielded(checks.database);
                       if (!why.empty()) {
                           problems += "database: " + why + "\n";
                       }
                   }
                   if (checks.karmada) {
                       if (auto why = checks.karmada(); !why.empty()) {
                           problems += "karmada: " + why + "\n";
                       }
                   }
                   co_return problems.empty() ? server::text_response(200, "ok\n")
                                              : server::text_response(503, problems);
               });
    router.add("GET", "/metrics",
               [metrics, extra = std::move(extra_metrics)](
                   request_context&) -> boost::asio::awaitable<response> {
                   std::string body = metrics ? metrics->render_prometheus("broker_http") : "";
                   if (extra) {
                       body += co_await extra();
                   }
                   co_return server::text_response(200, std::move(body),
                                                   "text/plain; version=0.0.4; charset=utf-8");
               });
    router.add("GET", "/openapi.json", [](request_context&) -> boost::asio::awaitable<response> {
        co_return server::json_response(200, openapi_document());
    });
}

}  // namespace broker::routes
