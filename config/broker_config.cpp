#include "config/broker_config.hpp"

#include "config/duration.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <set>

namespace config {

namespace {

enum class shape { scalar, list, map };

/// Applies the values one source gave for a setting. `where` is the path to report.
using applier = std::function<void(broker_config&, const std::vector<std::string>& values,
                                   const std::string& where, std::vector<config_error>&)>;

struct setting {
    std::string_view path;
    std::string_view env;
    std::string_view flag;
    shape form = shape::scalar;
    bool boolean = false;  ///< a flag that may stand alone
    applier apply;
    std::string_view help;
};

template <class Get>
applier as_string(Get get) {
    return [get](broker_config& c, const std::vector<std::string>& v, const std::string&,
                 std::vector<config_error>&) { get(c) = v.back(); };
}

template <class Get>
applier as_strings(Get get) {
    return [get](broker_config& c, const std::vector<std::string>& v, const std::string&,
                 std::vector<config_error>&) {
        std::vector<std::string> out;
        for (const auto& s : v) {
            if (!s.empty()) {
                out.push_back(s);
            }
        }
        get(c) = std::move(out);
    };
}

std::optional<std::uint64_t> parse_unsigned(const std::string& s) {
    if (s.empty() || s.size() > 19 ||
        !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        return std::nullopt;
    }
    return std::stoull(s);
}

template <class Get>
applier as_integer(Get get, std::uint64_t lo, std::uint64_t hi) {
    return [get, lo, hi](broker_config& c, const std::vector<std::string>& v,
                         const std::string& where, std::vector<config_error>& errors) {
        auto n = parse_unsigned(v.back());
        if (!n || *n < lo || *n > hi) {
            errors.push_back({where, "must be " + std::to_string(lo) + ".." + std::to_string(hi)});
            return;
        }
        using target = std::remove_reference_t<decltype(get(c))>;
        get(c) = static_cast<target>(*n);
    };
}

template <class Get>
applier as_duration(Get get, milliseconds min) {
    return [get, min](broker_config& c, const std::vector<std::string>& v, const std::string& where,
                      std::vector<config_error>& errors) {
        auto d = parse_duration(v.back());
        if (!d) {
            errors.push_back(
                {where, "invalid duration \"" + v.back() + "\" (use e.g. 500ms, 2s, 1m)"});
            return;
        }
        if (*d < min) {
            errors.push_back({where, "must be at least " + format_duration(min)});
            return;
        }
        get(c) = *d;
    };
}

template <class Get>
applier as_bool(Get get) {
    return [get](broker_config& c, const std::vector<std::string>& v, const std::string& where,
                 std::vector<config_error>& errors) {
        const std::string& s = v.back();
        if (s == "true" || s == "1" || s == "yes") {
            get(c) = true;
        } else if (s == "false" || s == "0" || s == "no") {
            get(c) = false;
        } else {
            errors.push_back({where, "must be true or false, not \"" + s + "\""});
        }
    };
}

template <class Get>
applier as_choice(Get get, std::vector<std::string> choices) {
    return [get, choices](broker_config& c, const std::vector<std::string>& v,
                          const std::string& where, std::vector<config_error>& errors) {
        if (std::find(choices.begin(), choices.end(), v.back()) == choices.end()) {
            std::string list;
            for (const auto& ch : choices) {
                list += (list.empty() ? "" : ", ") + ch;
            }
            errors.push_back({where, "must be one of " + list + ", not \"" + v.back() + "\""});
            return;
        }
        get(c) = v.back();
    };
}

/// `name=weight` entries (YAML maps are turned into the same form).
applier as_weights() {
    return [](broker_config& c, const std::vector<std::string>& v, const std::string& where,
              std::vector<config_error>& errors) {
        std::map<std::string, std::int64_t> out;
        for (const auto& entry : v) {
            const auto eq = entry.find('=');
            const std::string name = eq == std::string::npos ? entry : entry.substr(0, eq);
            const std::string value = eq == std::string::npos ? "" : entry.substr(eq + 1);
            auto n = parse_unsigned(value);
            if (name.empty()) {
                errors.push_back({where, "entry \"" + entry + "\" must be NAME=WEIGHT"});
            } else if (!n || *n < 1 || *n > 1'000'000) {
                errors.push_back({where + "." + name, "must be an integer 1..1000000"});
            } else {
                out[name] = static_cast<std::int64_t>(*n);
            }
        }
        c.cluster_weights = std::move(out);
    };
}

#define FIELD(expr)                  \
    [](broker_config & c) -> auto& { \
        return c.expr;               \
    }

const std::vector<setting>& settings() {
    using std::chrono::milliseconds;
    static const std::vector<setting> table{
        {"listen.address", "BROKER_LISTEN_ADDRESS", "--address", shape::scalar, false,
         as_string(FIELD(listen.address)), "address to listen on"},
        {"listen.port", "PORT", "--port", shape::scalar, false,
         as_integer(FIELD(listen.port), 0, 65535), "port to listen on (0: any free port)"},
        {"listen.tlsCertFile", "BROKER_TLS_CERT_FILE", "--tls-cert", shape::scalar, false,
         as_string(FIELD(listen.tls_cert_file)), "PEM certificate chain: serve HTTPS"},
        {"listen.tlsKeyFile", "BROKER_TLS_KEY_FILE", "--tls-key", shape::scalar, false,
         as_string(FIELD(listen.tls_key_file)), "PEM private key of the certificate"},
        {"karmada.kubeconfig", "KARMADA_KUBECONFIG", "--karmada-kubeconfig", shape::scalar, false,
         as_string(FIELD(karmada.kubeconfig)), "kubeconfig of the Karmada control plane"},
        {"karmada.context", "KARMADA_CONTEXT", "--karmada-context", shape::scalar, false,
         as_string(FIELD(karmada.context)), "context in that kubeconfig"},
        {"mgmt.kubeconfig", "MGMT_KUBECONFIG", "--mgmt-kubeconfig", shape::scalar, false,
         as_string(FIELD(mgmt.kubeconfig)), "kubeconfig of the management cluster"},
        {"mgmt.context", "MGMT_CONTEXT", "--mgmt-context", shape::scalar, false,
         as_string(FIELD(mgmt.context)), "context in that kubeconfig"},
        {"database.url", "DATABASE_URL", "--database-url", shape::scalar, false,
         as_string(FIELD(database.url)), "PostgreSQL connection URL"},
        {"database.poolSize", "BROKER_DB_POOL_SIZE", "--db-pool-size", shape::scalar, false,
         as_integer(FIELD(database.pool_size), 1, 256), "database connections (and threads)"},
        {"database.queryTimeout", "BROKER_DB_QUERY_TIMEOUT", "--db-query-timeout", shape::scalar,
         false, as_duration(FIELD(database.query_timeout), milliseconds(1)),
         "per-statement deadline"},
        {"database.migrateOnStart", "BROKER_MIGRATE_ON_START", "--migrate-on-start", shape::scalar,
         true, as_bool(FIELD(database.migrate_on_start)), "apply migrations when serving starts"},
        {"auth.jwtPublicKeyFiles", "BROKER_JWT_PUBLIC_KEYS", "--jwt-public-key", shape::list, false,
         as_strings(FIELD(auth.jwt_public_key_files)),
         "PEM public keys that verify bearer tokens (repeatable)"},
        {"auth.insecureDevAuth", "BROKER_INSECURE_DEV_AUTH", "--insecure-dev-auth", shape::scalar,
         true, as_bool(FIELD(auth.insecure_dev_auth)), "trust X-Debug-Username (development only)"},
        {"cors.allowedOrigins", "BROKER_CORS_ALLOWED_ORIGINS", "--cors-origin", shape::list, false,
         as_strings(FIELD(cors.allowed_origins)), "allowed CORS origins (repeatable)"},
        {"limits.headerBytes", "", "--max-header-bytes", shape::scalar, false,
         as_integer(FIELD(limits.header_bytes), 1024, 1024 * 1024), "request header limit"},
        {"limits.bodyBytes", "", "--max-body-bytes", shape::scalar, false,
         as_integer(FIELD(limits.body_bytes), 1024, 1024ULL * 1024 * 1024), "request body limit"},
        {"limits.readTimeout", "", "--read-timeout", shape::scalar, false,
         as_duration(FIELD(limits.read_timeout), milliseconds(1)), "request read deadline"},
        {"limits.writeTimeout", "", "--write-timeout", shape::scalar, false,
         as_duration(FIELD(limits.write_timeout), milliseconds(1)), "response write deadline"},
        {"limits.idleTimeout", "", "--idle-timeout", shape::scalar, false,
         as_duration(FIELD(limits.idle_timeout), milliseconds(1)), "keep-alive idle deadline"},
        {"proxy.memberTimeout", "BROKER_PROXY_MEMBER_TIMEOUT", "--member-timeout", shape::scalar,
         false, as_duration(FIELD(proxy.member_timeout), milliseconds(1)),
         "default per-member deadline of aggregated reads"},
        {"proxy.maxInFlightPerMember", "", "--max-in-flight-per-member", shape::scalar, false,
         as_integer(FIELD(proxy.max_in_flight_per_member), 1, 10'000),
         "concurrent requests per member cluster"},
        {"proxy.scanMemoBytes", "", "--scan-memo-bytes", shape::scalar, false,
         as_integer(FIELD(proxy.scan_memo_bytes), 0, 1ULL << 34),
         "members' list answers remembered to skip rescanning unchanged items (0: off)"},
        {"clusters.weights", "BROKER_CLUSTER_WEIGHTS", "--cluster-weight", shape::map, false,
         as_weights(), "admin weight per cluster, NAME=WEIGHT (repeatable)"},
        {"reconcile.queueInterval", "", "--queue-interval", shape::scalar, false,
         as_duration(FIELD(reconcile.queue_interval), milliseconds(10)),
         "retry period of Queued jobs"},
        {"reconcile.outboxInterval", "", "--outbox-interval", shape::scalar, false,
         as_duration(FIELD(reconcile.outbox_interval), milliseconds(10)),
         "poll period of pending Karmada operations"},
        {"reconcile.statusInterval", "", "--status-interval", shape::scalar, false,
         as_duration(FIELD(reconcile.status_interval), milliseconds(10)),
         "refresh period of active jobs"},
        {"reconcile.backoffInitial", "", "--backoff-initial", shape::scalar, false,
         as_duration(FIELD(reconcile.backoff_initial), milliseconds(1)),
         "first retry delay of a failed Karmada operation"},
        {"reconcile.backoffMax", "", "--backoff-max", shape::scalar, false,
         as_duration(FIELD(reconcile.backoff_max), milliseconds(1)), "largest retry delay"},
        {"reconcile.leaseTtl", "", "--lease-ttl", shape::scalar, false,
         as_duration(FIELD(reconcile.lease_ttl), milliseconds(100)), "leader lease lifetime"},
        {"reconcile.leaseRenewInterval", "", "--lease-renew-interval", shape::scalar, false,
         as_duration(FIELD(reconcile.lease_renew_interval), milliseconds(10)),
         "leader lease renewal period"},
        {"log.level", "BROKER_LOG_LEVEL", "--log-level", shape::scalar, false,
         as_choice(FIELD(log.level),
                   {"trace", "debug", "info", "warn", "error", "critical", "off"}),
         "log level"},
        {"log.format", "BROKER_LOG_FORMAT", "--log-format", shape::scalar, false,
         as_choice(FIELD(log.format), {"text", "json"}), "log format"},
    };
    return table;
}

#undef FIELD

const setting* find_by_path(std::string_view path) {
    for (const auto& s : settings()) {
        if (s.path == path) {
            return &s;
        }
    }
    return nullptr;
}

const setting* find_by_flag(std::string_view flag) {
    for (const auto& s : settings()) {
        if (s.flag == flag) {
            return &s;
        }
    }
    return nullptr;
}

bool is_section(std::string_view prefix) {
    for (const auto& s : settings()) {
        if (s.path.size() > prefix.size() && s.path.substr(0, prefix.size()) == prefix &&
            s.path[prefix.size()] == '.') {
            return true;
        }
    }
    return false;
}

/// Splits "a,b, c" for list-valued environment variables.
std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find(',', start);
        if (end == std::string::npos) {
            end = s.size();
        }
        std::string item = s.substr(start, end - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) {
            out.push_back(item);
        }
        start = end + 1;
    }
    return out;
}

void apply(broker_config& c, const setting& s, const std::vector<std::string>& values,
           const std::string& where, std::vector<config_error>& errors) {
    if (values.empty() && s.form == shape::scalar) {
        return;
    }
    s.apply(c, values, where, errors);
}

/// Walks the YAML document against the setting table.
void apply_yaml(broker_config& c, const YAML::Node& node, const std::string& prefix,
                std::vector<config_error>& errors) {
    if (!node.IsMap()) {
        errors.push_back({prefix.empty() ? "(file)" : prefix, "must be a mapping"});
        return;
    }
    for (const auto& kv : node) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
        const std::string path = prefix.empty() ? key : prefix + "." + key;
        const YAML::Node value = kv.second;
        if (const setting* s = find_by_path(path)) {
            if (!value || value.IsNull()) {
                continue;  // "key:" with nothing keeps the default
            }
            std::vector<std::string> values;
            if (s->form == shape::scalar) {
                if (!value.IsScalar()) {
                    errors.push_back({path, "must be a single value"});
                    continue;
                }
                values.push_back(value.Scalar());
            } else if (s->form == shape::list) {
                if (!value.IsSequence()) {
                    errors.push_back({path, "must be a list"});
                    continue;
                }
                bool ok = true;
                for (std::size_t i = 0; i < value.size(); ++i) {
                    if (!value[i].IsScalar()) {
                        errors.push_back(
                            {path + "[" + std::to_string(i) + "]", "must be a string"});
                        ok = false;
                    } else {
                        values.push_back(value[i].Scalar());
                    }
                }
                if (!ok) {
                    continue;
                }
            } else {
                if (!value.IsMap()) {
                    errors.push_back({path, "must be a mapping of name to value"});
                    continue;
                }
                for (const auto& entry : value) {
                    if (!entry.second.IsScalar()) {
                        errors.push_back({path + "." + entry.first.Scalar(), "must be a number"});
                        continue;
                    }
                    values.push_back(entry.first.Scalar() + "=" + entry.second.Scalar());
                }
            }
            apply(c, *s, values, path, errors);
        } else if (is_section(path)) {
            if (!value || value.IsNull()) {
                continue;
            }
            apply_yaml(c, value, path, errors);
        } else {
            errors.push_back({path, "unknown field"});
        }
    }
}

