#include "config/kubeconfig.hpp"
#include "config/base64.hpp"
#include "tests/unit/config/config_error_printer.hpp"

#include <gtest/gtest.h>

#include <map>

namespace config {
namespace {

file_reader fake_files(std::map<std::string, std::string> files) {
    return [files = std::move(files)](const std::string& path) -> std::optional<std::string> {
        auto it = files.find(path);
        if (it == files.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

std::string two_context_config() {
    return "apiVersion: v1\n"
           "kind: Config\n"
           "clusters:\n"
           "- name: karmada\n"
           "  cluster:\n"
           "    server: https://karmada.example:5443\n"
           "    certificate-authority-data: " +
           base64_encode("CA PEM") +
           "\n"
           "    tls-server-name: karmada-apiserver\n"
           "- name: dev\n"
           "  cluster:\n"
           "    server: http://127.0.0.1:8001\n"
           "    insecure-skip-tls-verify: true\n"
           "users:\n"
           "- name: admin\n"
           "  user:\n"
           "    client-certificate: certs/admin.crt\n"
           "    client-key-data: " +
           base64_encode("KEY PEM") +
           "\n"
           "- name: robot\n"
           "  user:\n"
           "    tokenFile: /var/run/token\n"
           "contexts:\n"
           "- name: karmada-admin\n"
           "  context: {cluster: karmada, user: admin}\n"
           "- name: dev-robot\n"
           "  context: {cluster: dev, user: robot}\n"
           "current-context: karmada-admin\n";
}

TEST(parse_kubeconfig, current_context_with_ca_data_cert_file_and_key_data) {
    auto r = parse_kubeconfig(two_context_config(), "/etc/broker", "",
                              fake_files({{"/etc/broker/certs/admin.crt", "CERT PEM"}}));
    ASSERT_TRUE(r.errors.empty()) << r.errors.front().path << ": " << r.errors.front().message;
    ASSERT_TRUE(r.endpoint);
    EXPECT_EQ(r.endpoint->server, "https://karmada.example:5443");
    EXPECT_EQ(r.endpoint->ca_pem, "CA PEM");
    EXPECT_EQ(r.endpoint->tls_server_name, "karmada-apiserver");
    EXPECT_EQ(r.endpoint->client_cert_pem, "CERT PEM");
    EXPECT_EQ(r.endpoint->client_key_pem, "KEY PEM");
    EXPECT_EQ(r.endpoint->context_name, "karmada-admin");
    EXPECT_FALSE(r.endpoint->insecure_skip_tls_verify);
}

TEST(parse_kubeconfig, named_context_with_token_file_and_insecure_skip) {
    auto r = parse_kubeconfig(two_context_config(), "/etc/broker", "dev-robot",
                              fake_files({{"/var/run/token", "s3cret\n"}}));
    ASSERT_TRUE(r.errors.empty()) << r.errors.front().path << ": " << r.errors.front().message;
    EXPECT_EQ(r.endpoint->server, "http://127.0.0.1:8001");
    EXPECT_TRUE(r.endpoint->insecure_skip_tls_verify);
    EXPECT_EQ(r.endpoint->bearer_token, "s3cret");
}

struct bad_case {
    const char* name;
    std::string yaml;
    std::string context;
    std::vector<config_error> expected;
};

TEST(parse_kubeconfig, every_problem_reported_with_its_path) {
    const std::string base =
        "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
        "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n"
        "current-context: ctx\n";
    const bad_case cases[] = {
        {"bad base64 in CA and key, missing cert",
         "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
         "    certificate-authority-data: '%%%'\n"
         "users:\n- name: u\n  user:\n    client-key-data: '!!'\n"
         "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n",
         "",
         {{"clusters[0].cluster.certificate-authority-data", "invalid base64"},
          {"users[0].user.client-key-data", "invalid base64"}}},
        {"unknown context",
         base + "users:\n- name: u\n  user: {token: t}\n",
         "nope",
         {{"context", "context \"nope\" not found"}}},
        {"ftp server and unreadable token file",
         "clusters:\n- name: c\n  cluster:\n    server: ftp://x\n"
         "users:\n- name: u\n  user:\n    tokenFile: /missing\n"
         "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n",
         "",
         {{"clusters[0].cluster.server", "must start with https:// or http://"},
          {"users[0].user.tokenFile", "cannot read file \"/missing\""}}},
        {"exec plugin unsupported",
         base + "users:\n- name: u\n  user:\n    exec: {command: x}\n",
         "",
         {{"users[0].user.exec", "not supported"}}},
        {"not yaml", "a: [", "", {}},
    };
    for (const auto& c : cases) {
        auto r = parse_kubeconfig(c.yaml, "/", c.context, fake_files({}));
        EXPECT_FALSE(r.endpoint) << c.name;
        if (c.expected.empty()) {
            EXPECT_FALSE(r.errors.empty()) << c.name;
        } else {
            EXPECT_EQ(r.errors, c.expected) << c.name;
        }
    }
}

TEST(render_kubeconfig, round_trips_through_the_parser) {
    api_endpoint ep;
    ep.server = "https://127.0.0.1:6443";
    ep.ca_pem = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n";
    ep.client_cert_pem = "CERT";
    ep.client_key_pem = "KEY";
    ep.bearer_token = "tok";
    const std::string text = render_kubeconfig(ep, "fedsim");
    auto r = parse_kubeconfig(text, "", "", fake_files({}));
    ASSERT_TRUE(r.errors.empty()) << r.errors.front().message;
    EXPECT_EQ(r.endpoint->server, ep.server);
    EXPECT_EQ(r.endpoint->ca_pem, ep.ca_pem);
    EXPECT_EQ(r.endpoint->client_cert_pem, "CERT");
    EXPECT_EQ(r.endpoint->client_key_pem, "KEY");
    EXPECT_EQ(r.endpoint->bearer_token, "tok");
    EXPECT_EQ(r.endpoint->context_name, "fedsim");
}

}  // namespace
}  // namespace config
