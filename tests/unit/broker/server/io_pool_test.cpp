#include "broker/server/io_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <thread>

namespace {

namespace net = boost::asio;
using broker::server::io_pool;

TEST(io_pool, each_context_runs_on_its_own_thread_and_sessions_skip_the_main_one)
{
    io_pool pool(3);
    ASSERT_EQ(pool.size(), 3u);
    EXPECT_EQ(pool.executors().size(), 3u);
    const auto sessions = pool.session_executors();
    ASSERT_EQ(sessions.size(), 2u);
    for (const auto& ex : sessions) {
        EXPECT_NE(&net::query(ex, net::execution::context), &pool.main());
    }
    pool.start_threads(true);
    std::set<std::thread::id> threads;
    for (const auto& ex : pool.executors()) {
        std::promise<std::thread::id> where;
        net::post(ex, [&where] { where.set_value(std::this_thread::get_id()); });
        auto f = where.get_future();
        ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
        threads.insert(f.get());
    }
    EXPECT_EQ(threads.size(), 3u);
    EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
    pool.stop();
    pool.join();
}

TEST(io_pool, a_single_context_serves_sessions_too)
{
    io_pool pool(1);
    ASSERT_EQ(pool.session_executors().size(), 1u);
    EXPECT_EQ(&net::query(pool.session_executors()[0], net::execution::context), &pool.main());
}

/// Owns a timer of the main context.
struct main_context_object {
    explicit main_context_object(net::io_context& main) : timer(main) {}
    net::steady_timer timer;
};

TEST(io_pool, work_left_in_one_context_may_own_objects_of_another_when_the_pool_goes)
{
    // A coroutine on context 1 still waiting at shutdown holds the last reference to an
    // object with an I/O object of context 0: destroying it must find context 0's services
    // alive (run under BROKER_SANITIZE this is checked for use after free).
    std::weak_ptr<main_context_object> watch;
    {
        io_pool pool(2);
        auto owned = std::make_shared<main_context_object>(pool.main());
        watch = owned;
        std::promise<void> waiting;
        net::co_spawn(
            pool.session_executors()[0],
            [owned = std::move(owned), &waiting]() -> net::awaitable<void> {
                net::steady_timer never(co_await net::this_coro::executor,
                                        std::chrono::steady_clock::time_point::max());
                waiting.set_value();
                co_await never.async_wait(net::as_tuple(net::use_awaitable));
            },
            net::detached);
        pool.start_threads(true);
        ASSERT_EQ(waiting.get_future().wait_for(std::chrono::seconds(10)),
                  std::future_status::ready);
        EXPECT_FALSE(watch.expired());
        pool.stop();
    }
    EXPECT_TRUE(watch.expired());  // the abandoned coroutine was destroyed with the pool
}

}  // namespace
