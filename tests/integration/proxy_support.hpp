#pragma once
// Shared by the proxy_*_test.cpp files: fedsim (real executable, port 0) with two workloads
// duplicated into cluster-1 and cluster-2, and the broker's proxy routes served in-process
// (router + server + kube_client + member_registry) over plain HTTP with --insecure-dev-auth
// headers, or over TLS with a JWT for kubectl.

#include "broker/auth/authenticator.hpp"
#include "broker/routes/proxy_routes.hpp"
#include "broker/server/server.hpp"
#include "tests/integration/fedsim_test_support.hpp"
#include "tests/support/tls_certs.hpp"

#include <boost/asio/io_context.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <thread>

namespace proxy_test_support {

using nlohmann::json;
using namespace std::chrono_literals;

/// Polls `probe` until it returns true or `deadline` passes.
template <class F>
bool eventually(F probe, std::chrono::milliseconds deadline = 30s)
{
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        if (probe()) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

using fedsim_test::create_job;

inline void set_fault(std::uint16_t fedsim_port, const std::string& cluster, const json& fault)
{
    auto r = fedsim_test::http(fedsim_port, "POST", "/fedsim/v1/clusters/" + cluster + "/fault",
                               fault.dump());
    EXPECT_LT(r.status, 300u) << r.body;
}

/// The broker's proxy routes in-process, on their own io_context thread.
struct broker_under_test {
    boost::asio::io_context ioc;
    std::optional<proxy::kube_client> client;
    std::unique_ptr<proxy::member_registry> members;
    std::unique_ptr<broker::server::server> srv;
    std::uint16_t port = 0;
    std::thread thread;
    std::string jwt_key_pem;  ///< signs tokens the server accepts (TLS mode)

    /// `tls`: serve HTTPS with the shared test certificate and accept JWTs signed with its key.
    broker_under_test(const std::string& fedsim_url, bool tls,
                      broker::routes::proxy_route_options options = {},
                      const std::string& cert_dir = {})
    {
        config::api_endpoint e;
        e.server = fedsim_url;
        proxy::client_options co;
        co.retry.max_attempts = 1;
        auto created = proxy::kube_client::create(ioc.get_executor(), e, co);
        EXPECT_TRUE(created.has_value());
        client.emplace(std::move(*created));
        members = std::make_unique<proxy::member_registry>(*client);
        auto router = std::make_shared<broker::server::router>();
        broker::routes::add_proxy_routes(*router, *client, *members, std::move(options));
        broker::server::server_options so;
        broker::auth::authenticator_options ao;
        ao.insecure_dev_auth = true;
        if (tls) {
            const auto& m = test_support::shared_tls_material();
            std::ofstream(cert_dir + "/server.crt") << m.server_cert_pem;
            std::ofstream(cert_dir + "/server.key") << m.server_key_pem;
            std::ofstream(cert_dir + "/ca.crt") << m.ca_cert_pem;
            so.tls = broker::server::tls_files{cert_dir + "/server.crt", cert_dir + "/server.key"};
            auto verifier = broker::auth::jwt_verifier::create({m.server_cert_pem});
            EXPECT_TRUE(std::holds_alternative<std::unique_ptr<broker::auth::jwt_verifier>>(verifier));
            ao.verifier = std::shared_ptr<const broker::auth::jwt_verifier>(
                std::move(std::get<std::unique_ptr<broker::auth::jwt_verifier>>(verifier)));
            jwt_key_pem = m.server_key_pem;
        }
        srv = std::make_unique<broker::server::server>(ioc.get_executor(), so, router);
        srv->use(broker::auth::make_authenticator(ao));
        port = srv->start().port;
        members->start();
        thread = std::thread([this] { ioc.run(); });
    }

    ~broker_under_test()
    {
        boost::asio::post(ioc, [this] {
            members->stop();
            srv->stop();
        });
        ioc.stop();
        thread.join();
    }

    bool wait_synced(std::size_t clusters)
    {
        return eventually([&] { return members->snapshot()->size() == clusters; });
    }

    fedsim_test::http_reply get(const std::string& target, const std::string& user = "admin",
                                const std::string& roles = "admin")
    {
        std::map<std::string, std::string> h = {{"X-Debug-Username", user}};
        if (!roles.empty()) {
            h["X-Debug-Roles"] = roles;
        }
        return fedsim_test::http(port, "GET", target, {}, h);
    }
};

}  // namespace proxy_test_support
