#include "broker/auth/authenticator.hpp"

#include "broker/auth/token_cache.hpp"
#include "broker/server/response.hpp"

#include <chrono>

namespace broker::auth {
namespace {

server::response unauthorized(std::string message) {
    auto r = server::error_response(401, std::move(message), "Unauthorized");
    r.with_header("WWW-Authenticate", "Bearer");
    return r;
}

std::vector<std::string> split_roles(std::string_view text) {
    std::vector<std::string> roles;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find(',', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        auto role = text.substr(start, end - start);
        while (!role.empty() && role.front() == ' ') role.remove_prefix(1);
        while (!role.empty() && role.back() == ' ') role.remove_suffix(1);
        if (!role.empty()) {
            roles.emplace_back(role);
        }
        start = end + 1;
    }
    return roles;
}

}  // namespace

bool requires_authentication(std::string_view path) {
    return path.starts_with("/api/") || path == "/api" || path.starts_with("/federation");
}

const principal* principal_of(const server::request_context& ctx) {
    return ctx.attribute<principal>(principal_attribute);
}

server::middleware make_authenticator(authenticator_options options) {
    if (!options.now) {
        options.now = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
    auto shared = std::make_shared<const authenticator_options>(std::move(options));
    // Verified tokens until their exp: one signature check per token, not per request.
    auto cache = std::make_shared<token_cache>();
    return [shared, cache](server::request_context& ctx,
                    const server::handler& next) -> boost::asio::awaitable<server::response> {
        if (!requires_authentication(ctx.path) || ctx.method == "OPTIONS") {
            co_return co_await next(ctx);
        }
        const auto authorization = ctx.headers.get("Authorization");
        if (authorization) {
            constexpr std::string_view scheme = "Bearer ";
            if (authorization->size() <= scheme.size() ||
                !std::equal(scheme.begin(), scheme.end(), authorization->begin(),
                            [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
                co_return unauthorized("the Authorization header must be \"Bearer <token>\"");
            }
            if (!shared->verifier) {
                co_return unauthorized("this broker accepts no tokens (no --jwt-public-key)");
            }
            const auto token = authorization->substr(scheme.size());
            const auto now = shared->now();
            if (auto known = cache->find(token, now)) {
                ctx.attributes[std::string(principal_attribute)] = std::move(*known);
                co_return co_await next(ctx);
            }
            auto verified = shared->verifier->verify(token, now);
            if (auto* error = std::get_if<token_error>(&verified)) {
                co_return unauthorized("invalid bearer token: " + error->message);
            }
            if (auto exp = token_expiry(token)) {
                cache->remember(token, std::get<principal>(verified), *exp, now);
            }
            ctx.attributes[std::string(principal_attribute)] = std::get<principal>(verified);
            co_return co_await next(ctx);
        }
        if (shared->insecure_dev_auth) {
            if (auto user = ctx.headers.get("X-Debug-Username"); user && !user->empty()) {
                principal p;
                p.user = std::string(*user);
                p.roles = split_roles(ctx.headers.value_or("X-Debug-Roles", ""));
                ctx.attributes[std::string(principal_attribute)] = std::move(p);
                co_return co_await next(ctx);
            }
        }
        co_return unauthorized("authentication required: send Authorization: Bearer <token>");
    };
}

}  // namespace broker::auth
