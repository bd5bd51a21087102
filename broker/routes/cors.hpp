#pragma once
/// CORS for the frontend (CONTRACTS.md §8): requests from an allowed Origin get
/// `Access-Control-Allow-Origin` (and `Vary: Origin`); preflight OPTIONS requests from one are
/// answered 204 with the allowed methods and headers. Nothing is allowed by default; "*" in the
/// list allows every origin (without credentials).
///
/// Thread safety: the middleware is immutable.

#include "broker/server/handler.hpp"

#include <string>
#include <vector>

namespace broker::routes {

server::middleware make_cors(std::vector<std::string> allowed_origins);

}  // namespace broker::routes
