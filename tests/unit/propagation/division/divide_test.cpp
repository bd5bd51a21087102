// divide(): Karmada's assignment strategies, worked examples from SPEC.md §c.2–c.5 and the
// scenarios of Karmada's division_algorithm_test.go / assignment_test.go (expected values for
// the Webster-era scheduler), plus job completions, candidate order and spread selection.

#include "propagation/division/division.hpp"
#include "propagation/division/go_sort.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace propagation::division {
namespace {

using clusters = std::vector<target_cluster>;

struct divide_case {
    std::string name;
    division_request request;
    clusters expected;          ///< when no error is expected
    std::string error_reason;   ///< "Unschedulable" / "Invalid" when an error is expected
    std::string error_message;  ///< exact message (Unschedulable) or a field path (Invalid)
};

candidate cand(std::string name, std::int64_t weight, std::int64_t available,
               std::int64_t previous = 0) {
    return candidate{std::move(name), weight, available, previous};
}

division_request req(strategy kind, std::int64_t replicas, std::vector<candidate> cs,
                     std::optional<clusters> previous = std::nullopt,
                     schedule_mode mode = schedule_mode::steady, std::string uid = "") {
    division_request r;
    r.kind = kind;
    r.replicas = replicas;
    r.clusters = std::move(cs);
    r.previous = std::move(previous);
    r.mode = mode;
    r.uid = std::move(uid);
    return r;
}

const std::vector<divide_case> divide_cases = {
    // --- static weight (SPEC §c.2) -----------------------------------------------------
    {"static 12 replicas weights 3:2:1",
     req(strategy::static_weight, 12, {cand("m1", 3, 0), cand("m2", 2, 0), cand("m3", 1, 0)}),
     {{"m1", 6}, {"m2", 4}, {"m3", 2}},
     "",
     ""},
    {"static 12 replicas no weights gives equal split",
     req(strategy::static_weight, 12, {cand("m1", 0, 0), cand("m2", 0, 0), cand("m3", 0, 0)}),
     {{"m1", 4}, {"m2", 4}, {"m3", 4}},
     "",
     ""},
    {"static 14 replicas weights 3:2:1 gives 7:5:2",
     req(strategy::static_weight, 14, {cand("m1", 3, 0), cand("m2", 2, 0), cand("m3", 1, 0)}),
     {{"m1", 7}, {"m2", 5}, {"m3", 2}},
     "",
     ""},
    {"static 4 replicas weights 1:1:8 gives 0:0:4",
     req(strategy::static_weight, 4, {cand("m1", 1, 0), cand("m2", 1, 0), cand("m3", 8, 0)}),
     {{"m3", 4}},
     "",
     ""},
    {"static 13 replicas weights 18:18:8 gives 6:5:2",
     req(strategy::static_weight, 13, {cand("m1", 18, 0), cand("m2", 18, 0), cand("m3", 8, 0)}),
     {{"m1", 6}, {"m2", 5}, {"m3", 2}},
     "",
     ""},
    {"static 13 replicas weights 18:18:8 odd uid gives 5:6:2",
     req(strategy::static_weight, 13, {cand("m1", 18, 0), cand("m2", 18, 0), cand("m3", 8, 0)},
         std::nullopt, schedule_mode::steady, "uid-1"),
     {{"m1", 5}, {"m2", 6}, {"m3", 2}},
     "",
     ""},
    {"static scale-up 7 to 8 over 6:4:3:2 ignores previous 3:2:1:1",
     req(strategy::static_weight, 8,
         {cand("m1", 6, 0, 3), cand("m2", 4, 0, 2), cand("m3", 3, 0, 1), cand("m4", 2, 0, 1)}),
     {{"m1", 3}, {"m2", 2}, {"m3", 2}, {"m4", 1}},
     "",
     ""},
    {"static 6 replicas weights 2:1:1:1 gives 3:1:1:1",
     req(strategy::static_weight, 6,
         {cand("m1", 2, 0, 2), cand("m2", 1, 0, 2), cand("m3", 1, 0, 1), cand("m4", 1, 0, 1)}),
     {{"m1", 3}, {"m2", 1}, {"m3", 1}, {"m4", 1}},
     "",
     ""},
    {"static zero-weight candidate is dropped",
     req(strategy::static_weight, 5, {cand("m1", 1, 0), cand("m2", 0, 0), cand("m3", 1, 0)}),
     {{"m1", 3}, {"m3", 2}},
     "",
     ""},
    {"static output is name ascending whatever the candidate order",
     req(strategy::static_weight, 4, {cand("m3", 1, 0), cand("m1", 1, 0), cand("m2", 2, 0)}),
     {{"m1", 1}, {"m2", 2}, {"m3", 1}},
     "",
     ""},
    {"static ignores capacity",
     req(strategy::static_weight, 10, {cand("m1", 1, 0), cand("m2", 1, 1)}),
     {{"m1", 5}, {"m2", 5}},
     "",
     ""},
    // --- duplicated and the non-workload case ------------------------------------------
    {"duplicated gives every candidate all replicas in candidate order",
     req(strategy::duplicated, 5, {cand("m2", 0, 0), cand("m1", 0, 0), cand("m3", 0, 0)}),
     {{"m2", 5}, {"m1", 5}, {"m3", 5}},
     "",
     ""},
    {"zero replicas lists every candidate with 0",
     req(strategy::dynamic_weight, 0, {cand("m2", 0, 0), cand("m1", 0, 0)}),
     {{"m2", 0}, {"m1", 0}},
     "",
     ""},
    {"no candidates is unschedulable",
     req(strategy::static_weight, 3, {}),
     {},
     "Unschedulable",
     "no clusters available to schedule"},
    // --- dynamic weight (SPEC §c.3) ----------------------------------------------------
    {"dynamic first schedule 12 over available 6:8:10",
     req(strategy::dynamic_weight, 12, {cand("m1", 0, 6), cand("m2", 0, 8), cand("m3", 0, 10)}),
     {{"m1", 3}, {"m2", 4}, {"m3", 5}},
     "",
     ""},
    {"dynamic 12 over available 18:12:6",
     req(strategy::dynamic_weight, 12, {cand("m1", 0, 18), cand("m2", 0, 12), cand("m3", 0, 6)}),
     {{"m1", 6}, {"m2", 4}, {"m3", 2}},
     "",
     ""},
    {"dynamic 12 over available 20:12:6",
     req(strategy::dynamic_weight, 12, {cand("m1", 0, 20), cand("m2", 0, 12), cand("m3", 0, 6)}),
     {{"m1", 6}, {"m2", 4}, {"m3", 2}},
     "",
     ""},
    {"dynamic 12 over available 8:8:10",
     req(strategy::dynamic_weight, 12, {cand("m1", 0, 8), cand("m2", 0, 8), cand("m3", 0, 10)}),
     {{"m1", 4}, {"m2", 4}, {"m3", 4}},
     "",
     ""},
    {"dynamic 12 over available 3:3:3 is not enough",
     req(strategy::dynamic_weight, 12, {cand("m1", 0, 3), cand("m2", 0, 3), cand("m3", 0, 3)}),
     {},
     "Unschedulable",
     "Clusters available replicas 9 are not enough to schedule."},
    {"dynamic steady scale-up 3 to 6 adds to previous 2:1",
     req(strategy::dynamic_weight, 6,
         {cand("m1", 0, 3, 2), cand("m2", 0, 3, 1), cand("m3", 0, 3, 0)}),
     {{"m1", 3}, {"m2", 2}, {"m3", 1}},
     "",
     ""},
    {"dynamic steady scale-up short of capacity",
     req(strategy::dynamic_weight, 10, {cand("m1", 0, 3, 2), cand("m2", 0, 3, 0)}),
     {},
     "Unschedulable",
     "Clusters available replicas 6 are not enough to schedule."},
    {"dynamic steady unchanged keeps the previous result and its order",
     req(strategy::dynamic_weight, 6, {cand("m1", 0, 0), cand("m2", 0, 0)},
         clusters{{"m2", 4}, {"m1", 2}}),
     {{"m2", 4}, {"m1", 2}},
     "",
     ""},
    {"dynamic steady scale-down 12 to 6 from 4:8 uses previous as weights",
     req(strategy::dynamic_weight, 6, {cand("m1", 0, 100, 4), cand("m2", 0, 0, 8)}),
     {{"m1", 2}, {"m2", 4}},
     "",
     ""},
    {"dynamic previous on a cluster that is no longer a candidate is re-placed",
     req(strategy::dynamic_weight, 4, {cand("m1", 0, 10), cand("m2", 0, 10)},
         clusters{{"gone", 5}, {"m1", 1}}),
     {{"m1", 3}, {"m2", 1}},
     "",
     ""},
    {"dynamic fresh uses available plus previous and drops the old result",
     req(strategy::dynamic_weight, 6, {cand("m1", 0, 1, 4), cand("m2", 0, 5, 2), cand("m3", 0, 0)},
         std::nullopt, schedule_mode::fresh),
     {{"m1", 3}, {"m2", 3}},
     "",
     ""},
    {"dynamic int32 overflow of the capacity sum is unschedulable as in Karmada",
     req(strategy::dynamic_weight, 10,
         {cand("m1", 0, 1073741824), cand("m2", 0, 1073741824), cand("m3", 0, 1073741824)}),
     {},
     "Unschedulable",
     "Clusters available replicas -1073741824 are not enough to schedule."},
    // --- aggregated (SPEC §c.4) --------------------------------------------------------
    {"aggregated first schedule 12 over free 6:8:10 uses the two largest",
     req(strategy::aggregated, 12, {cand("m1", 0, 6), cand("m2", 0, 8), cand("m3", 0, 10)}),
     {{"m2", 5}, {"m3", 7}},
     "",
     ""},
    {"aggregated 12 over 6:12:6 fits in one cluster",
     req(strategy::aggregated, 12, {cand("m1", 0, 6), cand("m2", 0, 12), cand("m3", 0, 6)}),
     {{"m2", 12}},
     "",
     ""},
    {"aggregated 12 over 6:6:6 keeps candidate order among equals",
     req(strategy::aggregated, 12, {cand("m1", 0, 6), cand("m2", 0, 6), cand("m3", 0, 6)}),
     {{"m1", 6}, {"m2", 6}},
     "",
     ""},
    {"aggregated steady scale-down 12 to 6 from 4:8 removes m1",
     req(strategy::aggregated, 6, {cand("m1", 0, 0, 4), cand("m2", 0, 0, 8)}),
     {{"m2", 6}},
     "",
     ""},
    {"aggregated scale-up fills the cluster already holding replicas first",
     req(strategy::aggregated, 6, {cand("m1", 0, 10), cand("m2", 0, 10), cand("m3", 0, 4, 2)}),
     {{"m3", 6}},
     "",
     ""},
    {"aggregated 13 equal clusters keep candidate order under Go's sort",
     req(strategy::aggregated, 3,
         {cand("c00", 0, 1), cand("c01", 0, 1), cand("c02", 0, 1), cand("c03", 0, 1),
          cand("c04", 0, 1), cand("c05", 0, 1), cand("c06", 0, 1), cand("c07", 0, 1),
          cand("c08", 0, 1), cand("c09", 0, 1), cand("c10", 0, 1), cand("c11", 0, 1),
          cand("c12", 0, 1)}),
     {{"c00", 1}, {"c01", 1}, {"c02", 1}},
     "",
     ""},
    // --- bad input ------------------------------------------------------------------------
    {"negative weight is invalid",
     req(strategy::static_weight, 3, {cand("m1", 1, 0), cand("m2", -1, 0)}),
     {},
     "Invalid",
     "clusters[1].weight"},
    {"duplicate cluster name is invalid",
     req(strategy::static_weight, 3, {cand("m1", 1, 0), cand("m1", 1, 0)}),
     {},
     "Invalid",
     "clusters[1].name"},
    {"replicas above the limit is invalid",
     req(strategy::static_weight, max_replicas + 1, {cand("m1", 1, 0)}),
     {},
     "Invalid",
     "replicas"},
    {"negative previous replicas is invalid",
     req(strategy::dynamic_weight, 3, {cand("m1", 0, 3)}, clusters{{"m1", -2}}),
     {},
     "Invalid",
     "previous[0].replicas"},
};

class divide_table : public ::testing::TestWithParam<divide_case> {};

TEST_P(divide_table, matches_karmada) {
    const divide_case& c = GetParam();
    const auto got = divide(c.request);
    if (c.error_reason.empty()) {
        ASSERT_TRUE(got.has_value()) << got.error().message;
        EXPECT_EQ(*got, c.expected);
        return;
    }
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().reason, c.error_reason);
    if (c.error_reason == "Invalid") {
        ASSERT_FALSE(got.error().causes.empty());
        EXPECT_EQ(got.error().causes.front().field, c.error_message);
    } else {
        EXPECT_EQ(got.error().message, c.error_message);
    }
}

