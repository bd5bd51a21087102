#include "broker/store/commit_group.hpp"

#include "tests/unit/broker/store/store_fixture.hpp"

#include <boost/asio/post.hpp>
#include <pqxx/pqxx>

#include <future>
#include <vector>

namespace broker::store::testing {
namespace {

class commit_group_test : public store_suite {};

TEST_F(commit_group_test, no_group_holds_more_than_its_limit_of_operations) {
    db_pool pool(options(2));
    commit_group group(pool, 4);
    constexpr int count = 10;
    boost::asio::io_context ctx;
    // The first operation waits until all ten are queued, so only the limit can split the rest.
    std::promise<void> all_queued;
    auto queued = all_queued.get_future().share();
    std::vector<std::future<store_result<int>>> results;
    for (int i = 0; i < count; ++i) {
        commit_group::body_fn<int> body = [i, queued](pqxx::transaction_base& tx,
                                                      group_scope&) -> store_result<int> {
            if (i == 0) {
                queued.wait();
            }
            return tx.exec1("SELECT " + std::to_string(i))[0].as<int>();
        };
        results.push_back(
            boost::asio::co_spawn(ctx, group.run<int>(std::move(body)), boost::asio::use_future));
    }
    boost::asio::post(ctx, [&] { all_queued.set_value(); });
    ctx.run();
    for (int i = 0; i < count; ++i) {
        auto r = results[static_cast<std::size_t>(i)].get();
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(*r, i);
    }
    EXPECT_EQ(group.ops_committed(), static_cast<std::size_t>(count));
    // Groups of at most 4: ten operations need three groups or more.
    EXPECT_GE(group.groups_committed(), 3u);
}

TEST_F(commit_group_test, after_commit_steps_run_once_committed_and_never_after_a_rollback) {
    db_pool pool(options(2));
    commit_group group(pool, 8);
    boost::asio::io_context ctx;
    int committed_steps = 0;
    commit_group::body_fn<int> ok = [&](pqxx::transaction_base& tx,
                                        group_scope& scope) -> store_result<int> {
        scope.after_commit.push_back([&] { ++committed_steps; });
        return tx.exec1("SELECT 1")[0].as<int>();
    };
    auto first = boost::asio::co_spawn(ctx, group.run<int>(ok), boost::asio::use_future);
    ctx.run();
    ASSERT_TRUE(first.get());
    EXPECT_EQ(committed_steps, 1);

    // A statement error aborts the transaction: the group is re-run one operation at a time,
    // and the step the aborted attempt registered must not run.
    int aborted_steps = 0;
    commit_group::body_fn<int> bad = [&](pqxx::transaction_base& tx,
                                         group_scope& scope) -> store_result<int> {
        scope.after_commit.push_back([&] { ++aborted_steps; });
        return tx.exec1("SELECT 1 / 0")[0].as<int>();
    };
    ctx.restart();
    auto second = boost::asio::co_spawn(ctx, group.run<int>(bad), boost::asio::use_future);
    ctx.run();
    EXPECT_FALSE(second.get());
    EXPECT_EQ(aborted_steps, 0);
    EXPECT_EQ(committed_steps, 1);
}

}  // namespace
}  // namespace broker::store::testing