struct parsed_flags {
    std::string config_file;
    bool config_given = false;
    /// Values per setting, in order of appearance.
    std::vector<std::pair<const setting*, std::vector<std::string>>> values;
};

parsed_flags parse_flags(const std::vector<std::string>& args, std::vector<config_error>& errors) {
    parsed_flags out;
    auto add = [&](const setting* s, std::string v) {
        for (auto& [which, vals] : out.values) {
            if (which == s) {
                vals.push_back(std::move(v));
                return;
            }
        }
        out.values.push_back({s, {std::move(v)}});
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
            errors.push_back({arg, "unexpected argument"});
            continue;
        }
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        std::optional<std::string> inline_value;
        if (eq != std::string::npos) {
            inline_value = arg.substr(eq + 1);
        }
        const setting* s = name == "--config" ? nullptr : find_by_flag(name);
        if (name != "--config" && s == nullptr) {
            errors.push_back({name, "unknown flag"});
            continue;
        }
        std::string value;
        if (inline_value) {
            value = *inline_value;
        } else if (s != nullptr && s->boolean) {
            value = "true";
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            errors.push_back({name, "needs a value"});
            continue;
        }
        if (s == nullptr) {
            out.config_file = value;
            out.config_given = true;
        } else {
            add(s, std::move(value));
        }
    }
    return out;
}

