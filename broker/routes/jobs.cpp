#include "broker/auth/authenticator.hpp"
#include "broker/routes/routes.hpp"
#include "broker/server/response.hpp"
#include "broker/service/shielded.hpp"

#include <charconv>
#include <functional>

namespace broker::routes {
namespace {

using server::request_context;
using server::response;

response missing_principal() {
    return server::error_response(401, "authentication required", "Unauthorized");
}

std::optional<std::string> query(const request_context& ctx, std::string_view name) {
    if (auto v = ctx.query.get(name); v && !v->empty()) {
        return std::string(*v);
    }
    return std::nullopt;
}

/// Runs a service call shielded from the client's disconnect (service/shielded.hpp).
boost::asio::awaitable<service::api_reply> run_shielded(
    std::function<boost::asio::awaitable<service::api_reply>()> call) {
    return service::shielded<service::api_reply>(std::move(call));
}

}  // namespace

response to_response(const service::api_reply& reply) {
    if (reply.error) {
        return server::status_response(*reply.error);
    }
    return server::json_response(reply.status, reply.body);
}

void add_job_routes(server::router& router, service::job_service& jobs) {
    router.add("POST", "/api/v1/jobs", [&jobs](request_context& ctx) -> boost::asio::awaitable<response> {
        const auto* who = auth::principal_of(ctx);
        if (who == nullptr) {
            co_return missing_principal();
        }
        const auto content_type = ctx.headers.value_or("Content-Type", "application/json");
        if (content_type.find("json") == std::string::npos) {
            co_return server::error_response(
                415, "the job form must be sent as application/json, not " + content_type,
                "UnsupportedMediaType");
        }
        service::submit_request request;
        request.body = std::move(ctx.body);
        request.idempotency_key = ctx.headers.value_or("Idempotency-Key", "");
        if (request.idempotency_key.size() > 255) {
            co_return server::error_response(400, "Idempotency-Key is longer than 255 characters",
                                             "BadRequest");
        }
        const auto dry_run = ctx.query.value_or("dryRun", "false");
        if (dry_run != "true" && dry_run != "false" && dry_run != "All") {
            co_return server::error_response(400, "dryRun must be true or false", "BadRequest");
        }
        request.dry_run = dry_run != "false";
        std::function<boost::asio::awaitable<service::api_reply>()> call =
            [&jobs, principal = *who, request = std::move(request)]() mutable {
                return jobs.submit(principal, std::move(request));
            };
        auto reply = co_await run_shielded(std::move(call));
        co_return to_response(reply);
    });

    router.add("GET", "/api/v1/jobs", [&jobs](request_context& ctx) -> boost::asio::awaitable<response> {
        const auto* who = auth::principal_of(ctx);
        if (who == nullptr) {
            co_return missing_principal();
        }
        service::list_request request;
        request.status = query(ctx, "status");
        request.namespace_ = query(ctx, "namespace");
        request.job_type = query(ctx, "jobType");
        request.continue_token = ctx.query.value_or("continue", "");
        if (auto limit = query(ctx, "limit")) {
            int value = 0;
            auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
            if (ec != std::errc() || end != limit->data() + limit->size() || value < 1 ||
                value > 1000) {
                co_return server::error_response(400, "limit must be an integer from 1 to 1000",
                                                 "BadRequest");
            }
            request.limit = value;
        }
        std::function<boost::asio::awaitable<service::api_reply>()> call =
            [&jobs, principal = *who, request = std::move(request)]() {
                return jobs.list(principal, request);
            };
        auto reply = co_await run_shielded(std::move(call));
        co_return to_response(reply);
    });

    using job_call = boost::asio::awaitable<service::api_reply> (service::job_service::*)(
        const auth::principal&, std::string);
    auto by_id = [&jobs](job_call call) {
        return [&jobs, call](request_context& ctx) -> boost::asio::awaitable<response> {
            const auto* who = auth::principal_of(ctx);
            if (who == nullptr) {
                co_return missing_principal();
            }
            std::function<boost::asio::awaitable<service::api_reply>()> run =
                [&jobs, call, principal = *who,
                 id = std::string(ctx.path_params.value_or("id", ""))]() {
                    return (jobs.*call)(principal, id);
                };
            auto reply = co_await run_shielded(std::move(run));
            co_return to_response(reply);
        };
    };
    router.add("GET", "/api/v1/jobs/{id}", by_id(&service::job_service::get));
    router.add("DELETE", "/api/v1/jobs/{id}", by_id(&service::job_service::cancel));
    router.add("GET", "/api/v1/jobs/{id}/status", by_id(&service::job_service::status));
    router.add("GET", "/api/v1/jobs/{id}/events", by_id(&service::job_service::events));
}

void add_log_routes(server::router& router, service::log_service& logs) {
    router.add("GET", "/api/v1/jobs/{id}/logs",
               [&logs](request_context& ctx) -> boost::asio::awaitable<response> {
                   const auto* who = auth::principal_of(ctx);
                   if (who == nullptr) {
                       co_return missing_principal();
                   }
                   service::log_request request;
                   request.job_id = ctx.path_params.value_or("id", "");
                   request.cluster = ctx.query.value_or("cluster", "");
                   request.pod = ctx.query.value_or("pod", "");
                   request.container = ctx.query.value_or("container", "");
                   const auto follow = ctx.query.value_or("follow", "false");
                   const auto timestamps = ctx.query.value_or("timestamps", "false");
                   if ((follow != "true" && follow != "false") ||
                       (timestamps != "true" && timestamps != "false")) {
                       co_return server::error_response(
                           400, "follow and timestamps must be true or false", "BadRequest");
                   }
                   request.follow = follow == "true";
                   request.timestamps = timestamps == "true";
                   if (auto tail = query(ctx, "tailLines")) {
                       std::int64_t value = 0;
                       auto [end, ec] =
                           std::from_chars(tail->data(), tail->data() + tail->size(), value);
                       if (ec != std::errc() || end != tail->data() + tail->size() || value < 0) {
                           co_return server::error_response(
                               400, "tailLines must be a non-negative integer", "BadRequest");
                       }
                       request.tail_lines = value;
                   }
                   std::function<boost::asio::awaitable<response>()> call =
                       [&logs, principal = *who, request = std::move(request)]() {
                           return logs.logs(principal, request);
                       };
                   co_return co_await service::shielded<response>(std::move(call));
               });
}

}  // namespace broker::routes
