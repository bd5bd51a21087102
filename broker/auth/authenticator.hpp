#pragma once
/// Authentication for the broker's API: every request under /api/ and /federation/ carries a
/// bearer JWT (ES256/RS256, verified with the configured public keys) naming the user and
/// roles. With `--insecure-dev-auth` (never the default) the `X-Debug-Username` header (and
/// `X-Debug-Roles: admin`) is trusted instead when no token is sent, as the seed backend did
/// for local testing; without the flag those headers are ignored. Health, readiness, metrics
/// and the OpenAPI document are public.
///
/// The authenticated principal is stored in the request context under `principal_attribute`.
///
/// Thread safety: the middleware is immutable; the verifier is shared read-only.

#include "broker/auth/jwt.hpp"
#include "broker/server/handler.hpp"

#include <cstdint>
#include <functional>
#include <memory>

namespace broker::auth {

inline constexpr std::string_view principal_attribute = "principal";

struct authenticator_options {
    std::shared_ptr<const jwt_verifier> verifier;  ///< null: no token is accepted
    bool insecure_dev_auth = false;
    std::function<std::int64_t()> now;              ///< seconds since the epoch (injectable)
};

/// True for paths that need a principal.
bool requires_authentication(std::string_view path);

server::middleware make_authenticator(authenticator_options options);

/// The principal the authenticator stored, or null on public routes.
const principal* principal_of(const server::request_context& ctx);

}  // namespace broker::auth
