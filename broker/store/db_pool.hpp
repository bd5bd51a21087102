#pragma once
/// The database executor: a thread pool sized to the number of PostgreSQL connections, each
/// task running with one connection of its own (STYLE.md principle 7). `run` hops a blocking
/// libpqxx callable onto the pool and resumes the awaiting coroutine on its own executor.
///
/// Connections are opened lazily and replaced when they break. While the database is down,
/// reconnection attempts are spaced by an exponential backoff shared by the whole pool, and
/// calls in between fail fast with `store_errc::unavailable` instead of piling up.
///
/// Thread safety: `run` may be called concurrently from any thread; the destructor waits for
/// running tasks and must not race with new calls.

#include "broker/store/store_error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace broker::store {

struct db_pool_options {
    std::string database_url;
    std::size_t pool_size = 4;
    /// Server-side statement_timeout for every statement (the per-query deadline).
    std::chrono::milliseconds statement_timeout{5000};
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds reconnect_backoff_initial{100};
    std::chrono::milliseconds reconnect_backoff_max{5000};
    /// Transient serialisation failures / deadlocks are retried this many times in total.
    int max_attempts = 3;
};

class db_pool {
public:
    explicit db_pool(db_pool_options options);
    ~db_pool();
    db_pool(const db_pool&) = delete;
    db_pool& operator=(const db_pool&) = delete;

    /// Runs `body(connection)` on a pool thread and returns its result. `body` must do one
    /// complete transaction (it may be re-run after a serialisation failure). Exceptions thrown
    /// by `body` become errors (classify_exception); a broken connection is discarded.
    template <class T>
    boost::asio::awaitable<store_result<T>> run(
        std::function<store_result<T>(pqxx::connection_base&)> body) {
        // Deliberately not a coroutine itself: g++ 12 mishandles class-type parameters and
        // temporaries of coroutines (double destruction), so the callable is moved straight
        // into the spawned operation and this returns its awaitable.
        return boost::asio::co_spawn(
            pool_.get_executor(),
            [this, b = std::move(body)]() -> boost::asio::awaitable<store_result<T>> {
                co_return run_blocking<T>(b);
            },
            boost::asio::use_awaitable);
    }

    /// The same, synchronously on the calling thread (tools and tests; never on an I/O thread).
    template <class T>
    store_result<T> run_blocking(
        const std::function<store_result<T>(pqxx::connection_base&)>& body) {
        store_result<T> out = make_error(store_errc::internal, "not run");
        run_erased(
            [&](pqxx::connection_base& c) {
                out = body(c);
                return out.has_value() ? std::optional<store_error>{} : std::optional(out.error());
            },
            [&](store_error e) { out = std::move(e); });
        return out;
    }

    /// Runs `task` on a pool thread; it holds no connection (it may call run_blocking, which
    /// takes one: there are as many connections as threads).
    void post(std::function<void()> task);

    const db_pool_options& options() const { return options_; }

private:
    struct slot;

    /// Type-erased core of run_blocking: acquires a connection (opening it if needed), runs
    /// `body` with retries, and reports a failure through `fail`.
    void run_erased(const std::function<std::optional<store_error>(pqxx::connection_base&)>& body,
                    const std::function<void(store_error)>& fail);

    slot& acquire();
    void release(slot& s);
    std::optional<store_error> ensure_connected(slot& s);

    db_pool_options options_;
    std::string conninfo_;
    std::vector<std::unique_ptr<slot>> slots_;
    std::vector<slot*> free_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::chrono::steady_clock::time_point next_connect_at_{};
    std::chrono::milliseconds backoff_{0};
    boost::asio::thread_pool pool_;
};

}  // namespace broker::store
