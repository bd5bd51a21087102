#include "broker/cli/commands.hpp"

#include "broker/cli/offline_tools.hpp"

#include <functional>
#include <iostream>
#include <string_view>

#ifndef BROKER_VERSION
#define BROKER_VERSION "0.1.0"
#endif

namespace broker::cli {
namespace {

using command_fn = std::function<int(const std::vector<std::string>&)>;

struct command {
    std::string_view name;
    std::string_view summary;
    command_fn run;
};

int version(const std::vector<std::string>&) {
    std::cout << "broker " << BROKER_VERSION << "\n";
    return 0;
}

const std::vector<command>& commands() {
    static const std::vector<command> table = {
        {"place", "Karmada-compatible replica division (JSON on stdin)",
         [](const auto& a) { return run_offline_tool("place", a); }},
        {"estimate", "Karmada's general estimator for one Cluster (JSON on stdin)",
         [](const auto& a) { return run_offline_tool("estimate", a); }},
        {"render", "render a job form to placement + manifests (JSON on stdin) [--clusters FILE]",
         [](const auto& a) { return run_offline_tool("render", a); }},
        {"version", "print the version", version},
    };
    return table;
}

void usage(std::ostream& os) {
    os << "usage: broker <command> [options]\n\ncommands:\n";
    for (const auto& c : commands()) {
        os << "  " << c.name << std::string(10 - c.name.size(), ' ') << c.summary << "\n";
    }
}

}  // namespace

int dispatch(const std::vector<std::string>& args) {
    if (args.empty()) {
        usage(std::cerr);
        return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        usage(std::cout);
        return 0;
    }
    if (args[0] == "--version") {
        return version({});
    }
    for (const auto& c : commands()) {
        if (c.name == args[0]) {
            return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
        }
    }
    std::cerr << "broker: unknown command \"" << args[0] << "\"\n";
    usage(std::cerr);
    return 2;
}

}  // namespace broker::cli
