#pragma once
/// Group commit: short write transactions that arrive while one is being committed wait and are
/// then run together, in arrival order, inside ONE transaction with one COMMIT (one WAL flush)
/// for all of them. With `fsync` on, the flush dominates a small write; sharing it is what lets
/// many concurrent submissions through a database that serialises them anyway (the placement
/// lock). Each caller still resumes only after its own work is durable.
///
/// An operation is a function of (transaction, group_scope) that either returns its result or
/// returns an error *before writing anything* (so a failed operation leaves nothing behind in
/// the shared transaction). A deferred operation may instead put its write off into a batch that
/// the group runs as one statement just before COMMIT, and answer from there. A database exception aborts the group: transient failures re-run
/// the whole group (the operations are pure apart from the transaction); a database error that
/// one operation may have caused (a constraint, an internal error) re-runs each operation in a
/// group of its own, so one bad operation fails only its caller; an outage or a timeout fails
/// the whole group at once.
///
/// Thread safety: `run` may be called concurrently from any thread; completions are posted to
/// each caller's executor. The group must outlive its pool's pending work (destroy the pool
/// first: its destructor waits for running tasks).

#include "broker/store/db_pool.hpp"
#include "broker/store/store.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace broker::store {

/// Status updates and new jobs of one group waiting to be written as one statement each
/// (defined by pg_store).
struct status_batch;
struct record_batch;
struct created_batch;

/// What the operations of one group share besides the transaction.
struct group_scope {
    /// Outstanding reservations per cluster, read once per group under the placement lock and
    /// kept current by each placement of the group (see pg_store).
    std::optional<reserved_map> reserved;
    /// Whether `reserved` was summed in this transaction (else it is a remembered view that
    /// may still count reservations released since: never less than the truth).
    bool reserved_exact = false;
    /// The reservation epoch `reserved` corresponds to, counting the group's own placements.
    std::int64_t reservation_epoch = 0;
    /// When `reserved` (or the view it continues) was last summed.
    std::chrono::steady_clock::time_point reserved_summed_at{};
    /// Run in order once the group's transaction has committed, never after a rollback.
    std::vector<std::function<void()>> after_commit;
    /// Run in order just before COMMIT: the statements deferred operations put off (each may
    /// throw, which fails the group like any statement).
    std::vector<std::function<void(pqxx::transaction_base&)>> before_commit;
    /// The status updates, new jobs and finished creations put off so far (see pg_store).
    std::shared_ptr<status_batch> statuses;
    std::shared_ptr<record_batch> records;
    std::shared_ptr<created_batch> created;
};

class commit_group {
public:
    /// `max_ops` bounds one group (its transaction's length and lock time).
    commit_group(db_pool& pool, std::size_t max_ops);
    commit_group(const commit_group&) = delete;
    commit_group& operator=(const commit_group&) = delete;

    template <class T>
    using body_fn = std::function<store_result<T>(pqxx::transaction_base&, group_scope&)>;

    /// Runs `body` in the next group and completes with its result once that group committed
    /// (or with the error that stopped it).
    template <class T>
    boost::asio::awaitable<store_result<T>> run(body_fn<T> body) {
        return start<T>(std::make_shared<typed_op<T>>(std::move(body)));
    }

    /// A deferred operation: `body` may hand its work to something that runs later in the same
    /// transaction (a batch flushed before COMMIT) and must see to it that `set_result` is
    /// called before COMMIT (an operation without a result fails as internal). The result is
    /// delivered, as for `run`, only once the group has committed. An error result must mean
    /// that nothing of this operation was written.
    template <class T>
    using deferred_body_fn = std::function<void(pqxx::transaction_base&, group_scope&,
                                                std::function<void(store_result<T>)> set_result)>;

    template <class T>
    boost::asio::awaitable<store_result<T>> run_deferred(deferred_body_fn<T> body) {
        return start<T>(std::make_shared<deferred_op<T>>(std::move(body)));
    }

    /// Groups committed so far and operations in them (for metrics and tests).
    std::size_t groups_committed() const;
    std::size_t ops_committed() const;

private:
    struct op_base {
        virtual ~op_base() = default;
        /// Runs the operation; an error result means nothing was written.
        virtual std::optional<store_error> execute(pqxx::transaction_base& tx,
                                                   group_scope& scope) = 0;
        /// Delivers the stored result (after COMMIT) or `error` (group failed).
        virtual void finish(std::optional<store_error> error) = 0;
    };

    template <class T>
    struct typed_op final : op_base {
        explicit typed_op(body_fn<T> b) : body(std::move(b)) {}
        std::optional<store_error> execute(pqxx::transaction_base& tx, group_scope& scope) override {
            result.emplace(body(tx, scope));
            return result->has_value() ? std::nullopt : std::optional(result->error());
        }
        void finish(std::optional<store_error> error) override {
            if (error) {
                complete(std::move(*error));
            } else {
                complete(std::move(*result));
            }
        }
        body_fn<T> body;
        std::optional<store_result<T>> result;
        std::function<void(store_result<T>)> complete;
    };

    template <class T>
    struct deferred_op final : op_base {
        explicit deferred_op(deferred_body_fn<T> b) : body(std::move(b)) {}
        std::optional<store_error> execute(pqxx::transaction_base& tx, group_scope& scope) override {
            result.reset();  // a re-run starts afresh
            body(tx, scope, [this](store_result<T> r) { result.emplace(std::move(r)); });
            return std::nullopt;
        }
        void finish(std::optional<store_error> error) override {
            if (error) {
                complete(std::move(*error));
            } else if (result) {
                complete(std::move(*result));
            } else {
                complete(store_error{store_errc::internal, "a deferred write never ran", ""});
            }
        }
        deferred_body_fn<T> body;
        std::optional<store_result<T>> result;
        std::function<void(store_result<T>)> complete;
    };

    /// The awaitable of `op`'s completion; awaiting it queues `op`. Not a coroutine itself
    /// (see db_pool::run: g++ 12 mishandles class-type parameters of coroutines), so the
    /// operation is moved straight into the initiation.
    template <class T, class Op>
    boost::asio::awaitable<store_result<T>> start(std::shared_ptr<Op> op) {
        return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                           void(store_result<T>)>(
            [this, op](auto handler) {
                auto executor = boost::asio::get_associated_executor(handler);
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                op->complete = [executor, shared](store_result<T> r) {
                    boost::asio::post(executor, [shared, r = std::move(r)]() mutable {
                        std::move (*shared)(std::move(r));
                    });
                };
                submit(op);
            },
            boost::asio::use_awaitable);
    }

    void submit(std::shared_ptr<op_base> op);
    /// Runs groups on a pool thread until the queue is empty.
    void drain();
    /// One transaction for `ops`; returns the error that aborted it, if any.
    std::optional<store_error> run_group(const std::vector<std::shared_ptr<op_base>>& ops);

    db_pool& pool_;
    const std::size_t max_ops_;
    mutable std::mutex mutex_;
    std::deque<std::shared_ptr<op_base>> queue_;
    bool draining_ = false;
    std::size_t groups_ = 0;
    std::size_t ops_ = 0;
};

}  // namespace broker::store
