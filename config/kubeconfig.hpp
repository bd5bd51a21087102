#pragma once
/// A kubeconfig reduced to what a client needs to reach one API server (the current
/// context's cluster and user): URL, trust, and credentials. Used for Karmada's control
/// plane (`--karmada-kubeconfig`) and the management cluster (`--mgmt-kubeconfig`).
///
/// Thread safety: plain values.

#include "config/config_error.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace config {

struct api_endpoint {
    std::string server;                  ///< https://host:port or http://host:port (+ optional path prefix)
    std::string ca_pem;                  ///< certificate-authority-data (decoded) or file contents
    bool insecure_skip_tls_verify = false;
    std::string tls_server_name;         ///< overrides SNI / verification name when set
    std::string client_cert_pem;         ///< client-certificate(-data)
    std::string client_key_pem;          ///< client-key(-data)
    std::string bearer_token;            ///< token or tokenFile contents
    std::string username, password;      ///< basic auth (rare)
    std::string context_name;            ///< which context was used (for messages)
};

/// Parses kubeconfig YAML text; `base_dir` resolves relative file references. Uses
/// `context` when given, else `current-context`, else the only context. All problems are
/// reported together.
struct kubeconfig_result {
    std::optional<api_endpoint> endpoint;
    std::vector<config_error> errors;
};
kubeconfig_result parse_kubeconfig(const std::string& yaml_text, const std::string& base_dir,
                                   const std::string& context = {});
kubeconfig_result load_kubeconfig(const std::string& path, const std::string& context = {});

/// Reads a whole file; nullopt when it cannot be read. Injected so that loaders can be tested
/// without touching the filesystem.
using file_reader = std::function<std::optional<std::string>(const std::string& path)>;

/// The real filesystem (files above 16 MiB are refused: every input has a limit).
file_reader filesystem_reader();

/// parse_kubeconfig with file references (certificate-authority, client-certificate,
/// client-key, tokenFile) read through `read`.
kubeconfig_result parse_kubeconfig(const std::string& yaml_text, const std::string& base_dir,
                                   const std::string& context, const file_reader& read);

/// Renders a kubeconfig for one endpoint (used by fedsim's --kubeconfig-out and tests).
std::string render_kubeconfig(const api_endpoint& endpoint, const std::string& name);

}  // namespace config