std::string case_name(const ::testing::TestParamInfo<divide_case>& info) {
    std::string out;
    for (const char ch : info.param.name) {
        out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(karmada_scenarios, divide_table, ::testing::ValuesIn(divide_cases),
                         case_name);

TEST(divide, a_trillion_replicas_over_a_thousand_clusters_is_exact_and_quick) {
    division_request r;
    r.kind = strategy::dynamic_weight;
    r.replicas = max_replicas;
    r.uid = "uid-1";
    for (int i = 0; i < 1000; ++i) {
        r.clusters.push_back(cand("member-" + std::to_string(i), 0,
                                  std::numeric_limits<std::int64_t>::max() / 1000 - i));
    }
    const auto got = divide(r);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    std::int64_t total = 0;
    for (const auto& t : *got) {
        total += t.replicas;
    }
    EXPECT_EQ(total, max_replicas);
    EXPECT_EQ(got->size(), 1000U);
}

TEST(divide_job_completions, ten_completions_over_parallelism_3_2) {
    const clusters parallelism = {{"m2", 2}, {"m1", 3}};
    const auto got = divide_job_completions(10, parallelism, "");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, (clusters{{"m1", 6}, {"m2", 4}}));
}

TEST(divide_job_completions, zero_parallelism_cluster_is_listed_with_zero) {
    const clusters parallelism = {{"m1", 3}, {"m2", 2}, {"m3", 0}};
    const auto got = divide_job_completions(7, parallelism, "uid-1");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, (clusters{{"m1", 4}, {"m2", 3}, {"m3", 0}}));
}

