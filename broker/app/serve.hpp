#pragma once
/// `broker serve` and `broker migrate` (CONTRACTS.md §3): build the service from its
/// configuration, run it until SIGTERM/SIGINT, drain, exit.
///
/// Thread safety: each runs once, from main.

#include <string>
#include <vector>

namespace broker::app {

/// Returns the exit status: 0 after a clean shutdown, 2 for configuration errors (every error
/// printed with its path), 1 when the service cannot start.
int run_serve(const std::vector<std::string>& args);

/// Applies the database migrations and exits (0 ok, 1 failed, 2 bad flags).
int run_migrate(const std::vector<std::string>& args);

}  // namespace broker::app
