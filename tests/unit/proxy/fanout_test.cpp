#include "proxy/fanout.hpp"

#include "tests/support/fake_apiserver.hpp"
#include "tests/unit/proxy/run_awaitable.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using proxy::kube_errc;
using proxy_test::run_awaitable;
using test_support::fake_apiserver;
using test_support::fake_reply;
using test_support::recorded_request;

TEST(fan_out, every_member_gets_an_outcome_in_order_ok_error_or_timed_out)
{
    fake_apiserver server([](const recorded_request& req) {
        if (req.path() == "/m/slow") {
            auto r = fake_reply::json(200, {{"items", nlohmann::json::array()}});
            r.delay = 10s;
            return r;
        }
        if (req.path() == "/m/broken") {
            return fake_reply::status_error(503, "ServiceUnavailable", "member down");
        }
        return fake_reply::json(200, {{"items", {{{"metadata", {{"name", req.path()}}}}}}});
    });
    net::io_context ioc;
    config::api_endpoint e;
    e.server = server.url();
    proxy::client_options o;
    o.retry.max_attempts = 1;
    auto client = proxy::kube_client::create(ioc.get_executor(), e, o);
    ASSERT_TRUE(client.has_value());

    auto outcomes = run_awaitable(
        ioc, proxy::fan_out({"fast", "slow", "broken", "thrower"}, 2s,
                            [&](const std::string& member)
                                -> net::awaitable<proxy::kube_result<proxy::json_response>> {
                                if (member == "thrower") {
                                    throw std::runtime_error("bug in the caller");
                                }
                                co_return co_await client->get("/m/" + member);
                            }));

    ASSERT_EQ(outcomes.size(), 4u);
    EXPECT_EQ(outcomes[0].member, "fast");
    ASSERT_TRUE(outcomes[0].result.has_value());
    EXPECT_EQ(outcomes[0].result->body["items"][0]["metadata"]["name"], "/m/fast");
    EXPECT_EQ(outcomes[1].member, "slow");
    EXPECT_TRUE(outcomes[1].timed_out());
    EXPECT_EQ(outcomes[2].member, "broken");
    ASSERT_FALSE(outcomes[2].result.has_value());
    EXPECT_EQ(outcomes[2].result.error().http_status, 503u);
    EXPECT_FALSE(outcomes[2].timed_out());
    EXPECT_EQ(outcomes[3].member, "thrower");
    ASSERT_FALSE(outcomes[3].result.has_value());
    EXPECT_EQ(outcomes[3].result.error().detail, "bug in the caller");
}

TEST(fan_out, no_members_gives_no_outcomes)
{
    net::io_context ioc;
    auto outcomes = run_awaitable(
        ioc, proxy::fan_out({}, 100ms, [](const std::string&)
                                -> net::awaitable<proxy::kube_result<proxy::json_response>> {
            co_return proxy::json_response{};
        }));
    EXPECT_TRUE(outcomes.empty());
}

}  // namespace