void check_file(const std::string& path, const std::string& where, const file_reader& read,
                std::vector<config_error>& errors) {
    if (!path.empty() && !read(path)) {
        errors.push_back({where, "cannot read file \"" + path + "\""});
    }
}

void load_kube_target(kube_target& t, const std::string& where, const file_reader& read,
                      std::vector<config_error>& errors) {
    if (t.kubeconfig.empty()) {
        return;
    }
    auto text = read(t.kubeconfig);
    if (!text) {
        errors.push_back({where, "cannot read file \"" + t.kubeconfig + "\""});
        return;
    }
    auto parsed = parse_kubeconfig(
        *text, std::filesystem::path(t.kubeconfig).parent_path().string(), t.context, read);
    for (const auto& e : parsed.errors) {
        errors.push_back({where, (e.path.empty() ? "" : e.path + ": ") + e.message});
    }
    t.endpoint = std::move(parsed.endpoint);
}

bool valid_origin(const std::string& origin) {
    if (origin == "*") {
        return true;
    }
    std::string rest;
    if (origin.rfind("http://", 0) == 0) {
        rest = origin.substr(7);
    } else if (origin.rfind("https://", 0) == 0) {
        rest = origin.substr(8);
    } else {
        return false;
    }
    return !rest.empty() && rest.find('/') == std::string::npos &&
           rest.find(' ') == std::string::npos;
}

