#include "broker/server/url.hpp"

#include <gtest/gtest.h>

namespace {

using broker::server::parse_target;
using broker::server::percent_decode;
using broker::server::percent_encode;

TEST(url, query_parameters_are_decoded_in_order)
{
    auto t = parse_target("/api/v1/pods?labelSelector=app%3Dweb%2Ctier+in+(a)&limit=500&watch");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/api/v1/pods");
    ASSERT_EQ(t->query.items.size(), 3u);
    EXPECT_EQ(t->query.value_or("labelSelector", ""), "app=web,tier in (a)");
    EXPECT_EQ(t->query.value_or("limit", ""), "500");
    EXPECT_TRUE(t->query.has("watch"));
    EXPECT_EQ(t->query.value_or("watch", "x"), "");
}

TEST(url, encoded_slash_stays_inside_its_segment)
{
    auto t = parse_target("/a/b%2Fc//d/");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->segments, (std::vector<std::string>{"a", "b/c", "d"}));
}

TEST(url, malformed_targets_are_rejected)
{
    EXPECT_FALSE(parse_target(""));
    EXPECT_FALSE(parse_target("http://host/x"));
    EXPECT_FALSE(parse_target("/a%2"));
    EXPECT_FALSE(parse_target("/a%zz"));
    EXPECT_FALSE(parse_target("/a%00b"));
    EXPECT_FALSE(parse_target("/a?x=%G1"));
}

TEST(url, encode_then_decode_round_trips)
{
    const std::string raw = "ns/pod name?&=%+é";
    auto enc = percent_encode(raw);
    EXPECT_EQ(enc.find_first_of("/?&= +"), std::string::npos);
    EXPECT_EQ(percent_decode(enc, false).value_or(""), raw);
    EXPECT_EQ(percent_encode("a/b", true), "a/b");
}

} // namespace
