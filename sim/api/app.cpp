#include "sim/api/app.hpp"

#include "sim/api/cluster_proxy.hpp"
#include "sim/api/kube_api.hpp"
#include "broker/server/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace fedsim::api {

namespace net = boost::asio;
using broker::server::handler;
using broker::server::request_context;
using broker::server::response;
using nlohmann::json;

namespace {

/// Compares without an early exit so the time taken does not reveal a prefix match.
bool constant_time_equal(std::string_view a, std::string_view b)
{
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
    }
    return diff == 0 && !b.empty();
}

response json_reply(unsigned status, const json& body)
{
    response r;
    r.status = status;
    r.body = body.dump();
    return r;
}

} // namespace

app::app(net::any_io_executor executor, model::federation& federation, app_options options)
    : executor_(executor), federation_(federation), options_(std::move(options)), hub_(executor),
      driver_timer_(executor), metrics_(std::make_shared<broker::server::metrics_registry>())
{
    federation_.set_change_listener([this] { hub_.notify(); });
}

app::~app()
{
    federation_.set_change_listener({});
}

model::time_point app::now()
{
    return std::chrono::time_point_cast<model::time_point::duration>(
        std::chrono::system_clock::now());
}

void app::advance_now()
{
    auto t = std::chrono::steady_clock::now();
    if (t - last_pass_ >= coalesce_window) {
        federation_.advance(now());
        last_pass_ = t;
    }
    driver_timer_.cancel();
}

void app::count(std::string_view key)
{
    federation_.stats().increment(key);
}

void app::start()
{
    net::co_spawn(executor_, drive(), [](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("simulation driver stopped: {}", ex.what());
            }
        }
    });
}

void app::stop()
{
    stopping_ = true;
    driver_timer_.cancel();
    hub_.close();
}

net::awaitable<void> app::drive()
{
    while (!stopping_) {
        federation_.advance(now());
        last_pass_ = std::chrono::steady_clock::now();
        auto delay = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            options_.max_tick);
        if (auto wake = federation_.next_wakeup()) {
            auto until = std::chrono::duration_cast<std::chrono::steady_clock::duration>(*wake -
                                                                                         now());
            delay = std::clamp(until, std::chrono::steady_clock::duration::zero(), delay);
        }
        // Idle: serialise a chunk of written objects, and come back at once while any are left
        // (requests queued meanwhile are served between chunks).
        if (delay > std::chrono::steady_clock::duration::zero() &&
            std::chrono::steady_clock::now() - last_request_ >= warm_after_idle &&
            federation_.warm_caches(warm_chunk) > 0) {
            delay = std::chrono::steady_clock::duration::zero();
        }
        driver_timer_.expires_after(delay);
        auto [ec] = co_await driver_timer_.async_wait(net::as_tuple(net::use_awaitable));
        (void)ec; // cancelled: a write changed what is due, or shutdown
    }
}

std::vector<broker::server::middleware> app::make_middleware()
{
    std::vector<broker::server::middleware> chain;
    chain.push_back([this](request_context& ctx, const handler& next) -> net::awaitable<response> {
        count("requests.total");
        last_request_ = std::chrono::steady_clock::now();
        if (!options_.token.empty() && ctx.path != "/healthz" && ctx.path != "/livez" &&
            ctx.path != "/readyz") {
            auto auth = ctx.headers.value_or("Authorization", "");
            constexpr std::string_view bearer = "Bearer ";
            bool ok = auth.size() > bearer.size() && auth.compare(0, bearer.size(), bearer) == 0 &&
                      constant_time_equal(std::string_view(auth).substr(bearer.size()),
                                          options_.token);
            if (!ok) {
                metrics_->increment("unauthorized_total");
                co_return broker::server::error_response(401, "Unauthorized", "Unauthorized");
            }
        }
        co_return co_await next(ctx);
    });
    return chain;
}

