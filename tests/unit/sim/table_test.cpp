// Server-side printing: the Table kubectl get shows, kubectl's age format and the JSONPath subset
// of CRD printer columns.
#include "sim/api/table.hpp"

#include "sim/model/resource_registry.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace fedsim::api {
namespace {

using nlohmann::json;
using std::chrono::seconds;

struct duration_case {
    long long secs;
    std::string printed;
};

TEST(table, human_duration_matches_apimachinery)
{
    const std::vector<duration_case> cases = {
        {-5, "<invalid>"}, {-1, "0s"},       {0, "0s"},       {119, "119s"},
        {120, "2m"},       {200, "3m20s"},   {600, "10m"},    {10799, "179m"},
        {10800, "3h"},     {11000, "3h3m"},  {28800, "8h"},   {172799, "47h"},
        {172800, "2d"},    {180000, "2d2h"}, {691200, "8d"},  {63072000, "2y"},
        {66000000, "2y33d"}, {252288000, "8y"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(human_duration(seconds(c.secs)), c.printed) << c.secs;
    }
}

struct path_case {
    const char* path;
    json expected;
};

TEST(table, json_path_subset_of_printer_columns)
{
    json obj = {{"spec", {{"replicas", 3}, {"tags", {"a", "b", "c"}}}},
                {"status",
                 {{"conditions",
                   json::array({{{"type", "Ready"}, {"status", "False"}},
                                {{"type", "Scheduled"}, {"status", "True"}}})}}}};
    const std::vector<path_case> cases = {
        {".spec.replicas", 3},
        {"{.spec.replicas}", 3},
        {".spec.tags[1]", "b"},
        {".spec.tags[-1]", "c"},
        {".spec.tags[*]", "a"},
        {".status.conditions[?(@.type==\"Scheduled\")].status", "True"},
        {".status.conditions[?(@.type=='Ready')].status", "False"},
        {".status.missing", nullptr},
        {".spec.tags[7]", nullptr},
        {"spec", nullptr},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(eval_json_path(obj, c.path), c.expected) << c.path;
    }
}

struct accept_case {
    std::string accept;
    bool table;
};

TEST(table, table_requested_by_kubectl_get_accept_header)
{
    const std::vector<accept_case> cases = {
        {"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
         "g=meta.k8s.io,application/json",
         true},
        {"application/json", false},
        {"", false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(wants_table(c.accept), c.table) << c.accept;
    }
}

TEST(table, pod_and_job_rows_as_kubectl_prints_them)
{
    auto registry = model::resource_registry::builtin();
    auto now = model::time_point(seconds(1790000000));  // 2026-09-21T14:13:20Z
    auto pod = std::make_shared<const json>(json{
        {"metadata",
         {{"name", "p"},
          {"namespace", "ml"},
          {"creationTimestamp", "2026-09-21T14:10:00Z"},
          {"managedFields", json::array()}}},
        {"spec", {{"nodeName", "n1"}, {"containers", json::array({{{"name", "c"}}})}}},
        {"status",
         {{"phase", "Running"},
          {"podIP", "10.0.0.5"},
          {"containerStatuses", json::array({{{"ready", true}, {"restartCount", 2}}})}}}});
    auto t = to_table(*registry.find("", "v1", "pods"), {pod}, now,
                      json{{"resourceVersion", "42"}});
    EXPECT_EQ(t["kind"], "Table");
    EXPECT_EQ(t["apiVersion"], "meta.k8s.io/v1");
    EXPECT_EQ(t["metadata"]["resourceVersion"], "42");
    EXPECT_EQ(t["columnDefinitions"][0]["name"], "Name");
    EXPECT_EQ(t["rows"][0]["cells"],
              json::array({"p", "1/1", "Running", 2, "3m20s", "10.0.0.5", "n1", "<none>",
                           "<none>"}));
    // kubectl takes the namespace from the row's PartialObjectMetadata; managedFields is noise.
    const auto& meta = t["rows"][0]["object"];
    EXPECT_EQ(meta["kind"], "PartialObjectMetadata");
    EXPECT_EQ(meta["metadata"]["namespace"], "ml");
    EXPECT_FALSE(meta["metadata"].contains("managedFields"));

    auto job = std::make_shared<const json>(json{
        {"metadata", {{"name", "train"}, {"creationTimestamp", "2026-09-21T14:13:00Z"}}},
        {"spec", {{"completions", 4}, {"parallelism", 4}}},
        {"status",
         {{"succeeded", 4},
          {"startTime", "2026-09-21T14:13:00Z"},
          {"completionTime", "2026-09-21T14:13:10Z"},
          {"conditions", json::array({{{"type", "Complete"}, {"status", "True"}}})}}}});
    auto jt = to_table(*registry.find("batch", "v1", "jobs"), {job}, now, json::object());
    const auto& cells = jt["rows"][0]["cells"];
    EXPECT_EQ(cells[0], "train");
    EXPECT_EQ(cells[1], "Complete");
    EXPECT_EQ(cells[2], "4/4");
    EXPECT_EQ(cells[3], "10s");
    EXPECT_EQ(cells[4], "20s");
}

TEST(table, kinds_without_printer_get_name_and_age)
{
    auto registry = model::resource_registry::builtin();
    auto now = model::time_point(seconds(1790000000));
    auto cm = std::make_shared<const json>(
        json{{"metadata", {{"name", "c"}, {"creationTimestamp", "2026-09-21T14:13:15Z"}}}});
    auto t = to_table(*registry.find("", "v1", "configmaps"), {cm}, now, json::object());
    ASSERT_GE(t["columnDefinitions"].size(), 2u);
    EXPECT_EQ(t["columnDefinitions"][0]["name"], "Name");
    EXPECT_EQ(t["rows"][0]["cells"][0], "c");
    EXPECT_EQ(t["rows"][0]["cells"].back(), "5s");
}

} // namespace
} // namespace fedsim::api
