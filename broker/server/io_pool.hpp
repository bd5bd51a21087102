#pragma once
/// Io threads for a server: one io_context per thread, each run by that thread alone.
///
/// Why: one io_context shared by several threads makes every completion a possible hand-off
/// between threads (one waits in epoll, the others on a condition variable that each post
/// signals), and a connection's handlers wander between cores. With a context per thread a
/// connection lives on one thread from accept to close, its upstream connections are pooled
/// per context (kube_client) and the threads share nothing on the hot path. In the proxy
/// throughput bench (bench/README.md) two io threads went from 8.5k to 10.3k requests/s, to
/// 11.0-11.3k once sessions ran without strands (a context's one thread serialises them), and
/// to 12.0-12.4k with sessions off the main context.
///
/// Context 0 is the "main" one: timers, signals, watches and the reconciler live there, and
/// `run` runs it on the calling thread. Server sessions are spread over the others (over the
/// main one only when it is the only one).
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

    /// One executor per context, main first.
    std::vector<boost::asio::any_io_executor> executors() const;

    /// Where a server spreads its sessions: every context but the main one when there are
    /// several. The main context's background work (the bindings watch, the reconciler's
    /// passes) then never delays a request: with sessions on it too, the submission load run's
    /// p99 was 215-218 ms against 142-154 ms with one shared io_context (same runs).
    std::vector<boost::asio::any_io_executor> session_executors() const;

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
    /// An io_context whose services can be shut down before any of the pool is destroyed:
    /// handlers left in one context may own objects of another (a session on thread 2 holds
    /// the server, whose acceptor lives in the main context), so every context's leftovers
    /// are destroyed while every context's services still exist.
    class context : public boost::asio::io_context {
    public:
        context() : boost::asio::io_context(1) {}  // hint 1: run by exactly one thread
        void shut_down() { shutdown(); }
    };

    using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<context>> contexts_;
    std::vector<guard> guards_;
    std::vector<std::thread> threads_;
};

}  // namespace broker::server
