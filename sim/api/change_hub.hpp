#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <list>

namespace fedsim::api {

/// Wakes coroutines waiting for "something changed in the model" (watch streams, log followers,
/// the simulation driver).
///
/// Waiters re-check their own condition after waking; a notify with nobody waiting is simply
/// lost, which is fine because a waiter only waits after finding nothing to do, with no
/// suspension point in between (everything runs on one thread).
/// Thread safety: none; use on fedsim's single io thread only.
class change_hub {
public:
    explicit change_hub(boost::asio::any_io_executor executor);

    /// Wakes every current waiter.
    void notify();

    /// Waits until `notify`, `close`, `max_wait` elapsed or the coroutine is cancelled.
    boost::asio::awaitable<void> wait(std::chrono::steady_clock::duration max_wait);

    /// Wakes everyone and makes every later `wait` return at once (shutdown).
    void close();
    [[nodiscard]] bool closed() const { return closed_; }

private:
    using timer = boost::asio::steady_timer;
    boost::asio::any_io_executor executor_;
    std::list<timer*> waiting_;
    bool closed_ = false;
};

} // namespace fedsim::api
