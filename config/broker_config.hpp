#pragma once
/// The broker's configuration as one typed, validated, immutable value (STYLE.md principle 8;
/// CONTRACTS.md §11). Sources, later ones winning: a YAML file (`--config FILE`, or
/// `BROKER_CONFIG`), then environment variables, then command-line flags. The seed's names are
/// kept: --karmada-kubeconfig / KARMADA_KUBECONFIG, --mgmt-kubeconfig / MGMT_KUBECONFIG,
/// --database-url / DATABASE_URL, --port / PORT. config/examples/broker.yaml documents every
/// key; `setting_table()` lists every key with its variable and flag.
///
/// Unknown keys or flags and every invalid value are reported together with their paths
/// (`proxy.memberTimeout: invalid duration "2x"`, `listen.port: must be 0..65535`,
/// `--port: ...`, `PORT: ...`) and no config is returned.
///
/// Thread safety: plain values; the loader is a pure function of its arguments.

#include "config/config_error.hpp"
#include "config/kubeconfig.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace config {

using std::chrono::milliseconds;

struct listen_config {
    std::string address = "0.0.0.0";
    std::uint16_t port = 8080;  ///< 0 picks a free port
    std::string tls_cert_file;  ///< both or neither: HTTPS when set
    std::string tls_key_file;
};

struct kube_target {
    std::string kubeconfig;                ///< path; empty when not configured
    std::string context;                   ///< empty: the kubeconfig's current context
    std::optional<api_endpoint> endpoint;  ///< parsed and validated at load time
};

struct database_config {
    std::string url;            ///< libpq URI or key=value string
    std::size_t pool_size = 8;  ///< connections == database threads
    milliseconds query_timeout{5000};
    bool migrate_on_start = false;
};

struct auth_config {
    std::vector<std::string> jwt_public_key_files;
    bool insecure_dev_auth = false;  ///< trusts X-Debug-Username; never the default
};

struct cors_config {
    std::vector<std::string> allowed_origins;  ///< exact origins, or "*"; empty: CORS off
};

struct limits_config {
    std::size_t header_bytes = 16 * 1024;
    std::size_t body_bytes = 1024 * 1024;
    milliseconds read_timeout{30'000};
    milliseconds write_timeout{30'000};
    milliseconds idle_timeout{60'000};
};

struct proxy_config {
    milliseconds member_timeout{2000};  ///< default per-member deadline of fan-out reads
    std::size_t max_in_flight_per_member = 16;
    /// Members' list answers remembered to skip rescanning unchanged items (0: off).
    std::size_t scan_memo_bytes = 32u << 20;
};

struct reconcile_config {
    milliseconds queue_interval{2000};   ///< how often Queued jobs are retried
    milliseconds outbox_interval{1000};  ///< how often pending Karmada operations are polled
    milliseconds status_interval{1000};  ///< how often active jobs' status is refreshed
    milliseconds backoff_initial{500};   ///< retry backoff of a failed Karmada operation
    milliseconds backoff_max{30'000};
    milliseconds lease_ttl{15'000};  ///< leader lease lifetime
    milliseconds lease_renew_interval{5000};
};

struct log_config {
    std::string level = "info";   ///< trace, debug, info, warn, error, critical, off
    std::string format = "text";  ///< text or json
};

struct broker_config {
    listen_config listen;
    kube_target karmada;
    kube_target mgmt;
    database_config database;
    auth_config auth;
    cors_config cors;
    limits_config limits;
    proxy_config proxy;
    std::map<std::string, std::int64_t> cluster_weights;  ///< admin weight per cluster (default 1)
    reconcile_config reconcile;
    log_config log;
    std::string config_file;  ///< the YAML file read, if any
};

/// Looks up an environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The process environment (getenv).
env_lookup process_environment();

struct config_result {
    std::optional<broker_config> config;
    std::vector<config_error> errors;  ///< non-empty exactly when `config` is empty
};

/// Loads the configuration. `args` are the flags after the subcommand (`serve`), e.g.
/// {"--config", "broker.yaml", "--port=0"}; both `--flag value` and `--flag=value` work, boolean
/// flags may stand alone, list flags repeat. Files (the YAML, kubeconfigs, TLS and JWT key
/// files) are read through `read`, so the loader can be tested without a filesystem.
config_result load_broker_config(const std::vector<std::string>& args, const env_lookup& env,
                                 const file_reader& read);

/// One documented setting: its YAML path, environment variable and flag (either may be empty).
struct setting_info {
    std::string_view path;
    std::string_view env;
    std::string_view flag;
    std::string_view help;
};

/// Every setting, in documentation order (for `broker serve --help` and the README).
std::vector<setting_info> setting_table();

}  // namespace config
