#pragma once
/// Runs one coroutine to completion on a test's io_context and returns its value.
///
/// Thread safety: call from the test thread only; it runs the io_context on that thread.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <future>

namespace proxy_test {

template <class T>
T run_awaitable(boost::asio::io_context& ioc, boost::asio::awaitable<T> op)
{
    auto done = boost::asio::co_spawn(ioc, std::move(op), boost::asio::use_future);
    ioc.restart();
    ioc.run();
    return done.get();
}

}  // namespace proxy_test
