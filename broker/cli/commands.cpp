#include "broker/cli/commands.hpp"

#include "broker/app/serve.hpp"
#include "broker/auth/jwt.hpp"
#include "broker/cli/offline_tools.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

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

/// `broker token --key FILE --user NAME [--role ROLE]... [--ttl SECONDS]`: prints a signed JWT.
int token(const std::vector<std::string>& args) {
    std::string key_file;
    auth::sign_request request;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        const bool has_value = i + 1 < args.size();
        if (a == "--key" && has_value) {
            key_file = args[++i];
        } else if (a == "--user" && has_value) {
            request.user = args[++i];
        } else if (a == "--role" && has_value) {
            request.roles.push_back(args[++i]);
        } else if (a == "--ttl" && has_value) {
            try {
                std::size_t used = 0;
                request.ttl_seconds = std::stoll(args[++i], &used);
                if (used != args[i].size() || request.ttl_seconds <= 0) {
                    throw std::invalid_argument("ttl");
                }
            } catch (const std::exception&) {
                std::cerr << "broker token: --ttl: expected a positive number of seconds\n";
                return 2;
            }
        } else {
            std::cerr << "broker token: unknown or incomplete argument \"" << a << "\"\n"
                      << "usage: broker token --key FILE --user NAME [--role admin] [--ttl SECONDS]\n";
            return 2;
        }
    }
    if (key_file.empty() || request.user.empty()) {
        std::cerr << "usage: broker token --key FILE --user NAME [--role admin] [--ttl SECONDS]\n";
        return 2;
    }
    std::ifstream in(key_file);
    if (!in) {
        std::cerr << "broker token: --key: cannot read " << key_file << "\n";
        return 2;
    }
    std::stringstream pem;
    pem << in.rdbuf();
    request.issued_at = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto signed_token = auth::sign_token(pem.str(), request);
    if (!signed_token.token) {
        std::cerr << "broker token: " << key_file << ": " << signed_token.error << "\n";
        return 1;
    }
    std::cout << *signed_token.token << "\n";
    return 0;
}

const std::vector<command>& commands() {
    static const std::vector<command> table = {
        {"serve", "run the HTTP service (see --help of config flags in README)", app::run_serve},
        {"migrate", "apply the database migrations and exit", app::run_migrate},
        {"place", "Karmada-compatible replica division (JSON on stdin)",
         [](const auto& a) { return run_offline_tool("place", a); }},
        {"estimate", "Karmada's general estimator for one Cluster (JSON on stdin)",
         [](const auto& a) { return run_offline_tool("estimate", a); }},
        {"render", "render a job form to placement + manifests (JSON on stdin) [--clusters FILE]",
         [](const auto& a) { return run_offline_tool("render", a); }},
        {"token", "print a JWT signed with a local key (--key FILE --user NAME [--role admin])",
         token},
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
