#include "broker/store/db_pool.hpp"

#include "broker/store/pg_failure.hpp"
#include "broker/store/queries.hpp"

#include <pqxx/pqxx>

#include <boost/asio/post.hpp>

#include <algorithm>

namespace broker::store {

struct db_pool::slot {
    std::unique_ptr<pqxx::connection> conn;
};

db_pool::db_pool(db_pool_options options)
    : options_(std::move(options)),
      conninfo_(with_connect_timeout(options_.database_url, options_.connect_timeout)),
      pool_(std::max<std::size_t>(1, options_.pool_size)) {
    const std::size_t n = std::max<std::size_t>(1, options_.pool_size);
    for (std::size_t i = 0; i < n; ++i) {
        slots_.push_back(std::make_unique<slot>());
        free_.push_back(slots_.back().get());
    }
}

db_pool::~db_pool() {
    pool_.join();
}

void db_pool::post(std::function<void()> task) {
    boost::asio::post(pool_.get_executor(), std::move(task));
}

db_pool::slot& db_pool::acquire() {
    std::unique_lock lock(mutex_);
    // Tasks only run on the pool's threads and there are as many slots as threads, so a slot is
    // free whenever a task gets here; the wait covers callers of run_blocking from outside.
    cv_.wait(lock, [&] { return !free_.empty(); });
    slot* s = free_.back();
    free_.pop_back();
    return *s;
}

void db_pool::release(slot& s) {
    {
        std::lock_guard lock(mutex_);
        free_.push_back(&s);
    }
    cv_.notify_one();
}

std::optional<store_error> db_pool::ensure_connected(slot& s) {
    if (s.conn && s.conn->is_open()) {
        return std::nullopt;
    }
    s.conn.reset();
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        if (now < next_connect_at_) {
            return make_error(store_errc::unavailable, "database unavailable",
                              "reconnect backoff in effect");
        }
    }
    try {
        auto conn = std::make_unique<pqxx::connection>(conninfo_);
        conn->set_variable("statement_timeout", std::to_string(options_.statement_timeout.count()));
        // A transaction left open by a bug must not hold locks forever.
        conn->set_variable(
            "idle_in_transaction_session_timeout",
            std::to_string(std::max<long long>(1000, 4 * options_.statement_timeout.count())));
        // libpqxx prepares lazily: this registers the names, the server sees each on first use.
        for (const auto& q : queries::pooled_queries()) {
            conn->prepare(std::string(q.name), std::string(q.sql));
        }
        s.conn = std::move(conn);
        std::lock_guard lock(mutex_);
        backoff_ = std::chrono::milliseconds(0);
        next_connect_at_ = {};
        return std::nullopt;
    } catch (...) {
        auto failure = classify_exception(std::current_exception());
        std::lock_guard lock(mutex_);
        backoff_ = backoff_.count() == 0 ? options_.reconnect_backoff_initial
                                         : std::min(options_.reconnect_backoff_max, backoff_ * 2);
        next_connect_at_ = std::chrono::steady_clock::now() + backoff_;
        return make_error(store_errc::unavailable, "database unavailable",
                          "connect failed: " + failure.error.detail);
    }
}

void db_pool::run_erased(
    const std::function<std::optional<store_error>(pqxx::connection_base&)>& body,
    const std::function<void(store_error)>& fail) {
    slot& s = acquire();
    struct releaser {
        db_pool& pool;
        slot& s;
        ~releaser() { pool.release(s); }
    } guard{*this, s};

    for (int attempt = 1;; ++attempt) {
        if (auto err = ensure_connected(s)) {
            fail(std::move(*err));
            return;
        }
        try {
            body(*s.conn);
            return;
        } catch (...) {
            auto failure = classify_exception(std::current_exception());
            if (failure.connection_lost || !s.conn->is_open()) {
                s.conn.reset();
                failure.error.code = store_errc::unavailable;
                failure.error.message = "database unavailable";
            }
            if (failure.retryable && attempt < options_.max_attempts) {
                continue;
            }
            fail(std::move(failure.error));
            return;
        }
    }
}

}  // namespace broker::store
