#pragma once

#include "broker/server/handler.hpp"
#include "broker/server/metrics.hpp"
#include "broker/server/router.hpp"
#include "broker/server/server_options.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace broker::server {

/// Where a started server listens.
struct bound_endpoint {
    std::string address;
    std::uint16_t port = 0;
    bool tls = false;

    /// "http://127.0.0.1:8080" (IPv6 addresses in brackets).
    [[nodiscard]] std::string url() const;
};

/// The HTTP/1.1 server: a listener plus one session coroutine per connection on its own strand.
///
/// Sessions keep connections alive, enforce the header/body limits (431/413), the read, write
/// and idle deadlines, and serve requests one at a time in arrival order (pipelined requests wait
/// in the read buffer: at most one response is ever queued). Each request is matched against the
/// router, passed through the middleware chain, recorded in the metrics registry and answered;
/// an exception escaping a handler becomes a 500 Status and a counter, never a crash.
///
/// Shutdown: `stop()` closes the listener and idle connections, ends streaming responses, lets
/// in-flight requests finish and closes their connections afterwards; whatever is still open
/// after `shutdown_grace` is closed firmly. Completion is reported once every session ended.
/// Thread safety: `use` before `start`; `start` once; `stop`, `on_stopped`, `wait_stopped`,
/// `endpoint` and `active_connections` from any thread.
class server {
public:
    /// `executor` is the io_context (or pool) executor; each connection gets its own strand of it.
    server(boost::asio::any_io_executor executor, server_options options,
           std::shared_ptr<const router> routes,
           std::shared_ptr<metrics_registry> metrics = nullptr);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Appends a middleware (outermost first). Only before `start`.
    void use(middleware mw);

    /// Spreads new connections round-robin over `executors` instead of strands of the
    /// server's executor. Each connection gets a strand of one of them, or, when
    /// `one_thread_each` (every executor is run by exactly one thread, as io_pool's are), that
    /// executor itself: the thread already serialises its handlers. Only before `start`.
    void spread_sessions(std::vector<boost::asio::any_io_executor> executors,
                         bool one_thread_each = false);

    /// Binds, listens and starts accepting. Throws std::runtime_error with a clear message when
    /// the address is invalid, the port is taken or the TLS files cannot be loaded.
    bound_endpoint start();

    /// The bound endpoint (valid after `start`).
    [[nodiscard]] bound_endpoint endpoint() const;

    /// Begins a graceful shutdown (idempotent).
    void stop();

    /// Runs `fn` once the server has fully stopped (at once if it already has); `fn` runs on
    /// whichever thread finished the last session.
    void on_stopped(std::function<void()> fn);

    /// Completes once the server has fully stopped.
    boost::asio::awaitable<void> wait_stopped();

    /// Open connections right now.
    [[nodiscard]] std::size_t active_connections() const;

    /// The registry requests are recorded in.
    [[nodiscard]] metrics_registry& metrics() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

/// Runs `chain` around `last`: chain[0] is outermost. Exposed for tests.
boost::asio::awaitable<response> run_middleware(const std::vector<middleware>& chain,
                                                std::size_t index, request_context& ctx,
                                                const handler& last);

} // namespace broker::server