std::shared_ptr<broker::server::router> app::make_router()
{
    auto r = std::make_shared<broker::server::router>();
    auto cp_scope = [this] {
        api_scope s;
        s.store = &federation_.control_plane();
        s.surface = api_surface::control_plane;
        s.version = federation_.config().kubernetes_version;
        return s;
    };
    // Every Karmada API route goes through the control plane's faults first.
    auto control_plane = [this, cp_scope]() -> handler {
        return [this, cp_scope](request_context& ctx) -> net::awaitable<response> {
            count("requests.controlplane");
            if (auto failed = co_await apply_fault(*this, "", ctx)) {
                co_return std::move(*failed);
            }
            auto segments = broker::server::path_segments(ctx.path);
            co_return co_await serve_api_root(*this, cp_scope(), std::move(segments), ctx);
        };
    };
    auto health = [this](request_context& ctx) -> net::awaitable<response> {
        const auto* f = federation_.fault("");
        if (ctx.path == "/readyz" && f && (f->unavailable || !f->ready)) {
            co_return broker::server::text_response(500, "readyz check failed");
        }
        co_return broker::server::text_response(200, "ok");
    };

    // Health and metrics (no faults, no token).
    r->add("GET", "/healthz", health);
    r->add("GET", "/livez", health);
    r->add("GET", "/readyz", health);
    r->add("GET", "/metrics", [this](request_context&) -> net::awaitable<response> {
        co_return broker::server::text_response(200, metrics_->render_prometheus("fedsim_http"),
                                                "text/plain; version=0.0.4");
    });

    // The Karmada API server: discovery, OpenAPI, resources.
    r->add("GET", "/version", control_plane());
    r->add("GET", "/api", control_plane());
    r->add("GET", "/apis", control_plane());
    r->add("GET", "/apis/{group}", control_plane());
    r->add("GET", "/openapi/v2", control_plane());
    r->add("GET", "/openapi/v3", control_plane());
    r->add("GET", "/openapi/v3/{path...}", control_plane());
    r->add("*", "/apis/cluster.karmada.io/v1alpha1/clusters/{name}/proxy/{path...}",
           [this](request_context& ctx) -> net::awaitable<response> {
               co_return co_await serve_cluster_proxy(*this, ctx);
           });
    r->add("*", "/api/v1/{path...}", control_plane());
    r->add("*", "/apis/{group}/{version}/{path...}", control_plane());

    // Faults and stats for tests (CONTRACTS.md §10, stable).
    auto fault_handler = [this](bool control_plane_fault) -> handler {
        return [this, control_plane_fault](request_context& ctx) -> net::awaitable<response> {
            std::string cluster = control_plane_fault ? "" : ctx.path_params.value_or("name", "");
            if (ctx.method == "GET") {
                const auto* f = federation_.fault(cluster);
                if (!f) {
                    co_return to_response(
                        model::not_found("cluster.karmada.io", "clusters", cluster));
                }
                co_return json_reply(200, f->to_json());
            }
            model::api_result<model::fault_state> result = model::fault_state{};
            if (ctx.method == "DELETE") {
                result = federation_.clear_fault(cluster);
            } else {
                auto body = ctx.body.empty() ? json::object()
                                             : json::parse(ctx.body, nullptr, false);
                if (body.is_discarded()) {
                    co_return to_response(model::bad_request("the fault body is not valid JSON"));
                }
                result = federation_.set_fault(cluster, body);
            }
            if (!result) {
                co_return to_response(result.error());
            }
            advance_now();
            co_return json_reply(200, result->to_json());
        };
    };
    for (const char* m : {"GET", "POST", "DELETE"}) {
        r->add(m, "/fedsim/v1/clusters/{name}/fault", fault_handler(false));
        r->add(m, "/fedsim/v1/controlplane/fault", fault_handler(true));
    }
    r->add("GET", "/fedsim/v1/stats", [this](request_context&) -> net::awaitable<response> {
        co_return json_reply(200, federation_.stats_json());
    });
    return r;
}

} // namespace fedsim::api
