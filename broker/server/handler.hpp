#pragma once

#include "broker/server/request_context.hpp"
#include "broker/server/response.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace broker::server {

/// A route handler: a function from a parsed request to a response. It may wait (member calls,
/// the database) but never touches the socket, the strand or keep-alive.
using handler = std::function<boost::asio::awaitable<response>(request_context&)>;

/// Wraps every request: runs code before `next` (auth, CORS preflight, request ids), may answer
/// without calling it, and may change the response after it (headers, access logs, metrics).
/// Registered middleware run outermost first.
using middleware = std::function<boost::asio::awaitable<response>(request_context&, const handler& next)>;

} // namespace broker::server