void validate(broker_config& c, const file_reader& read, std::vector<config_error>& errors) {
    if (c.listen.tls_cert_file.empty() != c.listen.tls_key_file.empty()) {
        errors.push_back(
            {c.listen.tls_cert_file.empty() ? "listen.tlsCertFile" : "listen.tlsKeyFile",
             "tlsCertFile and tlsKeyFile must be given together"});
    }
    check_file(c.listen.tls_cert_file, "listen.tlsCertFile", read, errors);
    check_file(c.listen.tls_key_file, "listen.tlsKeyFile", read, errors);
    for (std::size_t i = 0; i < c.auth.jwt_public_key_files.size(); ++i) {
        check_file(c.auth.jwt_public_key_files[i],
                   "auth.jwtPublicKeyFiles[" + std::to_string(i) + "]", read, errors);
    }
    for (std::size_t i = 0; i < c.cors.allowed_origins.size(); ++i) {
        if (!valid_origin(c.cors.allowed_origins[i])) {
            errors.push_back({"cors.allowedOrigins[" + std::to_string(i) + "]",
                              "must be \"*\" or scheme://host[:port], not \"" +
                                  c.cors.allowed_origins[i] + "\""});
        }
    }
    if (c.reconcile.backoff_max < c.reconcile.backoff_initial) {
        errors.push_back({"reconcile.backoffMax", "must not be below reconcile.backoffInitial"});
    }
    if (c.reconcile.lease_renew_interval >= c.reconcile.lease_ttl) {
        errors.push_back({"reconcile.leaseRenewInterval", "must be below reconcile.leaseTtl"});
    }
    load_kube_target(c.karmada, "karmada.kubeconfig", read, errors);
    load_kube_target(c.mgmt, "mgmt.kubeconfig", read, errors);
}

}  // namespace

