// Karmada's general estimator: cases from pkg/estimator/client/general_test.go (summary path,
// resource-model path, pod bound) and SPEC.md §c.6 (the 6-replica example, the GPU trap), each
// fed through the Cluster JSON parser, plus the parser's field-path errors.

#include "propagation/division/general_estimator.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <string>
#include <vector>

namespace propagation::division {
namespace {

using json = nlohmann::json;

struct estimate_case {
    std::string name;
    std::string cluster;                 ///< Cluster object JSON
    std::optional<std::string> request;  ///< ResourceList JSON; nullopt: no requirements
    std::int64_t expected;
};

// Three cpu-only grades, one node each (general_test.go "Partially compliant grades" etc.).
std::string cpu_grades(const std::string& extra_summary = "") {
    return R"({"spec": {"resourceModels": [
        {"grade": 0, "ranges": [{"name": "cpu", "min": "0", "max": "1"}]},
        {"grade": 1, "ranges": [{"name": "cpu", "min": "1", "max": "2"}]},
        {"grade": 2, "ranges": [{"name": "cpu", "min": "2", "max": "4"}]}]},
      "status": {"resourceSummary": {"allocatable": {"pods": "100"},)" +
           extra_summary + R"(
        "allocatableModelings": [{"grade": 0, "count": 1}, {"grade": 1, "count": 1},
                                 {"grade": 2, "count": 1}]}}})";
}

std::string cpu_memory_grades() {
    return R"({"spec": {"resourceModels": [
        {"grade": 0, "ranges": [{"name": "cpu", "min": "0", "max": "1"},
                                {"name": "memory", "min": "0", "max": "1Gi"}]},
        {"grade": 1, "ranges": [{"name": "cpu", "min": "1", "max": "2"},
                                {"name": "memory", "min": "1Gi", "max": "2Gi"}]},
        {"grade": 2, "ranges": [{"name": "cpu", "min": "2", "max": "4"},
                                {"name": "memory", "min": "2Gi", "max": "4Gi"}]}]},
      "status": {"resourceSummary": {
        "allocatable": {"pods": "100", "cpu": "100", "memory": "100Gi", "nvidia.com/gpu": "8"},
        "allocatableModelings": [{"grade": 0, "count": 1}, {"grade": 1, "count": 1},
                                 {"grade": 2, "count": 1}]}}})";
}

const char* const summary_cluster = R"({"status": {"resourceSummary": {
    "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "100"},
    "allocated": {"cpu": "1", "memory": "2Gi", "pods": "20"}}}})";

// The GPU cluster of SPEC.md §b.
const char* const gpu_cluster = R"({
  "apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
  "metadata": {"name": "gpu-a"},
  "spec": {"syncMode": "Push", "resourceModels": [
      {"grade": 0, "ranges": [{"name": "cpu", "min": "0", "max": "16"},
                              {"name": "memory", "min": "0", "max": "128Gi"},
                              {"name": "nvidia.com/gpu", "min": "0", "max": "1"}]},
      {"grade": 1, "ranges": [{"name": "cpu", "min": "16", "max": "64"},
                              {"name": "memory", "min": "128Gi", "max": "512Gi"},
                              {"name": "nvidia.com/gpu", "min": "1", "max": "4"}]},
      {"grade": 2, "ranges": [{"name": "cpu", "min": "64",
                               "max": "9223372036854775807"},
                              {"name": "memory", "min": "512Gi",
                               "max": "9223372036854775807"},
                              {"name": "nvidia.com/gpu", "min": "4",
                               "max": "9223372036854775807"}]}]},
  "status": {"resourceSummary": {
      "allocatable": {"cpu": "384", "memory": "3Ti", "pods": "440", "nvidia.com/gpu": "32"},
      "allocating":  {"cpu": "8", "memory": "64Gi", "pods": "1", "nvidia.com/gpu": "8"},
      "allocated":   {"cpu": "96", "memory": "768Gi", "pods": "30", "nvidia.com/gpu": "8"},
      "allocatableModelings": [{"grade": 0, "count": 1}, {"grade": 1, "count": 0},
                               {"grade": 2, "count": 3}]}}})";

