// Cases follow k8s.io/apimachinery/pkg/api/resource/quantity_test.go (TestQuantityParse,
// TestQuantityString, TestQuantityParseEmit, TestNewSet, TestMilliNewSet) with the canonical
// strings Quantity.String() gives for them.
#include "propagation/quantity/quantity.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace propagation {
namespace {

using fmt = quantity::format;

/// A gtest case name that states the input: "1.5Gi" → "7_1p5Gi" (index first, for uniqueness).
std::string case_name(std::size_t index, const std::string& input) {
    std::string out = std::to_string(index) + "_";
    for (char c : input.substr(0, 40)) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            out += c;
        } else if (c == '.') {
            out += 'p';
        } else if (c == '-') {
            out += "minus";
        } else if (c == '+') {
            out += "plus";
        } else {
            out += 'x';
        }
    }
    return out;
}

struct parse_case {
    std::string input;
    std::string canonical;
    fmt format;
};

class parse_canonical : public testing::TestWithParam<parse_case> {};

TEST_P(parse_canonical, prints_the_canonical_form_with_the_remembered_format) {
    const auto& c = GetParam();
    auto q = quantity::parse(c.input);
    ASSERT_TRUE(q.has_value()) << c.input << ": " << q.error().message;
    EXPECT_EQ(q->to_string(), c.canonical) << c.input;
    EXPECT_EQ(q->fmt(), c.format) << c.input;

    // The canonical form parses to the same value and prints itself.
    auto again = quantity::parse(q->to_string());
    ASSERT_TRUE(again.has_value()) << q->to_string();
    EXPECT_EQ(*again, *q);
    EXPECT_EQ(again->to_string(), c.canonical);

    // An explicit "+" changes nothing; a "-" negates (zero stays "0").
    auto plus = quantity::parse("+" + c.input);
    ASSERT_TRUE(plus.has_value());
    EXPECT_EQ(plus->to_string(), c.canonical);
    auto minus = quantity::parse("-" + c.input);
    ASSERT_TRUE(minus.has_value());
    EXPECT_EQ(minus->to_string(), c.canonical == "0" ? "0" : "-" + c.canonical);
    EXPECT_EQ(minus->sign(), -q->sign());
}

