#include "proxy/kube_client.hpp"

#include "tests/support/fake_apiserver.hpp"
#include "tests/support/tls_certs.hpp"
#include "tests/unit/proxy/run_awaitable.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using proxy::kube_client;
using proxy::kube_errc;
using proxy_test::run_awaitable;
using test_support::fake_apiserver;
using test_support::fake_reply;
using test_support::fake_tls;
using test_support::scripted;

fake_tls server_tls(bool require_client_cert = false)
{
    const auto& m = test_support::shared_tls_material();
    fake_tls t;
    t.cert_pem = m.server_cert_pem;
    t.key_pem = m.server_key_pem;
    if (require_client_cert) {
        t.client_ca_pem = m.ca_cert_pem;
        t.require_client_cert = true;
    }
    return t;
}

proxy::client_options fast()
{
    proxy::client_options o;
    o.retry = proxy::backoff_policy{1, 1ms, 1ms, 30000ms};
    o.rng_seed = 1;
    o.default_timeout = 10s;
    return o;
}

fake_reply ok()
{
    return fake_reply::json(200, {{"kind", "APIVersions"}});
}

proxy::kube_result<proxy::json_response> get_once(const config::api_endpoint& endpoint,
                                                  proxy::client_stats* stats = nullptr)
{
    net::io_context ioc;
    auto client = kube_client::create(ioc.get_executor(), endpoint, fast());
    EXPECT_TRUE(client.has_value());
    auto r = run_awaitable(ioc, client->get("/api"));
    if (stats) {
        *stats = client->stats();
    }
    return r;
}

struct verify_case {
    std::string name;
    bool use_right_ca;
    bool insecure;
    std::string tls_server_name;
    bool expect_ok;

    friend void PrintTo(const verify_case& c, std::ostream* os) { *os << c.name; }
};

class kube_client_tls_verify : public testing::TestWithParam<verify_case> {};

TEST_P(kube_client_tls_verify, outcome)
{
    const auto& c = GetParam();
    fake_apiserver server(scripted({}, ok()), server_tls());
    config::api_endpoint e;
    e.server = server.url();  // https://127.0.0.1:PORT — verified against the IP SAN
    e.ca_pem = c.use_right_ca ? test_support::shared_tls_material().ca_cert_pem
                              : test_support::generate_tls_material("other-ca").ca_cert_pem;
    e.insecure_skip_tls_verify = c.insecure;
    e.tls_server_name = c.tls_server_name;
    proxy::client_stats stats;
    auto r = get_once(e, &stats);
    EXPECT_EQ(r.has_value(), c.expect_ok) << (r ? "" : r.error().message);
    if (!c.expect_ok && !r) {
        EXPECT_EQ(r.error().code, kube_errc::tls_failed);
        EXPECT_NE(r.error().message.find("certificate verification failed"), std::string::npos)
            << r.error().message;
        EXPECT_EQ(stats.tls_failures, 1u);
        EXPECT_EQ(server.request_count(), 0u);
    }
}

INSTANTIATE_TEST_SUITE_P(
    cases, kube_client_tls_verify,
    testing::Values(
        verify_case{"right_ca_ip_san_verifies", true, false, "", true},
        verify_case{"right_ca_server_name_localhost_matches_dns_san", true, false, "localhost",
                    true},
        verify_case{"wrong_ca_fails", false, false, "", false},
        verify_case{"right_ca_wrong_server_name_fails", true, false, "api.example.com", false},
        verify_case{"wrong_ca_but_insecure_skip_verify_connects", false, true, "", true}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(kube_client_tls, client_certificate_is_presented_when_the_server_requires_one)
{
    fake_apiserver server(scripted({}, ok()), server_tls(/*require_client_cert=*/true));
    const auto& m = test_support::shared_tls_material();
    config::api_endpoint e;
    e.server = server.url();
    e.ca_pem = m.ca_cert_pem;
    e.client_cert_pem = m.client_cert_pem;
    e.client_key_pem = m.client_key_pem;
    auto r = get_once(e);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(server.request_count(), 1u);
    EXPECT_EQ(server.requests()[0].client_cert_cn, "test-client");
}

TEST(kube_client_tls, missing_client_certificate_is_refused_by_the_server)
{
    fake_apiserver server(scripted({}, ok()), server_tls(/*require_client_cert=*/true));
    config::api_endpoint e;
    e.server = server.url();
    e.ca_pem = test_support::shared_tls_material().ca_cert_pem;
    auto r = get_once(e);
    ASSERT_FALSE(r.has_value());
    // With TLS 1.3 the server's rejection may arrive after the client finished its side of the
    // handshake, so it surfaces either as a handshake or as a read failure.
    EXPECT_TRUE(r.error().code == kube_errc::tls_failed ||
                r.error().code == kube_errc::connection_lost)
        << proxy::to_string(r.error().code) << ": " << r.error().message;
    EXPECT_EQ(server.request_count(), 0u);
}

TEST(kube_client_tls, keep_alive_works_over_tls)
{
    fake_apiserver server(scripted({}, ok()), server_tls());
    net::io_context ioc;
    config::api_endpoint e;
    e.server = server.url();
    e.ca_pem = test_support::shared_tls_material().ca_cert_pem;
    auto client = kube_client::create(ioc.get_executor(), e, fast());
    ASSERT_TRUE(client.has_value());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(run_awaitable(ioc, client->get("/api")).has_value());
    }
    EXPECT_EQ(server.accepted_connections(), 1u);
}

TEST(kube_client_tls, unusable_pem_material_is_reported_with_the_kubeconfig_field)
{
    net::io_context ioc;
    struct bad_case {
        std::string field;
        config::api_endpoint endpoint;
    };
    const auto& m = test_support::shared_tls_material();
    std::vector<bad_case> cases(4);
    cases[0].field = "certificate-authority-data";
    cases[0].endpoint.ca_pem = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n";
    cases[1].field = "client-key-data";
    cases[1].endpoint.client_cert_pem = m.client_cert_pem;
    cases[2].field = "client-key-data";
    cases[2].endpoint.client_cert_pem = m.client_cert_pem;
    cases[2].endpoint.client_key_pem = m.server_key_pem;  // does not match the certificate
    cases[3].field = "client-certificate-data";
    cases[3].endpoint.client_cert_pem = "garbage";
    cases[3].endpoint.client_key_pem = m.client_key_pem;
    for (auto& c : cases) {
        c.endpoint.server = "https://127.0.0.1:6443";
        auto client = kube_client::create(ioc.get_executor(), c.endpoint);
        ASSERT_FALSE(client.has_value()) << c.field;
        EXPECT_EQ(client.error().code, kube_errc::invalid_argument);
        EXPECT_NE(client.error().message.find(c.field), std::string::npos)
            << client.error().message;
    }
}

}  // namespace
