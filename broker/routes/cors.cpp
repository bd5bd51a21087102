#include "broker/routes/cors.hpp"

#include <algorithm>
#include <memory>

namespace broker::routes {

server::middleware make_cors(std::vector<std::string> allowed_origins) {
    auto allowed = std::make_shared<const std::vector<std::string>>(std::move(allowed_origins));
    return [allowed](server::request_context& ctx,
                     const server::handler& next) -> boost::asio::awaitable<server::response> {
        const auto origin = ctx.headers.get("Origin");
        const bool any = std::find(allowed->begin(), allowed->end(), "*") != allowed->end();
        const bool ok = origin && (any || std::find(allowed->begin(), allowed->end(), *origin) !=
                                              allowed->end());
        if (!ok) {
            co_return co_await next(ctx);
        }
        const std::string allow_origin = any ? "*" : std::string(*origin);
        if (ctx.method == "OPTIONS" && ctx.headers.get("Access-Control-Request-Method")) {
            server::response r;
            r.status = 204;
            r.content_type.clear();
            r.with_header("Access-Control-Allow-Origin", allow_origin)
                .with_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
                .with_header("Access-Control-Allow-Headers",
                             "Authorization, Content-Type, Idempotency-Key, X-Request-Id")
                .with_header("Access-Control-Max-Age", "600")
                .with_header("Vary", "Origin");
            co_return r;
        }
        auto r = co_await next(ctx);
        r.with_header("Access-Control-Allow-Origin", allow_origin)
            .with_header("Access-Control-Expose-Headers", "X-Request-Id")
            .with_header("Vary", "Origin");
        co_return r;
    };
}

}  // namespace broker::routes
