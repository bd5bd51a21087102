#include "proxy/fanout.hpp"

#include "tests/support/fake_apiserver.hpp"
#include "tests/unit/proxy/run_awaitable.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <optional>
#include <stdexcept>
#include <vector>

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

/// A scanned call that answers "ok*" members at once, waits 10 s for "slow" (beyond any
/// deadline here) and throws for "thrower".
proxy::scanned_call scripted_scanned_call()
{
    return [](const std::string& member)
               -> net::awaitable<proxy::kube_result<proxy::scanned_member>> {
        if (member == "thrower") {
            throw std::runtime_error("bug in the caller");
        }
        if (member == "slow") {
            net::steady_timer t(co_await net::this_coro::executor, 10s);
            co_await t.async_wait(net::use_awaitable);
        }
        proxy::scanned_member m;
        m.text = "{\"items\":[]}";
        co_return m;
    };
}

/// What the sink saw, by member index.
struct delivery_log {
    std::vector<std::optional<proxy::scanned_outcome>> by_index;
    std::size_t calls = 0;

    proxy::scanned_sink sink()
    {
        return [this](std::size_t index, proxy::scanned_outcome o) {
            ++calls;
            if (index < by_index.size() && !by_index[index]) {
                by_index[index] = std::move(o);
            }
        };
    }
};

TEST(fan_out_each, ok_slow_and_throwing_members_are_each_delivered_once_with_their_index)
{
    net::io_context ioc;
    const std::vector<std::string> members{"ok-a", "slow", "thrower", "ok-b"};
    delivery_log log;
    log.by_index.resize(members.size());
    run_awaitable(ioc, proxy::fan_out_each(members, 200ms, scripted_scanned_call(), log.sink()));
    EXPECT_EQ(log.calls, members.size());
    for (std::size_t i = 0; i < members.size(); ++i) {
        ASSERT_TRUE(log.by_index[i].has_value()) << members[i];
        EXPECT_EQ(log.by_index[i]->member, members[i]);
    }
    EXPECT_TRUE(log.by_index[0]->result.has_value());
    EXPECT_TRUE(log.by_index[1]->timed_out());
    ASSERT_FALSE(log.by_index[2]->result.has_value());
    EXPECT_EQ(log.by_index[2]->result.error().detail, "bug in the caller");
    EXPECT_TRUE(log.by_index[3]->result.has_value());
}

TEST(fan_out_each, cancelled_fan_out_still_delivers_every_member_and_returns)
{
    net::io_context ioc;
    const std::vector<std::string> members{"ok-a", "slow", "slow"};
    delivery_log log;
    log.by_index.resize(members.size());
    net::cancellation_signal cancel;
    bool returned = false;
    net::co_spawn(ioc, proxy::fan_out_each(members, 60s, scripted_scanned_call(), log.sink()),
                  net::bind_cancellation_slot(cancel.slot(),
                                              [&](std::exception_ptr) { returned = true; }));
    // Cancel once the first member is in (the client going away mid-answer).
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            while (!log.by_index[0]) {
                co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
            }
            cancel.emit(net::cancellation_type::terminal);
        },
        net::detached);
    ioc.run();
    EXPECT_TRUE(returned);
    EXPECT_EQ(log.calls, members.size());
    ASSERT_TRUE(log.by_index[0].has_value());
    EXPECT_TRUE(log.by_index[0]->result.has_value());
    for (std::size_t i = 1; i < members.size(); ++i) {
        ASSERT_TRUE(log.by_index[i].has_value());
        EXPECT_FALSE(log.by_index[i]->result.has_value());
    }
}

}  // namespace
