// The broker executable: wiring only. Each subcommand lives in broker_core.
#include "broker/cli/commands.hpp"

#include <string>
#include <vector>

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return broker::cli::dispatch(args);
}
