#pragma once
/// One configuration problem at one place, e.g. `listen.port: must be 0..65535` or
/// `users[0].user.client-key-data: invalid base64`. Loaders collect every problem and report
/// them together (STYLE.md principle 8).
///
/// Thread safety: plain values.

#include <string>
#include <vector>

namespace config {

struct config_error {
    std::string path;  ///< e.g. "users[0].user.client-key-data", "--port", "PORT"
    std::string message;

    friend bool operator==(const config_error&, const config_error&) = default;
};

/// "path: message" lines, one per error, for a startup failure message.
std::string format_errors(const std::vector<config_error>& errors);

}  // namespace config
