// Webster apportionment with Karmada's tie-breaker: worked examples from SPEC.md §c.1 and
// Karmada's webstermethod_test.go, then a seeded property test that the O(n log n) method
// and the seat-at-a-time reference agree.

#include "propagation/division/division.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace propagation::division {
namespace {

struct webster_case {
    std::string name;
    std::int64_t seats;
    std::vector<std::string> parties;
    std::vector<std::int64_t> votes;
    std::string uid;
    std::vector<std::int64_t> expected;
};

// uid "uid-1" hashes odd (ties go to the name sorting last); "uid-0" and "" go first.
const std::vector<webster_case> webster_cases = {
    {"4 over 1:1:8 gives 0:0:4, not largest remainder",
     4,
     {"m1", "m2", "m3"},
     {1, 1, 8},
     "",
     {0, 0, 4}},
    {"13 over 18:18:8 gives 6:5:2 with ascending tie",
     13,
     {"m1", "m2", "m3"},
     {18, 18, 8},
     "",
     {6, 5, 2}},
    {"13 over 18:18:8 gives 5:6:2 with odd uid",
     13,
     {"m1", "m2", "m3"},
     {18, 18, 8},
     "uid-1",
     {5, 6, 2}},
    {"14 over 3:2:1 gives 7:5:2", 14, {"m1", "m2", "m3"}, {3, 2, 1}, "", {7, 5, 2}},
    {"12 over 3:2:1 gives 6:4:2", 12, {"m1", "m2", "m3"}, {3, 2, 1}, "", {6, 4, 2}},
    {"7 over 6:4:3:2 gives 3:2:1:1", 7, {"m1", "m2", "m3", "m4"}, {6, 4, 3, 2}, "", {3, 2, 1, 1}},
    {"8 over 6:4:3:2 gives 3:2:2:1", 8, {"m1", "m2", "m3", "m4"}, {6, 4, 3, 2}, "", {3, 2, 2, 1}},
    {"6 over 2:1:1:1 gives 3:1:1:1", 6, {"m1", "m2", "m3", "m4"}, {2, 1, 1, 1}, "", {3, 1, 1, 1}},
    {"6 over 1:1:1:1 gives 2:2:1:1 ascending",
     6,
     {"m1", "m2", "m3", "m4"},
     {1, 1, 1, 1},
     "",
     {2, 2, 1, 1}},
    {"6 over 1:1:1:1 gives 1:1:2:2 with odd uid",
     6,
     {"m1", "m2", "m3", "m4"},
     {1, 1, 1, 1},
     "uid-1",
     {1, 1, 2, 2}},
    {"10 over 1:1:1 gives 3:3:4 with odd uid",
     10,
     {"m1", "m2", "m3"},
     {1, 1, 1},
     "uid-1",
     {3, 3, 4}},
    {"5 over unsorted names c,a,b,d ties by name not position",
     5,
     {"c", "a", "b", "d"},
     {1, 1, 1, 1},
     "uid-1",
     {1, 1, 1, 2}},
    {"wikipedia 8 seats over 100000:80000:30000:20000",
     8,
     {"PartyA", "PartyB", "PartyC", "PartyD"},
     {100000, 80000, 30000, 20000},
     "",
     {3, 3, 1, 1}},
    {"4 seats over Alpha 1200 Beta 900 Gamma 400",
     4,
     {"Alpha", "Beta", "Gamma"},
     {1200, 900, 400},
     "",
     {2, 1, 1}},
    {"0 seats gives all zero", 0, {"PartyA", "PartyB"}, {100, 200}, "", {0, 0}},
    {"equal votes, one seat, ascending name wins", 1, {"PartyA", "PartyB"}, {1, 1}, "", {1, 0}},
    {"equal votes, one seat, odd uid picks last name",
     1,
     {"PartyA", "PartyB"},
     {1, 1},
     "uid-1",
     {0, 1}},
    {"zero-vote party never gets a seat", 5, {"a", "b", "c"}, {0, 1, 0}, "", {0, 5, 0}},
    {"all votes zero gives nothing", 5, {"a", "b"}, {0, 0}, "", {0, 0}},
    {"negative votes count as zero", 3, {"a", "b"}, {-4, 2}, "", {0, 3}},
    {"no parties", 3, {}, {}, "", {}},
};

class webster_table : public ::testing::TestWithParam<webster_case> {};

TEST_P(webster_table, both_methods_give_the_expected_seats) {
    const webster_case& c = GetParam();
    EXPECT_EQ(webster(c.seats, c.parties, c.votes, c.uid), c.expected);
    EXPECT_EQ(webster_seat_by_seat(c.seats, c.parties, c.votes, c.uid), c.expected);
}

std::string case_name(const ::testing::TestParamInfo<webster_case>& info) {
    std::string out;
    for (const char ch : info.param.name) {
        out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(karmada_examples, webster_table, ::testing::ValuesIn(webster_cases),
                         case_name);

TEST(fnv1a32, matches_the_reference_values) {
    EXPECT_EQ(fnv1a32(""), 2166136261U);
    EXPECT_EQ(fnv1a32("a"), 0xe40c292cU);
    EXPECT_EQ(fnv1a32("uid-0") % 2, 0U);
    EXPECT_EQ(fnv1a32("uid-1") % 2, 1U);
}

TEST(webster, a_trillion_seats_over_max_int64_weights_is_exact_in_total) {
    const std::vector<std::string> names = {"a", "b", "c", "d"};
    const std::int64_t big = std::numeric_limits<std::int64_t>::max();
    const std::vector<std::int64_t> votes = {big, big - 1, big / 3, 7};
    const std::int64_t seats = 1'000'000'000'000;
    const auto seats_of = webster(seats, names, votes, "uid-1");
    EXPECT_EQ(std::accumulate(seats_of.begin(), seats_of.end(), std::int64_t{0}), seats);
    // big and big-1 are the same float64, so they tie at every step: the odd uid puts "b"
    // first, so "b" is never behind "a" and never more than one seat ahead.
    EXPECT_GE(seats_of[1] - seats_of[0], 0);
    EXPECT_LE(seats_of[1] - seats_of[0], 1);
    EXPECT_EQ(seats_of[3], 0);
}

TEST(webster, max_int64_seats_over_tiny_votes_returns_without_hanging) {
    const std::vector<std::string> names = {"a", "b"};
    const std::vector<std::int64_t> votes = {1, 1};
    const std::int64_t seats = std::numeric_limits<std::int64_t>::max();
    const auto seats_of = webster(seats, names, votes, "");
    ASSERT_EQ(seats_of.size(), 2U);
    EXPECT_GE(seats_of[0], seats_of[1]);
}

/// Seeded random cases built to hit ties: few parties, small vote alphabets, repeated names
/// in different orders, huge weights that collapse to one float64, uids of both parities.
TEST(webster, fast_method_matches_seat_by_seat_on_seeded_random_cases) {
    std::mt19937_64 rng(20261122);
    const std::vector<std::string> uids = {"", "uid-0", "uid-1", "uid-2", "uid-3"};
    const std::int64_t big = std::numeric_limits<std::int64_t>::max();
    int checked = 0;
    for (int round = 0; round < 4000; ++round) {
        const std::size_t n = 1 + rng() % 7;
        std::vector<std::string> names;
        std::vector<std::int64_t> votes;
        const int flavour = static_cast<int>(rng() % 4);
        for (std::size_t i = 0; i < n; ++i) {
            names.push_back("c" + std::to_string(rng() % 1000) + "-" + std::to_string(i));
            switch (flavour) {
                case 0:  // tiny alphabet: many exact ties
                    votes.push_back(static_cast<std::int64_t>(rng() % 4));
                    break;
                case 1:  // multiples: ties at later seats
                    votes.push_back(static_cast<std::int64_t>((1 + rng() % 3) * 6));
                    break;
                case 2:  // huge weights, several equal as float64
                    votes.push_back(big -
                                    static_cast<std::int64_t>(rng() % 3) * (rng() % 2 ? 1 : 1000));
                    break;
                default:
                    votes.push_back(static_cast<std::int64_t>(rng() % 1'000'000));
                    break;
            }
        }
        const std::int64_t seats = static_cast<std::int64_t>(rng() % 200);
        const std::string& uid = uids[rng() % uids.size()];
        ASSERT_EQ(webster(seats, names, votes, uid), webster_seat_by_seat(seats, names, votes, uid))
            << "round " << round << " seats " << seats << " uid " << uid;
        ++checked;
    }
    EXPECT_EQ(checked, 4000);
}

TEST(webster, fast_method_matches_seat_by_seat_for_many_parties) {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 40; ++round) {
        const std::size_t n = 50 + rng() % 400;
        std::vector<std::string> names;
        std::vector<std::int64_t> votes;
        for (std::size_t i = 0; i < n; ++i) {
            names.push_back("member-" + std::to_string(i));
            votes.push_back(static_cast<std::int64_t>(rng() % 50));
        }
        const std::int64_t seats = static_cast<std::int64_t>(rng() % 20000);
        const std::string uid = round % 2 ? "uid-1" : "uid-0";
        ASSERT_EQ(webster(seats, names, votes, uid), webster_seat_by_seat(seats, names, votes, uid))
            << "round " << round;
    }
}

}  // namespace
}  // namespace propagation::division