const std::vector<estimate_case> estimate_cases = {
    // --- summary path --------------------------------------------------------------------
    {"summary cpu 500m memory 1Gi gives min(80, 6, 6)", summary_cluster,
     R"({"cpu": "500m", "memory": "1Gi"})", 6},
    {"no resource summary gives 0", R"({"status": {}})", R"({"cpu": "1"})", 0},
    {"no free pods gives 0",
     R"({"status": {"resourceSummary": {"allocatable": {"pods": "10"},
        "allocated": {"pods": "10"}}}})",
     std::nullopt, 0},
    {"pods over-allocated by allocating gives 0",
     R"({"status": {"resourceSummary": {"allocatable": {"pods": "100"},
        "allocated": {"pods": "90"}, "allocating": {"pods": "20"}}}})",
     std::nullopt, 0},
    {"no requirements gives the free pod count",
     R"({"status": {"resourceSummary": {"allocatable": {"pods": "100"},
        "allocated": {"pods": "40"}, "allocating": {"pods": "10"}}}})",
     std::nullopt, 50},
    {"summary insufficient memory gives 0",
     R"({"status": {"resourceSummary": {"allocatable": {"cpu": "4", "memory": "2Gi", "pods": "100"},
        "allocated": {"cpu": "1", "memory": "1.5Gi"}}}})",
     R"({"cpu": "500m", "memory": "1Gi"})", 0},
    {"summary resource missing from allocatable gives 0", summary_cluster,
     R"({"cpu": "1", "nvidia.com/gpu": "1"})", 0},
    {"summary cpu counted in millicores", summary_cluster, R"({"cpu": "300m"})", 10},
    {"summary zero request is skipped so pods bound", summary_cluster, R"({"cpu": "0"})", 80},
    {"summary allocating is subtracted too",
     R"({"status": {"resourceSummary": {"allocatable": {"nvidia.com/gpu": "8", "pods": "50"},
        "allocated": {"nvidia.com/gpu": "3"}, "allocating": {"nvidia.com/gpu": "2"}}}})",
     R"({"nvidia.com/gpu": 1})", 3},
    {"summary bounded by pods",
     R"({"status": {"resourceSummary": {"allocatable": {"cpu": "100", "pods": "3"}}}})",
     R"({"cpu": "10m"})", 3},
    // --- resource-model path ------------------------------------------------------------
    {"models partially compliant grades fit 1 of cpu 1.5", cpu_grades(), R"({"cpu": "1.5"})", 1},
    {"models no compliant grade for cpu 3 gives 0", cpu_grades(), R"({"cpu": "3"})", 0},
    {"models cpu 1 memory 1.5Gi fits one grade-2 node", cpu_memory_grades(),
     R"({"cpu": "1", "memory": "1.5Gi"})", 1},
    {"models memory 2.5Gi exceeds every grade", cpu_memory_grades(),
     R"({"cpu": "1", "memory": "2.5Gi"})", 0},
    {"models three grade-1 nodes fit two 500m replicas each",
     R"({"spec": {"resourceModels": [
          {"grade": 0, "ranges": [{"name": "cpu", "min": "0", "max": "1"}]},
          {"grade": 1, "ranges": [{"name": "cpu", "min": "1", "max": "2"}]}]},
        "status": {"resourceSummary": {"allocatable": {"pods": "100", "cpu": "3"},
          "allocatableModelings": [{"grade": 0, "count": 0}, {"grade": 1, "count": 3}]}}})",
     R"({"cpu": "500m"})", 6},
    {"models GPU trap: cpu/memory models fit no GPU pod", cpu_memory_grades(),
     R"({"cpu": "100m", "nvidia.com/gpu": "1"})", 0},
    {"models GPU-aware grades of the SPEC cluster fit 4 per grade-2 node", gpu_cluster,
     R"({"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": "1"})", 12},
    {"models unlisted non-extended resource is ignored so 110 pods per node", cpu_grades(),
     R"({"foo": "5"})", 100},
    {"models empty request fits 110 per node, bounded by free pods",
     R"({"spec": {"resourceModels": [{"grade": 0, "ranges": [
          {"name": "cpu", "min": "0", "max": "1"}]}]},
        "status": {"resourceSummary": {"allocatable": {"pods": "1000"},
          "allocatableModelings": [{"grade": 0, "count": 2}]}}})",
     R"({})", 220},
    {"models grades only in status are ignored",
     R"({"spec": {"resourceModels": [{"grade": 0, "ranges": [
          {"name": "cpu", "min": "2", "max": "4"}]}]},
        "status": {"resourceSummary": {"allocatable": {"pods": "1000"},
          "allocatableModelings": [{"grade": 0, "count": 1},
                                   {"grade": 5, "count": 100}]}}})",
     R"({"cpu": "1"})", 2},
    {"models counts of a repeated grade add up",
     R"({"spec": {"resourceModels": [{"grade": 0, "ranges": [
          {"name": "cpu", "min": "2", "max": "4"}]}]},
        "status": {"resourceSummary": {"allocatable": {"pods": "1000"},
          "allocatableModelings": [{"grade": 0, "count": 1},
                                   {"grade": 0, "count": 2}]}}})",
     R"({"cpu": "1"})", 6},
    {"modelings without spec models fall back to the summary",
     R"({"status": {"resourceSummary": {"allocatable": {"pods": "100", "cpu": "4"},
          "allocatableModelings": [{"grade": 0, "count": 5}]}}})",
     R"({"cpu": "1"})", 4},
    {"negative modeling count falls back to the summary",
     R"({"spec": {"resourceModels": [{"grade": 0, "ranges": [
          {"name": "cpu", "min": "8", "max": "16"}]}]},
        "status": {"resourceSummary": {"allocatable": {"pods": "100", "cpu": "4"},
          "allocatableModelings": [{"grade": 0, "count": -1}]}}})",
     R"({"cpu": "1"})", 4},
    {"all modeling counts zero gives 0 without the summary",
     R"({"spec": {"resourceModels": [{"grade": 0, "ranges": [
          {"name": "cpu", "min": "8", "max": "16"}]}]},
        "status": {"resourceSummary": {"allocatable": {"pods": "100", "cpu": "4"},
          "allocatableModelings": [{"grade": 0, "count": 0}]}}})",
     R"({"cpu": "1"})", 0},
    {"quantities given as JSON numbers",
     R"({"status": {"resourceSummary": {"allocatable": {"cpu": 4, "pods": 100},
          "allocated": {"cpu": 0.5}}}})",
     R"({"cpu": 0.5})", 7},
};