INSTANTIATE_TEST_SUITE_P(
    kubernetes_cases, parse_canonical,
    testing::Values(
        // zeros keep the suffix's format but print "0"
        parse_case{"0", "0", fmt::decimal_si}, parse_case{"0n", "0", fmt::decimal_si},
        parse_case{"0u", "0", fmt::decimal_si}, parse_case{"0m", "0", fmt::decimal_si},
        parse_case{"0Ki", "0", fmt::binary_si}, parse_case{"0k", "0", fmt::decimal_si},
        parse_case{"0Mi", "0", fmt::binary_si}, parse_case{"0M", "0", fmt::decimal_si},
        parse_case{"0Gi", "0", fmt::binary_si}, parse_case{"0T", "0", fmt::decimal_si},
        parse_case{"000", "0", fmt::decimal_si}, parse_case{"0.000e5", "0", fmt::decimal_exponent},
        parse_case{"1", "1", fmt::decimal_si},
        // binary suffixes
        parse_case{"1Ki", "1Ki", fmt::binary_si}, parse_case{"8Ki", "8Ki", fmt::binary_si},
        parse_case{"7Mi", "7Mi", fmt::binary_si}, parse_case{"6Gi", "6Gi", fmt::binary_si},
        parse_case{"5Ti", "5Ti", fmt::binary_si}, parse_case{"4Pi", "4Pi", fmt::binary_si},
        parse_case{"3Ei", "3Ei", fmt::binary_si}, parse_case{"10Ti", "10Ti", fmt::binary_si},
        parse_case{"100Ti", "100Ti", fmt::binary_si},
        parse_case{"1024Mi", "1Gi", fmt::binary_si}, parse_case{"1536Mi", "1536Mi", fmt::binary_si},
        parse_case{"1.5Gi", "1536Mi", fmt::binary_si}, parse_case{"0.5Gi", "512Mi", fmt::binary_si},
        parse_case{"0.5Mi", "512Ki", fmt::binary_si}, parse_case{"1025", "1025", fmt::decimal_si},
        parse_case{"1025Ki", "1025Ki", fmt::binary_si},
        // decimal suffixes
        parse_case{"5n", "5n", fmt::decimal_si}, parse_case{"4u", "4u", fmt::decimal_si},
        parse_case{"3m", "3m", fmt::decimal_si}, parse_case{"9", "9", fmt::decimal_si},
        parse_case{"8k", "8k", fmt::decimal_si}, parse_case{"50k", "50k", fmt::decimal_si},
        parse_case{"7M", "7M", fmt::decimal_si}, parse_case{"6G", "6G", fmt::decimal_si},
        parse_case{"5T", "5T", fmt::decimal_si}, parse_case{"40T", "40T", fmt::decimal_si},
        parse_case{"300T", "300T", fmt::decimal_si}, parse_case{"2P", "2P", fmt::decimal_si},
        parse_case{"1E", "1E", fmt::decimal_si}, parse_case{"1000M", "1G", fmt::decimal_si},
        parse_case{"1000m", "1", fmt::decimal_si}, parse_case{"100000k", "100M", fmt::decimal_si},
        parse_case{"1500m", "1500m", fmt::decimal_si}, parse_case{"1.5", "1500m", fmt::decimal_si},
        parse_case{"0.1", "100m", fmt::decimal_si}, parse_case{"1.500k", "1500", fmt::decimal_si},
        parse_case{"01", "1", fmt::decimal_si},
        // decimal exponents
        parse_case{"1E-3", "1e-3", fmt::decimal_exponent},
        parse_case{"1e3", "1e3", fmt::decimal_exponent},
        parse_case{"1E6", "1e6", fmt::decimal_exponent},
        parse_case{"1e9", "1e9", fmt::decimal_exponent},
        parse_case{"1E12", "1e12", fmt::decimal_exponent},
        parse_case{"1e15", "1e15", fmt::decimal_exponent},
        parse_case{"1E18", "1e18", fmt::decimal_exponent},
        parse_case{"1e14", "100e12", fmt::decimal_exponent},
        parse_case{"1e13", "10e12", fmt::decimal_exponent},
        parse_case{"1e+3", "1e3", fmt::decimal_exponent},
        parse_case{"1e0", "1", fmt::decimal_exponent},
        parse_case{"1e003", "1e3", fmt::decimal_exponent},
        parse_case{"100.035k", "100035", fmt::decimal_si},
        // things that look like floating point
        parse_case{"0.001", "1m", fmt::decimal_si}, parse_case{"0.0005k", "500m", fmt::decimal_si},
        parse_case{"0.005", "5m", fmt::decimal_si}, parse_case{"0.05", "50m", fmt::decimal_si},
        parse_case{"0.5", "500m", fmt::decimal_si}, parse_case{"0.00050k", "500m", fmt::decimal_si},
        parse_case{"0.00500", "5m", fmt::decimal_si}, parse_case{"0.50000", "500m", fmt::decimal_si},
        parse_case{"0.5e0", "500e-3", fmt::decimal_exponent},
        parse_case{"0.5e-1", "50e-3", fmt::decimal_exponent},
        parse_case{"0.5e-2", "5e-3", fmt::decimal_exponent},
        parse_case{"10.035M", "10035k", fmt::decimal_si},
        parse_case{"1.2e3", "1200", fmt::decimal_exponent},
        parse_case{"1.3E+6", "1300e3", fmt::decimal_exponent},
        parse_case{"1.40e9", "1400e6", fmt::decimal_exponent},
        parse_case{"1.53E12", "1530e9", fmt::decimal_exponent},
        parse_case{"1.6e15", "1600e12", fmt::decimal_exponent},
        parse_case{"1.7E18", "1700e15", fmt::decimal_exponent},
        parse_case{"9.01", "9010m", fmt::decimal_si}, parse_case{"8.1k", "8100", fmt::decimal_si},
        parse_case{"7.123456M", "7123456", fmt::decimal_si},
        parse_case{"6.987654321G", "6987654321", fmt::decimal_si},
        parse_case{"5.444T", "5444G", fmt::decimal_si}, parse_case{"40.1T", "40100G", fmt::decimal_si},
        parse_case{"300.2T", "300200G", fmt::decimal_si},
        parse_case{"2.5P", "2500T", fmt::decimal_si}, parse_case{"1.01E", "1010P", fmt::decimal_si},
        // values finer than 1n round up (away from zero)
        parse_case{"3.001n", "4n", fmt::decimal_si},
        parse_case{"1.1E-9", "2e-9", fmt::decimal_exponent},
        parse_case{"0.0000000001", "1n", fmt::decimal_si},
        parse_case{"0.0000000005", "1n", fmt::decimal_si},
        parse_case{"0.00000000050", "1n", fmt::decimal_si},
        parse_case{"0.5e-9", "1e-9", fmt::decimal_exponent},
        parse_case{"0.9n", "1n", fmt::decimal_si},
        parse_case{"0.00000012345", "124n", fmt::decimal_si},
        parse_case{"0.00000012354", "124n", fmt::decimal_si},
        parse_case{"1e-2147483648", "1e-9", fmt::decimal_exponent},
        // fractional binary quantities
        parse_case{"100.035Ki", "102435840m", fmt::binary_si},
        parse_case{"0.05Gi", "53687091200m", fmt::binary_si},
        parse_case{"0.025Ti", "27487790694400m", fmt::binary_si},
        parse_case{".001Ki", "1024m", fmt::binary_si},
        parse_case{".000001Ki", "1024u", fmt::decimal_si},
        parse_case{".000000001Ki", "1024n", fmt::decimal_si},
        // things written by trolls
        parse_case{"0.000000000001Ki", "2n", fmt::decimal_si},
        parse_case{".000000000001Ki", "2n", fmt::decimal_si},
        parse_case{".001", "1m", fmt::decimal_si}, parse_case{".0001k", "100m", fmt::decimal_si},
        parse_case{"1.", "1", fmt::decimal_si}, parse_case{"1.G", "1G", fmt::decimal_si},
        // the int64 limits
        parse_case{"9223372036854775807", "9223372036854775807", fmt::decimal_si},
        parse_case{"7Ei", "7Ei", fmt::binary_si},
        parse_case{"9E", "9E", fmt::decimal_si},
        parse_case{"9223372036854775807000m", "9223372036854775807", fmt::decimal_si}),
    [](const auto& p) { return case_name(p.index, p.param.input); });

