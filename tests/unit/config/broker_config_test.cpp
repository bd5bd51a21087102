#include "config/broker_config.hpp"
#include "tests/unit/config/config_error_printer.hpp"

#include <gtest/gtest.h>

#include <map>

namespace config {
namespace {

using std::chrono::milliseconds;

struct fake_world {
    std::map<std::string, std::string> env;
    std::map<std::string, std::string> files;

    env_lookup env_fn() const {
        return [this](std::string_view name) -> std::optional<std::string> {
            auto it = env.find(std::string(name));
            if (it == env.end()) {
                return std::nullopt;
            }
            return it->second;
        };
    }
    file_reader reader() const {
        return [this](const std::string& path) -> std::optional<std::string> {
            auto it = files.find(path);
            if (it == files.end()) {
                return std::nullopt;
            }
            return it->second;
        };
    }
    config_result load(const std::vector<std::string>& args) const {
        return load_broker_config(args, env_fn(), reader());
    }
};

const char* kubeconfig_text =
    "clusters:\n- name: k\n  cluster: {server: 'https://karmada:5443'}\n"
    "users:\n- name: u\n  user: {token: abc}\n"
    "contexts:\n- name: k\n  context: {cluster: k, user: u}\n";

TEST(load_broker_config, defaults_without_any_source) {
    fake_world w;
    auto r = w.load({});
    ASSERT_TRUE(r.config) << format_errors(r.errors);
    EXPECT_EQ(r.config->listen.port, 8080);
    EXPECT_EQ(r.config->proxy.member_timeout, milliseconds(2000));
    EXPECT_FALSE(r.config->auth.insecure_dev_auth);
    EXPECT_TRUE(r.config->cors.allowed_origins.empty());
    EXPECT_FALSE(r.config->karmada.endpoint);
}

TEST(load_broker_config, file_then_environment_then_flags) {
    fake_world w;
    w.files["/etc/broker.yaml"] =
        "listen:\n  port: 9000\n  address: 127.0.0.1\n"
        "database:\n  url: postgresql:///from-file\n  poolSize: 4\n  queryTimeout: 750ms\n"
        "karmada:\n  kubeconfig: /etc/karmada.yaml\n"
        "cors:\n  allowedOrigins: ['http://localhost:5173']\n"
        "proxy:\n  memberTimeout: 1500ms\n  scanMemoBytes: 1048576\n"
        "clusters:\n  weights: {cluster-1: 3, cluster-2: 1}\n"
        "log: {level: debug, format: json}\n";
    w.files["/etc/karmada.yaml"] = kubeconfig_text;
    w.env["DATABASE_URL"] = "postgresql:///from-env";
    w.env["PORT"] = "9100";
    w.files["/k1.pem"] = "k1";
    w.files["/k2.pem"] = "k2";
    auto r = w.load({"--config", "/etc/broker.yaml", "--port=0", "--insecure-dev-auth",
                     "--jwt-public-key", "/k1.pem", "--jwt-public-key", "/k2.pem"});
    ASSERT_TRUE(r.config) << format_errors(r.errors);
    const broker_config& c = *r.config;
    EXPECT_EQ(c.listen.port, 0);                          // flag beats env beats file
    EXPECT_EQ(c.listen.address, "127.0.0.1");             // file
    EXPECT_EQ(c.database.url, "postgresql:///from-env");  // env beats file
    EXPECT_EQ(c.database.pool_size, 4u);
    EXPECT_EQ(c.database.query_timeout, milliseconds(750));
    EXPECT_TRUE(c.auth.insecure_dev_auth);
    EXPECT_EQ(c.auth.jwt_public_key_files, (std::vector<std::string>{"/k1.pem", "/k2.pem"}));
    EXPECT_EQ(c.cors.allowed_origins, (std::vector<std::string>{"http://localhost:5173"}));
    EXPECT_EQ(c.proxy.member_timeout, milliseconds(1500));
    EXPECT_EQ(c.proxy.scan_memo_bytes, 1048576u);
    EXPECT_EQ(c.cluster_weights,
              (std::map<std::string, std::int64_t>{{"cluster-1", 3}, {"cluster-2", 1}}));
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_EQ(c.log.format, "json");
    ASSERT_TRUE(c.karmada.endpoint);
    EXPECT_EQ(c.karmada.endpoint->server, "https://karmada:5443");
    EXPECT_EQ(c.karmada.endpoint->bearer_token, "abc");
    EXPECT_EQ(c.config_file, "/etc/broker.yaml");
}

TEST(load_broker_config, seed_environment_names) {
    fake_world w;
    w.files["/kc"] = kubeconfig_text;
    w.env = {{"KARMADA_KUBECONFIG", "/kc"},
             {"MGMT_KUBECONFIG", "/kc"},
             {"DATABASE_URL", "host=/tmp dbname=broker"},
             {"PORT", "8081"}};
    auto r = w.load({});
    ASSERT_TRUE(r.config) << format_errors(r.errors);
    EXPECT_EQ(r.config->karmada.kubeconfig, "/kc");
    EXPECT_EQ(r.config->mgmt.kubeconfig, "/kc");
    EXPECT_TRUE(r.config->mgmt.endpoint);
    EXPECT_EQ(r.config->database.url, "host=/tmp dbname=broker");
    EXPECT_EQ(r.config->listen.port, 8081);
}

TEST(load_broker_config, every_problem_reported_together_with_paths) {
    fake_world w;
    w.files["/bad.yaml"] =
        "listen:\n  port: 70000\n  tlsCertFile: /missing.pem\n"
        "proxy:\n  memberTimeout: 2x\n  scanMemoBytes: -1\n"
        "database:\n  pool: 3\n"
        "cors:\n  allowedOrigins: ['localhost:5173']\n"
        "clusters:\n  weights: {cluster-1: 0}\n"
        "log: {level: loud}\n"
        "extra: true\n";
    w.env["BROKER_DB_POOL_SIZE"] = "lots";
    auto r = w.load({"--config", "/bad.yaml", "--member-timeout", "soon", "--bogus", "x"});
    EXPECT_FALSE(r.config);
    const std::vector<config_error> expected{
        {"--bogus", "unknown flag"},
        {"x", "unexpected argument"},
        {"listen.port", "must be 0..65535"},
        {"proxy.memberTimeout", "invalid duration \"2x\" (use e.g. 500ms, 2s, 1m)"},
        {"proxy.scanMemoBytes", "must be 0..17179869184"},
        {"database.pool", "unknown field"},
        {"clusters.weights.cluster-1", "must be an integer 1..1000000"},
        {"log.level",
         "must be one of trace, debug, info, warn, error, critical, off, not \"loud\""},
        {"extra", "unknown field"},
        {"BROKER_DB_POOL_SIZE", "must be 1..256"},
        {"--member-timeout", "invalid duration \"soon\" (use e.g. 500ms, 2s, 1m)"},
        {"listen.tlsKeyFile", "tlsCertFile and tlsKeyFile must be given together"},
        {"listen.tlsCertFile", "cannot read file \"/missing.pem\""},
        {"cors.allowedOrigins[0]", "must be \"*\" or scheme://host[:port], not \"localhost:5173\""},
    };
    EXPECT_EQ(r.errors, expected) << format_errors(r.errors);
}

struct flag_case {
    const char* name;
    std::vector<std::string> args;
    config_error expected;
};

TEST(load_broker_config, malformed_flags) {
    const flag_case cases[] = {
        {"value missing at the end", {"--database-url"}, {"--database-url", "needs a value"}},
        {"bool with bad value",
         {"--insecure-dev-auth=maybe"},
         {"--insecure-dev-auth", "must be true or false, not \"maybe\""}},
        {"unreadable config file",
         {"--config=/nope.yaml"},
         {"--config", "cannot read file \"/nope.yaml\""}},
        {"kubeconfig problems carry both paths",
         {"--karmada-kubeconfig", "/kc"},
         {"karmada.kubeconfig", "current-context: no contexts defined"}},
    };
    for (const auto& c : cases) {
        fake_world w;
        w.files["/kc"] = "clusters: []\n";
        auto r = w.load(c.args);
        EXPECT_FALSE(r.config) << c.name;
        ASSERT_EQ(r.errors.size(), 1u) << c.name << "\n" << format_errors(r.errors);
        EXPECT_EQ(r.errors[0], c.expected) << c.name;
    }
}

TEST(load_broker_config, example_file_in_the_repository_is_valid) {
    auto text =
        filesystem_reader()(std::string(BROKER_SOURCE_DIR) + "/config/examples/broker.yaml");
    ASSERT_TRUE(text);
    fake_world w;
    w.files["/example.yaml"] = *text;
    w.files["/etc/broker/karmada.kubeconfig"] = kubeconfig_text;
    auto r = w.load({"--config", "/example.yaml"});
    ASSERT_TRUE(r.config) << format_errors(r.errors);
    EXPECT_EQ(r.config->cors.allowed_origins, (std::vector<std::string>{"http://localhost:5173"}));
    EXPECT_TRUE(r.config->database.migrate_on_start);
}

TEST(setting_table, every_setting_has_a_flag_and_a_help_text) {
    for (const auto& s : setting_table()) {
        EXPECT_FALSE(s.flag.empty()) << s.path;
        EXPECT_FALSE(s.help.empty()) << s.path;
    }
}

}  // namespace
}  // namespace config
