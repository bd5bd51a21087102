#include "broker/store/commit_group.hpp"

#include <pqxx/pqxx>

namespace broker::store {

commit_group::commit_group(db_pool& pool, std::size_t max_ops)
    : pool_(pool), max_ops_(std::max<std::size_t>(1, max_ops)) {}

std::size_t commit_group::groups_committed() const {
    std::lock_guard lock(mutex_);
    return groups_;
}

std::size_t commit_group::ops_committed() const {
    std::lock_guard lock(mutex_);
    return ops_;
}

void commit_group::submit(std::shared_ptr<op_base> op) {
    bool start = false;
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(op));
        start = !std::exchange(draining_, true);
    }
    // One drainer at a time: while its group commits, newcomers queue up and form the next
    // group, which is what makes the groups grow with the load.
    if (start) {
        pool_.post([this] { drain(); });
    }
}

void commit_group::drain() {
    for (;;) {
        std::vector<std::shared_ptr<op_base>> ops;
        {
            std::lock_guard lock(mutex_);
            if (queue_.empty()) {
                draining_ = false;
                return;
            }
            while (!queue_.empty() && ops.size() < max_ops_) {
                ops.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        auto failure = run_group(ops);
        const bool maybe_one_op = failure && (failure->code == store_errc::internal ||
                                              failure->code == store_errc::conflict);
        if (maybe_one_op && ops.size() > 1) {
            // One operation may be bad for the database (a constraint, a bug): find out whose
            // by running each alone. Not for an outage or a timeout, which would only repeat
            // once per operation (a lock wait of statement_timeout each, one after another).
            for (const auto& op : ops) {
                auto alone = run_group({op});
                if (!alone) {
                    std::lock_guard lock(mutex_);
                    ++groups_;
                    ++ops_;
                }
                op->finish(std::move(alone));
            }
            continue;
        }
        {
            std::lock_guard lock(mutex_);
            if (!failure) {
                ++groups_;
                ops_ += ops.size();
            }
        }
        for (const auto& op : ops) {
            op->finish(failure);
        }
    }
}

std::optional<store_error> commit_group::run_group(
    const std::vector<std::shared_ptr<op_base>>& ops) {
    auto outcome = pool_.run_blocking<void>(
        [&ops](pqxx::connection_base& c) -> store_result<void> {
            // A re-run after a transient failure starts from nothing.
            group_scope scope;
            pqxx::work tx(c);
            for (const auto& op : ops) {
                // An operation's own error wrote nothing: it is delivered to its caller by
                // finish(), and the rest of the group goes on.
                (void)op->execute(tx, scope);
            }
            for (const auto& step : scope.before_commit) {
                step(tx);
            }
            tx.commit();
            for (const auto& done : scope.after_commit) {
                done();
            }
            return {};
        });
    if (!outcome) {
        return outcome.error();
    }
    return std::nullopt;
}

}  // namespace broker::store
