#pragma once
/// Io threads for a server: one io_context per thread, each run by that thread alone.
///
/// Why: one io_context shared by several threads makes every completion a possible hand-off
/// between threads (one waits in epoll, the others on a condition variable that each post
/// signals), and a connection's handlers wander between cores. With a context per thread a
/// connection lives on one thread from accept to close, its upstream connections are pooled
/// per context (kube_client) and the threads share nothing on the hot path. In the proxy
/// throughput bench (bench/README.md) two io threads went from 8.5k to 10.3k requests/s, and
/// to 11.0-11.3k once sessions ran without strands (a context's one thread serialises them).
///
/// Context 0 is the "main" one: timers, signals, watches and the reconciler live there, and
/// `run` runs it on the calling thread. Server sessions are spread over all of them.
///
/// Thread safety: `context`, `executors` and `stop` from any thread; `run` once.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace broker::server {

class io_pool {
public:
    /// `threads` contexts (at least one).
    explicit io_pool(std::size_t threads);
    ~io_pool();
    io_pool(const io_pool&) = delete;
    io_pool& operator=(const io_pool&) = delete;

    boost::asio::io_context& main() { return *contexts_.front(); }
    std::size_t size() const { return contexts_.size(); }

    /// One executor per context, main first: where a server spreads its sessions.
    std::vector<boost::asio::any_io_executor> executors() const;

    /// Runs context 0 on this thread and the others on their own threads until `stop`; joins
    /// them before returning.
    void run();

    /// Starts the other contexts' threads and returns; `join` (or the destructor) waits for
    /// them after `stop`. For callers that run context 0 themselves or not at all.
    void start_threads(bool include_main);
    void join();

    /// Stops every context (pending handlers are abandoned, as io_context::stop does).
    void stop();

private:
    using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<guard> guards_;
    std::vector<std::thread> threads_;
};

}  // namespace broker::server
