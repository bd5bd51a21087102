#include "sim/api/command_line.hpp"

#include <charconv>
#include <cmath>

namespace fedsim::api {

std::string usage()
{
    return "usage: fedsim --listen ADDR:PORT (--demo | --config FILE) [--crd-dir DIR]...\n"
           "              [--kubeconfig-out FILE] [--token TOKEN]\n"
           "              [--tls-cert FILE --tls-key FILE] [--time-scale X]\n"
           "  --listen          address to serve on, e.g. 127.0.0.1:0 (0 picks a free port)\n"
           "  --demo            three Ready GPU clusters: cluster-1, cluster-2, cluster-3\n"
           "  --config          a federation YAML (see sim/examples/)\n"
           "  --crd-dir         validate objects against the CRDs in DIR (repeatable)\n"
           "  --kubeconfig-out  write a kubeconfig for this server to FILE\n"
           "  --token           require 'Authorization: Bearer TOKEN' on every request\n"
           "  --tls-cert/--tls-key  serve HTTPS with these PEM files\n"
           "  --time-scale      run simulated workloads X times faster\n";
}

command_line_result parse_command_line(const std::vector<std::string>& args)
{
    command_line cl;
    bool listen_seen = false;
    auto fail = [](std::string msg) { return command_line_result{std::nullopt, std::move(msg)}; };
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i];
        std::optional<std::string> inline_value;
        if (auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
            inline_value = flag.substr(eq + 1);
            flag.resize(eq);
        }
        auto value = [&](std::string& out) -> bool {
            if (inline_value) {
                out = *inline_value;
                return true;
            }
            if (i + 1 >= args.size()) {
                return false;
            }
            out = args[++i];
            return true;
        };
        std::string v;
        if (flag == "--help" || flag == "-h") {
            cl.help = true;
        } else if (flag == "--demo") {
            if (inline_value) {
                return fail("--demo takes no value");
            }
            cl.demo = true;
        } else if (flag == "--listen") {
            if (!value(v)) {
                return fail("--listen needs ADDR:PORT");
            }
            auto colon = v.rfind(':');
            if (colon == std::string::npos || colon == 0) {
                return fail("--listen: expected ADDR:PORT, got '" + v + "'");
            }
            std::string host = v.substr(0, colon);
            if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
                host = host.substr(1, host.size() - 2);
            }
            if (host == "localhost") {
                host = "127.0.0.1";
            }
            unsigned port = 0;
            auto ps = v.substr(colon + 1);
            auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
            if (ec != std::errc() || p != ps.data() + ps.size() || port > 65535 || ps.empty()) {
                return fail("--listen: invalid port '" + ps + "'");
            }
            cl.listen_address = host;
            cl.listen_port = static_cast<std::uint16_t>(port);
            listen_seen = true;
        } else if (flag == "--config") {
            if (!value(cl.config_file) || cl.config_file.empty()) {
                return fail("--config needs a FILE");
            }
        } else if (flag == "--crd-dir") {
            if (!value(v) || v.empty()) {
                return fail("--crd-dir needs a DIR");
            }
            cl.crd_dirs.push_back(v);
        } else if (flag == "--kubeconfig-out") {
            if (!value(cl.kubeconfig_out) || cl.kubeconfig_out.empty()) {
                return fail("--kubeconfig-out needs a FILE");
            }
        } else if (flag == "--token") {
            if (!value(cl.token) || cl.token.empty()) {
                return fail("--token needs a non-empty TOKEN");
            }
        } else if (flag == "--tls-cert") {
            if (!value(cl.tls_cert) || cl.tls_cert.empty()) {
                return fail("--tls-cert needs a FILE");
            }
        } else if (flag == "--tls-key") {
            if (!value(cl.tls_key) || cl.tls_key.empty()) {
                return fail("--tls-key needs a FILE");
            }
        } else if (flag == "--time-scale") {
            if (!value(v)) {
                return fail("--time-scale needs a number");
            }
            double x = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
            if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(x) || x <= 0 ||
                x > 1e6) {
                return fail("--time-scale: expected a number in (0, 1000000], got '" + v + "'");
            }
            cl.time_scale = x;
        } else {
            return fail("unknown flag '" + args[i] + "'");
        }
    }
    if (cl.help) {
        return {cl, {}};
    }
    if (!listen_seen) {
        return fail("--listen ADDR:PORT is required");
    }
    if (cl.demo == !cl.config_file.empty()) {
        return fail("exactly one of --demo and --config FILE is required");
    }
    if (cl.tls_cert.empty() != cl.tls_key.empty()) {
        return fail("--tls-cert and --tls-key go together");
    }
    return {cl, {}};
}

} // namespace fedsim::api
