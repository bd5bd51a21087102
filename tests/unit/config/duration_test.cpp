#include "config/duration.hpp"

#include <gtest/gtest.h>

namespace config {
namespace {

using std::chrono::milliseconds;

struct duration_case {
    const char* text;
    std::optional<milliseconds> expected;
};

TEST(parse_duration, accepts_go_style_and_rejects_the_rest) {
    const duration_case cases[] = {
        {"500ms", milliseconds(500)}, {"2s", milliseconds(2000)},
        {"1m", milliseconds(60'000)}, {"1h30m", milliseconds(5'400'000)},
        {"1.5s", milliseconds(1500)}, {"0", milliseconds(0)},
        {"250us", milliseconds(0)},   {"2x", std::nullopt},
        {"", std::nullopt},           {"5", std::nullopt},
        {"-1s", std::nullopt},        {"s", std::nullopt},
        {"1.2.3s", std::nullopt},     {"100000000h", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(parse_duration(c.text), c.expected) << c.text;
    }
}

TEST(format_duration, shortest_exact_unit) {
    EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
    EXPECT_EQ(format_duration(milliseconds(2000)), "2s");
    EXPECT_EQ(format_duration(milliseconds(60'000)), "1m");
    EXPECT_EQ(format_duration(milliseconds(7'200'000)), "2h");
    EXPECT_EQ(format_duration(milliseconds(0)), "0ms");
}

}  // namespace
}  // namespace config
