#pragma once
/// JSON parsing with limits on size and nesting depth, for every untrusted document (stdin of the
/// offline tools, request bodies). nlohmann's parser recurses once per nesting level, so depth is
/// checked by a linear pre-scan before it runs.
///
/// Thread safety: pure functions.

#include "propagation/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string_view>

namespace propagation::json {

struct json_limits {
    std::size_t max_bytes = 16 * 1024 * 1024;
    std::size_t max_depth = 64;
};

/// Parses `text`. Errors (`bad_input`): too large, nested too deeply (with the byte offset),
/// or not valid JSON (with the parser's message, which names the byte position).
result<nlohmann::json> parse_bounded(std::string_view text, const json_limits& limits = {});

/// The JSON type name as the API server words it in type errors ("string", "integer", ...).
std::string_view type_name(const nlohmann::json& value);

}  // namespace propagation::json
