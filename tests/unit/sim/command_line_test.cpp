// fedsim's flag parsing (CONTRACTS.md §10): accepted forms and the message for each mistake.
#include "sim/api/command_line.hpp"

#include <gtest/gtest.h>

namespace fedsim::api {
namespace {

struct accepted_case {
    const char* name;
    std::vector<std::string> args;
    std::string address;
    std::uint16_t port;
    bool demo;
    std::string config;
};

TEST(command_line, accepted_flag_forms)
{
    const std::vector<accepted_case> cases = {
        {"demo_on_ephemeral_port", {"--listen", "127.0.0.1:0", "--demo"}, "127.0.0.1", 0, true, ""},
        {"inline_values", {"--listen=0.0.0.0:6443", "--config=f.yaml"}, "0.0.0.0", 6443, false,
         "f.yaml"},
        {"localhost_is_loopback", {"--listen", "localhost:8080", "--demo"}, "127.0.0.1", 8080,
         true, ""},
        {"bracketed_ipv6", {"--listen", "[::1]:7000", "--demo"}, "::1", 7000, true, ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = parse_command_line(c.args);
        ASSERT_TRUE(r.value) << r.error;
        EXPECT_EQ(r.value->listen_address, c.address);
        EXPECT_EQ(r.value->listen_port, c.port);
        EXPECT_EQ(r.value->demo, c.demo);
        EXPECT_EQ(r.value->config_file, c.config);
    }
}

TEST(command_line, every_optional_flag_is_kept)
{
    auto r = parse_command_line({"--listen", "127.0.0.1:0", "--demo", "--crd-dir", "a",
                                 "--crd-dir=b", "--kubeconfig-out", "kc.yaml", "--token", "t",
                                 "--tls-cert", "c.pem", "--tls-key", "k.pem", "--time-scale",
                                 "60"});
    ASSERT_TRUE(r.value) << r.error;
    EXPECT_EQ(r.value->crd_dirs, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(r.value->kubeconfig_out, "kc.yaml");
    EXPECT_EQ(r.value->token, "t");
    EXPECT_EQ(r.value->tls_cert, "c.pem");
    EXPECT_EQ(r.value->tls_key, "k.pem");
    ASSERT_TRUE(r.value->time_scale);
    EXPECT_DOUBLE_EQ(*r.value->time_scale, 60.0);
}

struct rejected_case {
    const char* name;
    std::vector<std::string> args;
    std::string error;
};

TEST(command_line, mistakes_name_the_flag)
{
    const std::vector<rejected_case> cases = {
        {"no_listen", {"--demo"}, "--listen ADDR:PORT is required"},
        {"listen_without_port", {"--listen", "127.0.0.1", "--demo"},
         "--listen: expected ADDR:PORT, got '127.0.0.1'"},
        {"port_too_large", {"--listen", "127.0.0.1:70000", "--demo"},
         "--listen: invalid port '70000'"},
        {"listen_missing_value", {"--listen"}, "--listen needs ADDR:PORT"},
        {"listen_without_address", {"--listen", ":0", "--demo", "--config", "f"},
         "--listen: expected ADDR:PORT, got ':0'"},
        {"both_sources", {"--listen", "127.0.0.1:0", "--demo", "--config", "f"},
         "exactly one of --demo and --config FILE is required"},
        {"neither_source", {"--listen", "127.0.0.1:0"},
         "exactly one of --demo and --config FILE is required"},
        {"cert_without_key", {"--listen", "127.0.0.1:0", "--demo", "--tls-cert", "c"},
         "--tls-cert and --tls-key go together"},
        {"zero_time_scale", {"--listen", "127.0.0.1:0", "--demo", "--time-scale", "0"},
         "--time-scale: expected a number in (0, 1000000], got '0'"},
        {"text_time_scale", {"--listen", "127.0.0.1:0", "--demo", "--time-scale=fast"},
         "--time-scale: expected a number in (0, 1000000], got 'fast'"},
        {"empty_token", {"--listen", "127.0.0.1:0", "--demo", "--token="},
         "--token needs a non-empty TOKEN"},
        {"demo_with_value", {"--listen", "127.0.0.1:0", "--demo=yes"}, "--demo takes no value"},
        {"unknown_flag", {"--listen", "127.0.0.1:0", "--demo", "--verbose"},
         "unknown flag '--verbose'"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = parse_command_line(c.args);
        EXPECT_FALSE(r.value);
        EXPECT_EQ(r.error, c.error);
    }
}

TEST(command_line, help_needs_nothing_else_and_usage_lists_every_flag)
{
    auto r = parse_command_line({"--help"});
    ASSERT_TRUE(r.value);
    EXPECT_TRUE(r.value->help);
    for (const char* flag : {"--listen", "--demo", "--config", "--crd-dir", "--kubeconfig-out",
                             "--token", "--tls-cert", "--tls-key", "--time-scale"}) {
        EXPECT_NE(usage().find(flag), std::string::npos) << flag;
    }
}

} // namespace
} // namespace fedsim::api
