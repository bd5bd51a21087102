#pragma once

#include "broker/server/handler.hpp"
#include "broker/server/request_context.hpp"
#include "broker/server/response.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace broker::server {

/// The outcome of matching a request against the route table.
struct route_match {
    const handler* fn = nullptr; ///< null when nothing matched
    std::string pattern;         ///< the matched pattern, e.g. /api/v1/jobs/{id}
    param_list params;           ///< `{name}` captures, `{rest...}` joined with '/'
    unsigned error = 0;          ///< 0 on a match, else 404 (no route) or 405 (wrong method)
    std::string allow;           ///< for 405: the methods the path supports ("GET, POST")
};

/// ONE declarative table of (method, path pattern) → handler, built at startup and immutable
/// afterwards.
///
/// Patterns are '/'-separated segments: literals, `{name}` (one segment) and a trailing
/// `{name...}` catch-all (zero or more segments). Exact (parameter-free) patterns are tried first,
/// then patterns in declaration order. Method "*" accepts every method. A path that matches some
/// route but not for this method gives 405 with an Allow list; no match at all gives 404.
/// Segments are compared after percent-decoding, so `%2F` never splits a segment.
/// Thread safety: `add` only before the server starts; afterwards const and shareable.
class router {
public:
    /// Adds a route. Throws std::invalid_argument for a malformed pattern (a startup bug).
    router& add(std::string method, std::string pattern, handler fn);

    /// Matches decoded path segments (see parse_target).
    [[nodiscard]] route_match match(std::string_view method,
                                    const std::vector<std::string>& segments) const;

    /// Matches `path` (decoded) and returns the outcome; convenience for tests.
    [[nodiscard]] route_match match_path(std::string_view method, std::string_view path) const;

    /// Matches ctx.path, fills ctx.route and ctx.path_params, and runs the handler or returns the
    /// 404/405 Status response. Convenience for tests; the server uses match() + middleware.
    boost::asio::awaitable<response> dispatch(request_context& ctx) const;

    /// The 404/405 Status response for an unsuccessful match.
    [[nodiscard]] static response miss_response(const route_match& m, std::string_view method,
                                                std::string_view path);

    [[nodiscard]] std::size_t size() const { return routes_.size(); }

private:
    struct segment {
        enum class kind { literal, param, rest } type = kind::literal;
        std::string text; ///< literal text or parameter name
    };
    struct route {
        std::string method;
        std::string pattern;
        std::vector<segment> segments;
        handler fn;
    };

    static bool match_route(const route& r, const std::vector<std::string>& segs, param_list& out);

    std::vector<route> routes_;
    std::unordered_map<std::string, std::vector<std::size_t>> exact_; ///< joined path → route idx
};

} // namespace broker::server
