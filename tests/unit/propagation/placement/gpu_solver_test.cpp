#include "propagation/placement/gpu_solver.hpp"

#include <gtest/gtest.h>

#include <map>

namespace propagation::placement {
namespace {

using form::placement_strategy;

form::job_form make_form(std::int32_t replicas, std::int32_t gpus,
                         std::optional<placement_strategy> strategy = std::nullopt) {
    form::job_form f;
    f.name = "train";
    f.replicas = replicas;
    f.gpu_request = gpus;
    f.placement.strategy = strategy;
    return f;
}

cluster_state cluster(std::string name, std::int64_t fit, std::int64_t free_gpus = -1) {
    cluster_state c;
    c.name = std::move(name);
    c.fit = fit;
    c.free_gpus = free_gpus;
    return c;
}

std::map<std::string, std::int64_t> split(const placement& p) {
    std::map<std::string, std::int64_t> out;
    for (const auto& c : p.clusters) {
        out[c.name] = c.replicas;
    }
    return out;
}

std::map<std::string, std::string> reasons(const placement& p) {
    std::map<std::string, std::string> out;
    for (const auto& r : p.rejected) {
        out[r.name] = r.reason;
    }
    return out;
}

struct spread_case {
    const char* name;
    std::int32_t replicas;
    std::vector<std::pair<std::string, std::int64_t>> fits;
    std::map<std::string, std::int64_t> weights;
    std::map<std::string, std::int64_t> expected;
};

class spread : public ::testing::TestWithParam<spread_case> {};

TEST_P(spread, splits_in_proportion_to_weight_times_capacity_without_exceeding_it) {
    const auto& tc = GetParam();
    auto f = make_form(tc.replicas, 1, placement_strategy::spread);
    f.placement.cluster_weights = tc.weights;
    solver_input in{&f, "", {}};
    for (const auto& [name, fit] : tc.fits) {
        in.clusters.push_back(cluster(name, fit));
    }
    auto p = solve(in);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(split(*p), tc.expected);
    std::int64_t total = 0;
    for (const auto& c : p->clusters) {
        total += c.replicas;
        EXPECT_EQ(c.gpus, c.replicas);
    }
    EXPECT_EQ(total, tc.replicas);
}

INSTANTIATE_TEST_SUITE_P(
    cases, spread,
    ::testing::Values(
        spread_case{"12_replicas_capacity_8_8_8", 12, {{"a", 8}, {"b", 8}, {"c", 8}}, {},
                    {{"a", 4}, {"b", 4}, {"c", 4}}},
        spread_case{"10_replicas_capacity_16_4", 10, {{"a", 16}, {"b", 4}}, {},
                    {{"a", 8}, {"b", 2}}},
        spread_case{"capped_cluster_fixed_rest_redivided", 10, {{"a", 8}, {"b", 1}, {"c", 8}},
                    {{"b", 100}}, {{"a", 5}, {"b", 1}, {"c", 4}}},
        spread_case{"form_weight_3_to_1_equal_capacity", 8, {{"a", 10}, {"b", 10}},
                    {{"a", 3}, {"b", 1}}, {{"a", 6}, {"b", 2}}},
        spread_case{"all_capacity_used_exactly", 7, {{"a", 3}, {"b", 4}}, {},
                    {{"a", 3}, {"b", 4}}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(spread, reports_unschedulable_with_a_reason_per_cluster_when_capacity_is_short) {
    auto f = make_form(10, 1, placement_strategy::spread);
    solver_input in{&f, "", {cluster("a", 3, 3), cluster("b", 2, 2)}};
    auto p = solve(in);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().reason, "Unschedulable");
    ASSERT_EQ(p.error().causes.size(), 2U);
    EXPECT_EQ(p.error().causes[0].field, "a");
    EXPECT_EQ(p.error().causes[0].message, "fits 3 of 10 replicas: 3 GPUs free");
}

TEST(spread, uid_breaks_ties_deterministically) {
    auto f = make_form(3, 1, placement_strategy::spread);
    solver_input in{&f, "uid-1", {cluster("a", 8), cluster("b", 8)}};
    auto first = solve(in);
    auto second = solve(in);
    ASSERT_TRUE(first && second);
    EXPECT_EQ(split(*first), split(*second));
    EXPECT_EQ(first->clusters.size(), 2U);
}

TEST(pack, fills_highest_weight_times_capacity_first) {
    auto f = make_form(10, 1, placement_strategy::pack);
    solver_input in{&f, "", {cluster("a", 4), cluster("b", 8), cluster("c", 3)}};
    auto p = solve(in);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(split(*p), (std::map<std::string, std::int64_t>{{"a", 2}, {"b", 8}}));
    EXPECT_EQ(reasons(*p).at("c"), "not needed: the job fits on fewer clusters");
}

TEST(single, picks_highest_weight_then_best_fit) {
    auto f = make_form(4, 1, placement_strategy::single);
    solver_input in{&f, "", {cluster("a", 8, 8), cluster("b", 5, 5), cluster("c", 3, 3)}};
    auto p = solve(in);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(split(*p), (std::map<std::string, std::int64_t>{{"b", 4}}));
    EXPECT_EQ(reasons(*p).at("a"), "b fits better");
    EXPECT_EQ(reasons(*p).at("c"), "fits 3 of 4 replicas: 3 GPUs free");

    in.clusters[0].admin_weight = 2;
    auto weighted = solve(in);
    ASSERT_TRUE(weighted);
    EXPECT_EQ(split(*weighted), (std::map<std::string, std::int64_t>{{"a", 4}}));
}

TEST(single, is_the_default_for_pytorch_and_reports_the_largest_node) {
    auto f = make_form(4, 2);
    f.type = form::job_type::pytorch;
    auto c = cluster("a", 2, 8);
    c.largest_node_gpus = 3;
    solver_input in{&f, "", {c}};
    auto p = solve(in);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().causes.at(0).message,
              "fits 2 of 4 replicas: 8 GPUs free, largest node has 3");
}

TEST(duplicate, gives_every_fitting_candidate_all_replicas) {
    auto f = make_form(2, 1, placement_strategy::duplicate);
    solver_input in{&f, "", {cluster("a", 2), cluster("b", 1), cluster("c", 5)}};
    auto p = solve(in);
    ASSERT_TRUE(p);
    EXPECT_EQ(split(*p), (std::map<std::string, std::int64_t>{{"a", 2}, {"c", 2}}));
    EXPECT_EQ(reasons(*p).at("b"), "fits 1 of 2 replicas");
}

TEST(filters, reject_not_ready_model_mismatch_taints_and_targets_with_reasons) {
    auto f = make_form(1, 1, placement_strategy::spread);
    f.gpu_model = "A100";
    f.target_clusters = {"ready", "down", "h100", "tainted", "ghost"};
    auto ready = cluster("ready", 4);
    ready.gpu_model = "NVIDIA-A100-SXM4-80GB";
    auto down = cluster("down", 4);
    down.ready = false;
    down.gpu_model = "A100";
    auto h100 = cluster("h100", 4);
    h100.gpu_model = "H100";
    auto tainted = cluster("tainted", 4);
    tainted.gpu_model = "a100";
    tainted.blocking_taints = {"dedicated=infer:NoSchedule"};
    auto other = cluster("other", 4);
    other.gpu_model = "A100";
    solver_input in{&f, "", {ready, down, h100, tainted, other}};
    auto p = solve(in);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(split(*p), (std::map<std::string, std::int64_t>{{"ready", 1}}));
    const auto r = reasons(*p);
    EXPECT_EQ(r.at("down"), "NotReady");
    EXPECT_EQ(r.at("h100"), "gpuModel A100 does not match H100");
    EXPECT_EQ(r.at("tainted"), "untolerated taint dedicated=infer:NoSchedule");
    EXPECT_EQ(r.at("other"), "not in targetClusters");
    EXPECT_EQ(r.at("ghost"), "not a member cluster");
}

TEST(gpu_model_matches, compares_whole_tokens_ignoring_case) {
    EXPECT_TRUE(gpu_model_matches("A100", "a100"));
    EXPECT_TRUE(gpu_model_matches("NVIDIA-A100-SXM4-80GB", "A100"));
    EXPECT_FALSE(gpu_model_matches("NVIDIA-A1000", "A100"));
    EXPECT_FALSE(gpu_model_matches("", "A100"));
    EXPECT_TRUE(gpu_model_matches("anything", ""));
}

TEST(solve, unknown_capacity_is_treated_as_unlimited) {
    auto f = make_form(6, 1, placement_strategy::spread);
    auto a = cluster("a", 0);
    a.fit_known = false;
    auto b = cluster("b", 0);
    b.fit_known = false;
    solver_input in{&f, "", {a, b}};
    auto p = solve(in);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(split(*p), (std::map<std::string, std::int64_t>{{"a", 3}, {"b", 3}}));
}

}  // namespace
}  // namespace propagation::placement
