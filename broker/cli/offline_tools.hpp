#pragma once
/// The offline tools of CONTRACTS.md §4 (`broker place`, `broker estimate`, `broker render`):
/// JSON on stdin, JSON on stdout. Exit status: 0 answer; 1 valid input without an answer (stdout
/// holds `{"error": {"reason", "message", "causes"}}`); 2 unusable input (one line on stderr).
///
/// Each tool is a function from input text to an outcome, so tests call it directly and `main`
/// only moves bytes. Thread safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

namespace broker::cli {

struct tool_outcome {
    int exit_code = 0;
    std::string out;  ///< stdout (JSON plus a newline)
    std::string err;  ///< stderr (one line plus a newline, for exit 2)
};

tool_outcome run_place(std::string_view input);
tool_outcome run_estimate(std::string_view input);
/// `clusters_json`: contents of `--clusters FILE` (a ClusterList), empty when not given.
tool_outcome run_render(std::string_view input, std::string_view clusters_json);

/// Entry point for `broker place|estimate|render [options]`: reads stdin, writes stdout/stderr,
/// returns the exit status. `args` excludes the program and tool names.
int run_offline_tool(std::string_view tool, const std::vector<std::string>& args);

}  // namespace broker::cli