std::string format_errors(const std::vector<config_error>& errors) {
    std::string out;
    for (const auto& e : errors) {
        out += (e.path.empty() ? "" : e.path + ": ") + e.message + "\n";
    }
    return out;
}

env_lookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) {
            return std::nullopt;
        }
        return std::string(v);
    };
}

config_result load_broker_config(const std::vector<std::string>& args, const env_lookup& env,
                                 const file_reader& read) {
    config_result result;
    auto& errors = result.errors;
    broker_config c;

    const parsed_flags flags = parse_flags(args, errors);

    // 1. The YAML file.
    std::string file = flags.config_file;
    if (!flags.config_given) {
        file = env("BROKER_CONFIG").value_or("");
    }
    if (!file.empty()) {
        c.config_file = file;
        auto text = read(file);
        if (!text) {
            errors.push_back({"--config", "cannot read file \"" + file + "\""});
        } else {
            try {
                const YAML::Node root = YAML::Load(*text);
                if (root && !root.IsNull()) {
                    apply_yaml(c, root, "", errors);
                }
            } catch (const YAML::Exception& e) {
                errors.push_back({file, "not valid YAML: " + e.msg + " (line " +
                                            std::to_string(e.mark.line + 1) + ")"});
            }
        }
    }

    // 2. The environment.
    for (const auto& s : settings()) {
        if (s.env.empty()) {
            continue;
        }
        auto v = env(s.env);
        if (!v) {
            continue;
        }
        if (s.form == shape::scalar) {
            if (!v->empty()) {
                apply(c, s, {*v}, std::string(s.env), errors);
            }
        } else {
            apply(c, s, split_list(*v), std::string(s.env), errors);
        }
    }

    // 3. The flags.
    for (const auto& [s, values] : flags.values) {
        apply(c, *s, values, std::string(s->flag), errors);
    }

    validate(c, read, errors);
    if (errors.empty()) {
        result.config = std::move(c);
    }
    return result;
}

std::vector<setting_info> setting_table() {
    std::vector<setting_info> out;
    for (const auto& s : settings()) {
        out.push_back({s.path, s.env, s.flag, s.help});
    }
    return out;
}

}  // namespace config
