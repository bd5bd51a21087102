#include "proxy/backoff.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using proxy::backoff;
using proxy::backoff_policy;

TEST(backoff, caps_double_from_initial_delay_up_to_max_delay)
{
    const backoff b(backoff_policy{4, 100ms, 1000ms, 30000ms},
                    1);
    const std::vector<std::chrono::milliseconds> expected{100ms, 200ms, 400ms, 800ms, 1000ms,
                                                          1000ms};
    for (int i = 0; i < static_cast<int>(expected.size()); ++i) {
        EXPECT_EQ(b.cap(i), expected[static_cast<std::size_t>(i)]) << "retry " << i;
    }
    EXPECT_EQ(b.cap(1000), 1000ms) << "huge retry index does not overflow";
}

TEST(backoff, full_jitter_draws_within_cap_and_same_seed_gives_same_sequence)
{
    const backoff_policy policy{4, 50ms, 400ms, 30000ms};
    backoff a(policy, 42);
    backoff b(policy, 42);
    bool any_below_cap = false;
    for (int i = 0; i < 200; ++i) {
        const auto retry = i % 6;
        const auto da = a.delay(retry);
        EXPECT_EQ(da, b.delay(retry));
        EXPECT_GE(da.count(), 0);
        EXPECT_LE(da, a.cap(retry));
        any_below_cap = any_below_cap || da < a.cap(retry);
    }
    EXPECT_TRUE(any_below_cap) << "jitter spreads delays below the cap";
}

TEST(backoff, zero_initial_delay_means_immediate_retries)
{
    backoff b(backoff_policy{3, 0ms, 0ms, 30000ms}, 7);
    EXPECT_EQ(b.delay(0), 0ms);
    EXPECT_EQ(b.delay(5), 0ms);
}

struct retry_after_case {
    std::string name;
    std::string value;
    std::optional<std::chrono::seconds> expected;

    friend void PrintTo(const retry_after_case& c, std::ostream* os) { *os << c.name; }
};

class parse_retry_after_table : public testing::TestWithParam<retry_after_case> {};

TEST_P(parse_retry_after_table, parses_delta_seconds_only)
{
    EXPECT_EQ(proxy::parse_retry_after(GetParam().value), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    values, parse_retry_after_table,
    testing::Values(retry_after_case{"seconds_3", "3", 3s},
                    retry_after_case{"zero", "0", 0s},
                    retry_after_case{"blanks_around_7", " 7 ", 7s},
                    retry_after_case{"more_than_a_day_is_clamped", "999999", 86400s},
                    retry_after_case{"http_date_is_ignored", "Wed, 21 Oct 2015 07:28:00 GMT",
                                     std::nullopt},
                    retry_after_case{"negative", "-1", std::nullopt},
                    retry_after_case{"empty", "", std::nullopt},
                    retry_after_case{"fraction", "1.5", std::nullopt},
                    retry_after_case{"overlong_digits", "12345678901234567890", std::nullopt}),
    [](const auto& param_info) { return param_info.param.name; });

}  // namespace
