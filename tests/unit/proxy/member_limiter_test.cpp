#include "proxy/member_limiter.hpp"

#include "tests/unit/proxy/run_awaitable.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

namespace {

namespace net = boost::asio;
using namespace net::experimental::awaitable_operators;
using namespace std::chrono_literals;

TEST(member_limiter, limit_2_queues_the_third_call_of_a_member_but_not_other_members)
{
    net::io_context ioc;
    auto limiter = proxy::member_limiter::create(2);
    struct observed {
        std::size_t held_after_two = 0;
        bool third_cancelled_by_deadline = false;
        bool other_member_immediate = false;
        bool waiter_got_slot_after_release = false;
        std::size_t held_at_end = 0;
    };
    auto result = proxy_test::run_awaitable(
        ioc, [](std::shared_ptr<proxy::member_limiter> l) -> net::awaitable<observed> {
            observed o;
            auto s1 = co_await l->acquire("m");
            auto s2 = co_await l->acquire("m");
            o.held_after_two = l->in_flight("m");
            net::steady_timer deadline(co_await net::this_coro::executor, 20ms);
            auto raced = co_await (l->acquire("m") ||
                                   deadline.async_wait(net::as_tuple(net::use_awaitable)));
            o.third_cancelled_by_deadline = raced.index() == 1;
            auto other = co_await l->acquire("n");
            o.other_member_immediate = static_cast<bool>(other);
            // A queued waiter gets the slot as soon as one is released.
            auto got = std::make_shared<proxy::member_slot>();
            net::co_spawn(
                co_await net::this_coro::executor,
                [](std::shared_ptr<proxy::member_limiter> lim,
                   std::shared_ptr<proxy::member_slot> out) -> net::awaitable<void> {
                    *out = co_await lim->acquire("m");
                }(l, got),
                net::detached);
            co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
            const bool queued_while_full = !*got;
            s1 = proxy::member_slot();
            for (int i = 0; i < 10 && !*got; ++i) {
                co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
            }
            o.waiter_got_slot_after_release = queued_while_full && static_cast<bool>(*got);
            o.held_at_end = l->in_flight("m");
            *got = proxy::member_slot();
            co_return o;
        }(limiter));
    EXPECT_EQ(result.held_after_two, 2u);
    EXPECT_TRUE(result.third_cancelled_by_deadline);
    EXPECT_TRUE(result.other_member_immediate);
    EXPECT_TRUE(result.waiter_got_slot_after_release);
    EXPECT_EQ(result.held_at_end, 2u);
    EXPECT_EQ(limiter->in_flight("m"), 0u);  // every slot released when the coroutine ended
}

}  // namespace