class estimate_table : public ::testing::TestWithParam<estimate_case> {};

TEST_P(estimate_table, matches_karmada) {
    const estimate_case& c = GetParam();
    const auto capacity = parse_cluster_capacity(json::parse(c.cluster));
    ASSERT_TRUE(capacity.has_value()) << capacity.error().message;
    std::optional<resource_list> request;
    if (c.request) {
        auto parsed = parse_resource_list(json::parse(*c.request));
        ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
        request = *parsed;
    }
    EXPECT_EQ(max_available_replicas(*capacity, request), c.expected);
}

std::string case_name(const ::testing::TestParamInfo<estimate_case>& info) {
    std::string out;
    for (const char ch : info.param.name) {
        out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(karmada_cases, estimate_table, ::testing::ValuesIn(estimate_cases),
                         case_name);

struct parse_error_case {
    std::string name;
    std::string cluster;
    std::string field;
};

const std::vector<parse_error_case> parse_error_cases = {
    {"cluster not an object", R"([])", "cluster"},
    {"status not an object", R"({"status": 3})", "cluster.status"},
    {"bad quantity in a range", R"({"spec": {"resourceModels": [
        {"grade": 0, "ranges": [{"name": "cpu", "min": "1x", "max": "2"}]}]}})",
     "cluster.spec.resourceModels[0].ranges[0].min"},
    {"negative grade", R"({"spec": {"resourceModels": [{"grade": -1, "ranges": []}]}})",
     "cluster.spec.resourceModels[0].grade"},
    {"fractional count", R"({"status": {"resourceSummary": {
        "allocatableModelings": [{"grade": 0, "count": 1.5}]}}})",
     "cluster.status.resourceSummary.allocatableModelings[0].count"},
    {"allocatable not an object", R"({"status": {"resourceSummary": {"allocatable": []}}})",
     "cluster.status.resourceSummary.allocatable"},
    {"bad allocated quantity", R"({"status": {"resourceSummary": {"allocated": {"cpu": true}}}})",
     "cluster.status.resourceSummary.allocated.cpu"},
    {"negative model minimum", R"({"spec": {"resourceModels": [
        {"grade": 0, "ranges": [{"name": "cpu", "min": "-1", "max": "2"}]}]}})",
     "cluster.spec.resourceModels[0].ranges[0].min"},
};

class parse_error_table : public ::testing::TestWithParam<parse_error_case> {};

TEST_P(parse_error_table, names_the_field) {
    const parse_error_case& c = GetParam();
    const auto capacity = parse_cluster_capacity(json::parse(c.cluster));
    ASSERT_FALSE(capacity.has_value());
    EXPECT_EQ(capacity.error().reason, "Invalid");
    ASSERT_FALSE(capacity.error().causes.empty());
    EXPECT_EQ(capacity.error().causes.front().field, c.field);
}

std::string parse_case_name(const ::testing::TestParamInfo<parse_error_case>& info) {
    std::string out;
    for (const char ch : info.param.name) {
        out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(bad_input, parse_error_table, ::testing::ValuesIn(parse_error_cases),
                         parse_case_name);

TEST(parse_resource_list, rejects_a_non_object_with_the_path) {
    const auto parsed = parse_resource_list(json::parse(R"("8")"), "request");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().causes.front().field, "request");
}

TEST(parse_cluster_capacity, reads_the_name_and_ignores_unknown_fields) {
    const auto capacity = parse_cluster_capacity(json::parse(gpu_cluster));
    ASSERT_TRUE(capacity.has_value());
    EXPECT_EQ(capacity->name, "gpu-a");
    EXPECT_EQ(capacity->resource_models.size(), 3U);
    ASSERT_TRUE(capacity->summary.has_value());
    EXPECT_EQ(capacity->summary->allocatable_modelings.size(), 3U);
}

}  // namespace
}  // namespace propagation::division