struct invalid_case {
    std::string input;
    std::string message_part;
};

class parse_invalid : public testing::TestWithParam<invalid_case> {};

TEST_P(parse_invalid, is_rejected_with_a_reason) {
    const auto& c = GetParam();
    auto q = quantity::parse(c.input);
    ASSERT_FALSE(q.has_value()) << c.input << " parsed as " << q->to_string();
    EXPECT_EQ(q.error().code, errc::invalid);
    ASSERT_EQ(q.error().causes.size(), 1u);
    EXPECT_NE(q.error().causes[0].message.find(c.message_part), std::string::npos)
        << c.input << ": " << q.error().causes[0].message;
}

const std::string format_wrong = "must match the regular expression";
const std::string suffix_wrong = "unable to parse quantity's suffix";
const std::string numeric_wrong = "unable to parse numeric part";
const std::string too_large = "too large";

INSTANTIATE_TEST_SUITE_P(
    kubernetes_and_range_cases, parse_invalid,
    testing::Values(
        // Kubernetes' own invalid list
        invalid_case{"1.1.M", format_wrong}, invalid_case{"1+1.0M", format_wrong},
        invalid_case{"0.1mi", suffix_wrong}, invalid_case{"0.1am", format_wrong},
        invalid_case{"aoeu", format_wrong}, invalid_case{".5i", suffix_wrong},
        invalid_case{"1i", suffix_wrong}, invalid_case{"-3.01i", suffix_wrong},
        invalid_case{"-3.01e-", suffix_wrong}, invalid_case{" 1", format_wrong},
        invalid_case{"1 ", format_wrong}, invalid_case{"", format_wrong},
        // other malformed suffixes
        invalid_case{"1e", suffix_wrong}, invalid_case{"1K", suffix_wrong},
        invalid_case{"1ki", suffix_wrong}, invalid_case{"1Ee3", suffix_wrong},
        invalid_case{"1e1.5", format_wrong}, invalid_case{"1m3", suffix_wrong},
        invalid_case{"1e99999999999999999999", suffix_wrong},
        invalid_case{"1e2147483648", suffix_wrong},
        invalid_case{"1Gi\n", format_wrong}, invalid_case{"1,5", format_wrong},
        // numbers without a digit (ParseQuantity reads these as 0; the OpenAPI pattern rejects)
        invalid_case{"-", numeric_wrong}, invalid_case{"+", numeric_wrong},
        invalid_case{".", numeric_wrong}, invalid_case{"k", numeric_wrong},
        invalid_case{"Ki", numeric_wrong}, invalid_case{"-.e3", numeric_wrong},
        // beyond int64 base units (Kubernetes keeps "12E" in inf.Dec, caps "9Ei" silently)
        invalid_case{"9223372036854775808", too_large}, invalid_case{"12E", too_large},
        invalid_case{"9Ei", too_large}, invalid_case{"8Ei", too_large},
        invalid_case{"9223372036854775807Ki", too_large}, invalid_case{"1e19", too_large},
        invalid_case{"1e2147483647", too_large},
        invalid_case{"-9223372036854775809", too_large},
        invalid_case{std::string(300, '1'), "too long"}),
    [](const auto& p) { return case_name(p.index, p.param.input); });

