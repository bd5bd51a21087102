#include "broker/auth/token_cache.hpp"

#include <gtest/gtest.h>

namespace {

using broker::auth::principal;
using broker::auth::token_cache;

principal alice()
{
    principal p;
    p.user = "alice";
    p.roles = {"admin"};
    return p;
}

struct lookup_case {
    const char* name;
    std::int64_t exp;
    std::int64_t now;
    bool hit;
};

class token_cache_lookup : public ::testing::TestWithParam<lookup_case> {};

TEST_P(token_cache_lookup, hits_only_until_exp)
{
    const auto& c = GetParam();
    token_cache cache;
    cache.remember("t.o.k", alice(), c.exp, 0);
    auto found = cache.find("t.o.k", c.now);
    EXPECT_EQ(found.has_value(), c.hit);
    if (found) {
        EXPECT_EQ(found->user, "alice");
        EXPECT_TRUE(found->is_admin());
    }
    EXPECT_FALSE(cache.find("t.o.x", c.now).has_value());  // another token never hits
}

INSTANTIATE_TEST_SUITE_P(times, token_cache_lookup,
                         ::testing::Values(lookup_case{"before_exp", 100, 50, true},
                                           lookup_case{"at_exp", 100, 100, true},
                                           lookup_case{"after_exp", 100, 101, false}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(token_cache, full_cache_drops_expired_entries_then_everything)
{
    token_cache cache(2);
    cache.remember("a", alice(), 10, 0);
    cache.remember("b", alice(), 100, 0);
    cache.remember("c", alice(), 100, 50);  // full: "a" expired at 50 and goes
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_FALSE(cache.find("a", 5).has_value());
    cache.remember("d", alice(), 100, 50);  // full of live entries: cleared, then "d"
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_TRUE(cache.find("d", 60).has_value());
}

struct expiry_case {
    const char* name;
    std::string payload_json;
    std::optional<std::int64_t> exp;
};

class token_expiry_of : public ::testing::TestWithParam<expiry_case> {};

TEST_P(token_expiry_of, reads_the_integer_exp_claim)
{
    const auto& c = GetParam();
    const auto token = "e30." + broker::auth::base64url_encode(c.payload_json) + ".sig";
    EXPECT_EQ(broker::auth::token_expiry(token), c.exp);
}

INSTANTIATE_TEST_SUITE_P(
    payloads, token_expiry_of,
    ::testing::Values(expiry_case{"integer_exp", R"({"sub":"a","exp":1700000000})", 1700000000},
                      expiry_case{"no_exp", R"({"sub":"a"})", std::nullopt},
                      expiry_case{"string_exp", R"({"exp":"1"})", std::nullopt},
                      expiry_case{"not_json", "x", std::nullopt}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(token_expiry, token_without_two_dots_has_none)
{
    EXPECT_EQ(broker::auth::token_expiry("abc.def"), std::nullopt);
}

}  // namespace