TEST(divide_job_completions, negative_completions_is_invalid) {
    const clusters parallelism = {{"m1", 3}};
    const auto got = divide_job_completions(-1, parallelism, "");
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().causes.front().field, "completions");
}

TEST(sort_candidates, score_then_available_then_name) {
    std::vector<candidate> cs = {
        {"c", 0, 5, 0, 0}, {"a", 0, 1, 0, 0}, {"b", 0, 5, 0, 100}, {"d", 0, 3, 2, 0}};
    sort_candidates(cs);
    std::vector<std::string> names;
    for (const auto& c : cs) {
        names.push_back(c.name);
    }
    // b: score 100; then c and d tie at AvailableReplicas 5 (d: 3 free + 2 held), name order.
    EXPECT_EQ(names, (std::vector<std::string>{"b", "c", "d", "a"}));
}

std::vector<std::string> names_of(const std::vector<candidate>& cs) {
    std::vector<std::string> names;
    for (const auto& c : cs) {
        names.push_back(c.name);
    }
    return names;
}

TEST(select_clusters_by_cluster, karmada_example_swaps_member2_for_member3) {
    // Karmada's comment: scores 60/50/40, AvailableReplicas 40/30/60, 2 clusters, 80
    // replicas → member1 and member3.
    const std::vector<candidate> cs = {
        {"member1", 0, 40, 0, 60}, {"member2", 0, 30, 0, 50}, {"member3", 0, 60, 0, 40}};
    const auto got = select_clusters_by_cluster(cs, 1, 2, 80);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(names_of(*got), (std::vector<std::string>{"member1", "member3"}));
}