TEST(quantity, the_most_negative_int64_is_in_range) {
    auto q = quantity::parse("-9223372036854775808");
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->value(), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(q->milli_value(), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(q->to_string(), "-9223372036854775808");
}

struct construct_case {
    std::string name;
    quantity q;
    std::string canonical;
};

class constructed : public testing::TestWithParam<construct_case> {};

TEST_P(constructed, prints_like_kubernetes) {
    EXPECT_EQ(GetParam().q.to_string(), GetParam().canonical);
}

INSTANTIATE_TEST_SUITE_P(
    new_quantity_and_milli_quantity, constructed,
    testing::Values(
        construct_case{"int_1Gi_binary", quantity::from_int(1 << 30, fmt::binary_si), "1Gi"},
        construct_case{"int_300Mi_binary", quantity::from_int(300 << 20, fmt::binary_si), "300Mi"},
        construct_case{"int_6Ki_binary", quantity::from_int(6 * 1024, fmt::binary_si), "6Ki"},
        construct_case{"int_1001Gi_binary",
                       quantity::from_int(std::int64_t{1001} << 30, fmt::binary_si), "1001Gi"},
        construct_case{"int_1Ti_binary", quantity::from_int(std::int64_t{1} << 40, fmt::binary_si),
                       "1Ti"},
        construct_case{"int_5_binary", quantity::from_int(5, fmt::binary_si), "5"},
        construct_case{"milli_500_binary", quantity::from_milli(500, fmt::binary_si), "500m"},
        construct_case{"int_1e9_decimal", quantity::from_int(1'000'000'000), "1G"},
        construct_case{"milli_1_decimal", quantity::from_milli(1), "1m"},
        construct_case{"milli_80_decimal", quantity::from_milli(80), "80m"},
        construct_case{"milli_1080_decimal", quantity::from_milli(1080), "1080m"},
        construct_case{"int_1234567M", quantity::from_int(1'234'567'000'000), "1234567M"},
        construct_case{"milli_1234567_binary", quantity::from_milli(1'234'567, fmt::binary_si),
                       "1234567m"},
        construct_case{"int_3000", quantity::from_int(3000), "3k"},
        construct_case{"int_1025_binary", quantity::from_int(1025, fmt::binary_si), "1025"},
        construct_case{"int_0_binary", quantity::from_int(0, fmt::binary_si), "0"},
        construct_case{"int_1e9_exponent", quantity::from_int(1'000'000'000, fmt::decimal_exponent),
                       "1e9"},
        construct_case{"milli_1_exponent", quantity::from_milli(1, fmt::decimal_exponent), "1e-3"},
        construct_case{"milli_80_exponent", quantity::from_milli(80, fmt::decimal_exponent),
                       "80e-3"},
        construct_case{"int_300e6_exponent", quantity::from_int(300'000'000, fmt::decimal_exponent),
                       "300e6"},
        construct_case{"milli_1000", quantity::from_milli(1000), "1"},
        construct_case{"milli_1234000", quantity::from_milli(1'234'000), "1234"},
        construct_case{"milli_1024_binary", quantity::from_milli(1024, fmt::binary_si), "1024m"},
        construct_case{"milli_1048576_binary", quantity::from_milli(1 << 20, fmt::binary_si),
                       "1048576m"},
        construct_case{"milli_1000000_exponent", quantity::from_milli(1'000'000, fmt::decimal_exponent),
                       "1e3"},
        construct_case{"int_1000", quantity::from_int(1000), "1k"},
        construct_case{"int_1234000", quantity::from_int(1'234'000), "1234k"},
        construct_case{"int_1024_binary", quantity::from_int(1024, fmt::binary_si), "1Ki"},
        construct_case{"int_1000000_exponent", quantity::from_int(1'000'000, fmt::decimal_exponent),
                       "1e6"},
        construct_case{"int_1048576_binary", quantity::from_int(1 << 20, fmt::binary_si), "1Mi"},
        construct_case{"int_minus_9010m", quantity::from_milli(-9010), "-9010m"},
        construct_case{"int_minus_1Gi", quantity::from_int(-(1 << 30), fmt::binary_si), "-1Gi"}),
    [](const auto& p) { return p.param.name; });

struct rounding_case {
    std::string input;
    std::int64_t value;
    std::int64_t milli;
};

class rounding : public testing::TestWithParam<rounding_case> {};

TEST_P(rounding, value_and_milli_value_round_away_from_zero) {
    auto q = quantity::parse(GetParam().input);
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(q->value(), GetParam().value) << GetParam().input;
    EXPECT_EQ(q->milli_value(), GetParam().milli) << GetParam().input;
}

constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();

INSTANTIATE_TEST_SUITE_P(
    value_and_milli_value, rounding,
    testing::Values(rounding_case{"0", 0, 0}, rounding_case{"1500m", 2, 1500},
                    rounding_case{"-1500m", -2, -1500}, rounding_case{"1n", 1, 1},
                    rounding_case{"-1n", -1, -1}, rounding_case{"0.1", 1, 100},
                    rounding_case{"9.01", 10, 9010}, rounding_case{"1Ki", 1024, 1024000},
                    rounding_case{"1.5Gi", 1610612736, 1610612736000},
                    rounding_case{"1e3", 1000, 1000000}, rounding_case{"2.0001m", 1, 3},
                    rounding_case{"9223372036854775807", int64_max, int64_max},
                    rounding_case{"9223372036854775806.5", int64_max, int64_max}),
    [](const auto& p) { return case_name(p.index, p.param.input); });

struct compare_case {
    std::string a;
    std::string b;
    int expected;
};

class comparing : public testing::TestWithParam<compare_case> {};

TEST_P(comparing, compares_values_not_formats) {
    auto a = quantity::parse(GetParam().a);
    auto b = quantity::parse(GetParam().b);
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_EQ(compare(*a, *b), GetParam().expected);
    EXPECT_EQ(compare(*b, *a), -GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    kubernetes_cmp, comparing,
    testing::Values(compare_case{"0", "0", 0}, compare_case{"100m", "50m", 1},
                    compare_case{"50m", "100m", -1}, compare_case{"10000T", "100Gi", 1},
                    compare_case{"1Gi", "1024Mi", 0}, compare_case{"1k", "1000", 0},
                    compare_case{"1e3", "1k", 0}, compare_case{"0Ki", "0m", 0},
                    compare_case{"-1", "1n", -1}, compare_case{"1Gi", "1G", 1}),
    [](const auto& p) { return case_name(p.index, p.param.a + "_vs_" + p.param.b); });

TEST(quantity, add_sums_exactly_and_keeps_the_first_non_zero_format) {
    auto sum = quantity::add(*quantity::parse("1"), *quantity::parse("500m"));
    ASSERT_TRUE(sum.has_value());
    EXPECT_EQ(sum->to_string(), "1500m");

    auto from_zero = quantity::add(*quantity::parse("0"), *quantity::parse("1Gi"));
    ASSERT_TRUE(from_zero.has_value());
    EXPECT_EQ(from_zero->to_string(), "1Gi");
    auto plus_zero = quantity::add(*quantity::parse("100m"), *quantity::parse("0"));
    ASSERT_TRUE(plus_zero.has_value());
    EXPECT_EQ(plus_zero->to_string(), "100m");
}

TEST(quantity, sub_from_zero_negates_with_the_subtrahend_format) {
    auto diff = quantity::sub(*quantity::parse("0"), *quantity::parse("1Gi"));
    ASSERT_TRUE(diff.has_value());
    EXPECT_EQ(diff->to_string(), "-1Gi");
    auto same = quantity::sub(*quantity::parse("1Gi"), *quantity::parse("0"));
    ASSERT_TRUE(same.has_value());
    EXPECT_EQ(same->to_string(), "1Gi");
}

TEST(quantity, add_and_sub_report_overflow_instead_of_wrapping) {
    const auto max = quantity::from_int(int64_max);
    const auto min = quantity::from_int(std::numeric_limits<std::int64_t>::min());
    EXPECT_FALSE(quantity::add(max, quantity::from_milli(1)).has_value());
    EXPECT_FALSE(quantity::sub(min, quantity::from_milli(1)).has_value());
    EXPECT_FALSE(quantity::sub(quantity::from_int(0), min).has_value());
    auto fits = quantity::add(max, min);
    ASSERT_TRUE(fits.has_value());
    EXPECT_EQ(fits->value(), -1);
}

}  // namespace
}  // namespace propagation
