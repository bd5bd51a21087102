#include "config/base64.hpp"

#include <gtest/gtest.h>

namespace config {
namespace {

TEST(base64, round_trips_every_length_mod_three) {
    for (std::string s : {"", "a", "ab", "abc", "abcd", "\x01\xff\x80 binary"}) {
        EXPECT_EQ(base64_decode(base64_encode(s)), s) << s;
    }
    EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
}

TEST(base64, decoding_is_strict) {
    EXPECT_EQ(base64_decode("aGVs\nbG8="), "hello");  // line breaks are ignored
    EXPECT_EQ(base64_decode("aGVsbG8"), "hello");     // unpadded is accepted
    EXPECT_EQ(base64_decode("aGVsbG8=x"), std::nullopt);
    EXPECT_EQ(base64_decode("a"), std::nullopt);
    EXPECT_EQ(base64_decode("not base64!"), std::nullopt);
    EXPECT_EQ(base64_decode("aGVsbG8==="), std::nullopt);
}

}  // namespace
}  // namespace config
