#pragma once

#include "broker/server/chunk_writer.hpp"
#include "broker/server/status_error.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace broker::server {

/// Produces a streaming body: writes chunks until done or until `write` returns false.
using stream_body = std::function<boost::asio::awaitable<void>(chunk_writer&)>;

/// What a handler returns: a status, headers and either a complete body or a streaming body.
///
/// When `stream` is set, `body` is ignored and the session sends the headers, then runs `stream`
/// with a chunk_writer (chunked transfer encoding) and ends the body when it returns.
/// Thread safety: a plain value.
struct response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    stream_body stream;

    /// Adds (does not replace) a header.
    response& with_header(std::string name, std::string value)
    {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

/// A JSON response with `body = value.dump()`.
/// Thread safety: pure function.
response json_response(unsigned status, const nlohmann::json& value);

/// A response with the given body and content type.
/// Thread safety: pure function.
response text_response(unsigned status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");

/// A Kubernetes Status error response; adds Retry-After when the details carry it.
/// Thread safety: pure function.
response status_response(const status_error& error);

/// `status_response(make_status(code, message, reason))`.
/// Thread safety: pure function.
response error_response(unsigned code, std::string message, std::string reason = {});

} // namespace broker::server