TEST(select_clusters_by_cluster, without_replicas_takes_the_first_max_groups) {
    const std::vector<candidate> cs = {{"a", 0, 1, 0, 0}, {"b", 0, 1, 0, 0}, {"c", 0, 9, 0, 0}};
    const auto got = select_clusters_by_cluster(cs, 1, 2, std::nullopt);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(names_of(*got), (std::vector<std::string>{"a", "b"}));
}

TEST(select_clusters_by_cluster, fewer_candidates_than_min_groups_fails) {
    const std::vector<candidate> cs = {{"a", 0, 1, 0, 0}, {"b", 0, 1, 0, 0}};
    const auto got = select_clusters_by_cluster(cs, 3, 3, 1);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().message,
              "the number of feasible clusters is less than spreadConstraint.MinGroups");
}

TEST(select_clusters_by_cluster, not_enough_capacity_fails_with_karmada_message) {
    const std::vector<candidate> cs = {{"a", 0, 1, 0, 0}, {"b", 0, 2, 0, 0}, {"c", 0, 3, 0, 0}};
    const auto got = select_clusters_by_cluster(cs, 1, 2, 100);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().message, "no enough resource when selecting 2 clusters");
}

TEST(go_sort, sorts_random_keys_descending_as_a_permutation) {
    std::mt19937_64 rng(99);
    for (int round = 0; round < 500; ++round) {
        const std::size_t n = rng() % 200;
        std::vector<std::pair<int, int>> v;  // (key, original position)
        for (std::size_t i = 0; i < n; ++i) {
            v.emplace_back(static_cast<int>(rng() % 6), static_cast<int>(i));
        }
        go_sort::sort(
            v.size(), [&](std::size_t i, std::size_t j) { return v[i].first > v[j].first; },
            [&](std::size_t i, std::size_t j) { std::swap(v[i], v[j]); });
        ASSERT_TRUE(std::is_sorted(v.begin(), v.end(),
                                   [](const auto& a, const auto& b) { return a.first > b.first; }));
        std::vector<int> positions;
        for (const auto& e : v) {
            positions.push_back(e.second);
        }
        std::sort(positions.begin(), positions.end());
        for (std::size_t i = 0; i < positions.size(); ++i) {
            ASSERT_EQ(positions[i], static_cast<int>(i));
        }
    }
}

TEST(go_sort, up_to_twelve_elements_is_stable) {
    std::vector<std::pair<int, int>> v = {{1, 0}, {2, 1}, {1, 2}, {2, 3}, {1, 4},  {2, 5},
                                          {1, 6}, {2, 7}, {1, 8}, {2, 9}, {1, 10}, {2, 11}};
    go_sort::sort(
        v.size(), [&](std::size_t i, std::size_t j) { return v[i].first > v[j].first; },
        [&](std::size_t i, std::size_t j) { std::swap(v[i], v[j]); });
    EXPECT_TRUE(std::is_sorted(v.begin(), v.begin() + 6,
                               [](const auto& a, const auto& b) { return a.second < b.second; }));
    EXPECT_TRUE(std::is_sorted(v.begin() + 6, v.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; }));
}

}  // namespace
}  // namespace propagation::division
