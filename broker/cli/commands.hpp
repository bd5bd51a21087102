#pragma once
/// The broker's subcommands (CONTRACTS.md §3) in one table: name → entry point.
///
/// Thread safety: called once from main.

#include <string>
#include <vector>

namespace broker::cli {

/// Runs `broker <command> [args...]`; returns the process exit status. `args[0]` is the
/// command name. Unknown commands and `--help` print the usage (exit 2 / 0).
int dispatch(const std::vector<std::string>& args);

}  // namespace broker::cli
