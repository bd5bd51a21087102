#include "broker/store/migrations.hpp"
#include "tests/support/postgres.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace broker::store {
namespace {

class migrations_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto& pg = test_support::postgres_server::instance();
        url_ = pg.create_database("migrations");
        if (url_.empty()) {
            GTEST_SKIP() << "no PostgreSQL: " << pg.unavailable_reason();
        }
    }
    std::string url_;
};

TEST(migrations_list, versions_strictly_increase_and_have_names) {
    const auto& list = all_migrations();
    ASSERT_FALSE(list.empty());
    for (std::size_t i = 0; i < list.size(); ++i) {
        EXPECT_FALSE(list[i].name.empty()) << "version " << list[i].version;
        EXPECT_FALSE(list[i].sql.empty()) << "version " << list[i].version;
        if (i > 0) {
            EXPECT_GT(list[i].version, list[i - 1].version);
        }
    }
}

TEST_F(migrations_test, fresh_database_gets_every_version_then_nothing_on_second_run) {
    auto first = migrate_database(url_);
    ASSERT_TRUE(first) << first.error().message << " " << first.error().detail;
    std::vector<int> all;
    for (const auto& m : all_migrations()) {
        all.push_back(m.version);
    }
    EXPECT_EQ(first->applied, all);
    EXPECT_EQ(first->current_version, all.back());

    auto second = migrate_database(url_);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_TRUE(second->applied.empty());
    EXPECT_EQ(second->current_version, all.back());
}

TEST_F(migrations_test, eight_concurrent_runners_apply_each_version_exactly_once) {
    constexpr int runners = 8;
    std::mutex m;
    std::vector<int> applied;
    int failures = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < runners; ++i) {
        threads.emplace_back([&] {
            auto r = migrate_database(url_);
            std::lock_guard lock(m);
            if (!r) {
                ++failures;
                return;
            }
            applied.insert(applied.end(), r->applied.begin(), r->applied.end());
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(failures, 0);
    std::sort(applied.begin(), applied.end());
    std::vector<int> expected;
    for (const auto& mig : all_migrations()) {
        expected.push_back(mig.version);
    }
    EXPECT_EQ(applied, expected);
}

TEST(migrations_unavailable, unreachable_database_is_unavailable) {
    auto r = migrate_database("postgresql:///nodb?host=/nonexistent-socket-dir&port=1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, store_errc::unavailable);
}

}  // namespace
}  // namespace broker::store
