#pragma once
/// Durations in configuration and query parameters, written as Go and Kubernetes write them:
/// "500ms", "2s", "1m", "1h30m", "1.5s"; units ms, s, m, h (also "us"/"ns", rounded down to
/// milliseconds). A bare "0" is zero. Anything else is rejected.
///
/// Thread safety: pure functions.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// The shortest exact spelling: 1500ms → "1500ms", 2000ms → "2s", 60000ms → "1m".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace config
