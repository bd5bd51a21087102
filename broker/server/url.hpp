#pragma once

#include "broker/server/request_context.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker::server {

/// Decodes %XX escapes (and '+' as space when `plus_is_space`, for query strings).
/// Returns nullopt for a malformed escape or an encoded NUL.
/// Thread safety: pure function.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

/// Encodes everything outside RFC 3986 unreserved characters (and '/' when `keep_slash`).
/// Thread safety: pure function.
std::string percent_encode(std::string_view in, bool keep_slash = false);

/// The non-empty segments of a '/'-separated path ("/a//b/" → {"a", "b"}), not decoded.
std::vector<std::string> path_segments(std::string_view path);

/// A request target split into its decoded path segments and query parameters.
struct parsed_target {
    std::string path;                  ///< decoded path ("/" at least)
    std::vector<std::string> segments; ///< decoded, empty segments dropped
    param_list query;
};

/// Splits and decodes an origin-form target ("/a/b?x=1"). Returns nullopt when the target does
/// not start with '/' or holds a malformed escape.
/// Thread safety: pure function.
std::optional<parsed_target> parse_target(std::string_view target);

} // namespace broker::server
