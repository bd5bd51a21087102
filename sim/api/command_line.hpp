#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fedsim::api {

/// fedsim's flags (CONTRACTS.md §10).
struct command_line {
    std::string listen_address = "127.0.0.1";
    std::uint16_t listen_port = 0;
    bool demo = false;
    std::string config_file;
    std::vector<std::string> crd_dirs;
    std::string kubeconfig_out;
    std::string token;
    std::string tls_cert;
    std::string tls_key;
    std::optional<double> time_scale;
    bool help = false;
};

/// The parse outcome: the flags, or a message for stderr (exit status 2).
struct command_line_result {
    std::optional<command_line> value;
    std::string error;
};

/// Parses `fedsim --listen ADDR:PORT (--demo | --config FILE) [--crd-dir DIR]...
/// [--kubeconfig-out FILE] [--token T] [--tls-cert F --tls-key F] [--time-scale X]`;
/// `--flag=value` is accepted too. Every problem is reported with the flag's name.
/// Thread safety: pure function.
command_line_result parse_command_line(const std::vector<std::string>& args);

/// The usage text.
std::string usage();

} // namespace fedsim::api
