#pragma once
/// Shared helpers of the store tests: a fresh migrated database per suite on the test binary's
/// PostgreSQL (tests/support/postgres.hpp), a synchronous bridge for the store's coroutines, and
/// a tiny GPU placement function standing in for the real solver.
///
/// Thread safety: `run_sync` may be called from any thread (it uses its own io_context).

#include "broker/store/migrations.hpp"
#include "broker/store/pg_store.hpp"
#include "tests/support/postgres.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <map>
#include <memory>
#include <string>

namespace broker::store::testing {

/// Runs one store coroutine to completion on a private io_context.
template <class T>
T run_sync(boost::asio::awaitable<T> op) {
    boost::asio::io_context ctx;
    auto fut = boost::asio::co_spawn(ctx, std::move(op), boost::asio::use_future);
    ctx.run();
    return fut.get();
}

/// Places a job needing `need` GPUs on the first cluster (by name) whose capacity minus
/// outstanding reservations still fits it; otherwise queues it with a reason.
inline placement_fn place_gpus(std::map<std::string, std::int64_t> capacity, std::int64_t need) {
    return
        [capacity = std::move(capacity), need](const std::string&, const reserved_map& reserved) {
            placement_decision d;
            for (const auto& [cluster, cap] : capacity) {
                const auto it = reserved.find(cluster);
                const std::int64_t used = it == reserved.end() ? 0 : it->second.gpus;
                if (cap - used >= need) {
                    d.placed = true;
                    d.reservations[cluster] = resources{need, 1000 * need, 0};
                    d.placement = {
                        {"strategy", "single"},
                        {"clusters", {{{"name", cluster}, {"replicas", 1}, {"gpus", need}}}}};
                    d.manifests = nlohmann::json::array({{{"kind", "Job"}}});
                    return d;
                }
            }
            d.message = "no cluster has " + std::to_string(need) + " free GPUs";
            return d;
        };
}

inline new_job make_job(std::string owner, std::string name, std::string ns = "default",
                        std::string type = "job") {
    new_job j;
    j.owner = std::move(owner);
    j.name = std::move(name);
    j.namespace_ = std::move(ns);
    j.job_type = std::move(type);
    j.form = {{"name", j.name}, {"jobType", j.job_type}};
    return j;
}

/// Base for suites that need a database: one fresh, migrated database per suite.
class store_suite : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto& pg = test_support::postgres_server::instance();
        url_ = pg.create_database("store");
        if (!url_.empty()) {
            auto report = migrate_database(url_);
            if (!report) {
                url_.clear();
            }
        }
    }

    void SetUp() override {
        if (url_.empty()) {
            GTEST_SKIP() << "no PostgreSQL: "
                         << test_support::postgres_server::instance().unavailable_reason();
        }
    }

    static db_pool_options options(std::size_t pool_size = 4) {
        db_pool_options o;
        o.database_url = url_;
        o.pool_size = pool_size;
        o.reconnect_backoff_initial = std::chrono::milliseconds(10);
        o.reconnect_backoff_max = std::chrono::milliseconds(200);
        return o;
    }

    std::unique_ptr<pg_store> make_store(std::size_t pool_size = 4) {
        return std::make_unique<pg_store>(options(pool_size));
    }

    static inline std::string url_;
};

}  // namespace broker::store::testing
