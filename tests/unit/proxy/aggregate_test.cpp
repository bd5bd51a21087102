#include "proxy/aggregate.hpp"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;
using proxy::kube_errc;
using proxy::member_outcome;

member_outcome answered(const std::string& cluster, std::vector<std::string> names)
{
    json items = json::array();
    for (const auto& n : names) {
        items.push_back({{"metadata", {{"name", n}}}});
    }
    member_outcome o;
    o.member = cluster;
    o.result = proxy::json_response{200, {{"apiVersion", "v1"}, {"kind", "PodList"},
                                          {"items", items}}};
    return o;
}

member_outcome timed_out(const std::string& cluster)
{
    member_outcome o;
    o.member = cluster;
    o.result = proxy::transport_error(kube_errc::timeout, "no answer in time");
    return o;
}

member_outcome failed(const std::string& cluster, unsigned status)
{
    member_outcome o;
    o.member = cluster;
    o.result = proxy::status_error(status, "");
    return o;
}

struct aggregate_case {
    std::string name;
    std::vector<member_outcome> outcomes;
    unsigned status;
    std::vector<std::string> item_clusters;
    std::vector<std::string> failed_clusters;

    friend void PrintTo(const aggregate_case& c, std::ostream* os) { *os << c.name; }
};

class aggregate_lists_table : public testing::TestWithParam<aggregate_case> {};

TEST_P(aggregate_lists_table, status_items_and_failures)
{
    const auto& c = GetParam();
    const auto agg = proxy::aggregate_lists(c.outcomes);
    EXPECT_EQ(agg.http_status, c.status);
    std::vector<std::string> item_clusters;
    for (const auto& item : agg.body["items"]) {
        item_clusters.push_back(
            item["metadata"]["annotations"]["resource.karmada.io/cached-from-cluster"]);
    }
    EXPECT_EQ(item_clusters, c.item_clusters);
    std::vector<std::string> failed_clusters;
    for (const auto& f : agg.body["failures"]) {
        failed_clusters.push_back(f["cluster"]);
    }
    EXPECT_EQ(failed_clusters, c.failed_clusters);
    EXPECT_EQ(agg.failures.size(), c.failed_clusters.size());
}

INSTANTIATE_TEST_SUITE_P(
    cases, aggregate_lists_table,
    testing::Values(
        aggregate_case{"two_members_answer", {answered("a", {"p1", "p2"}), answered("b", {"p3"})},
                       200, {"a", "a", "b"}, {}},
        aggregate_case{"one_answers_one_times_out", {answered("a", {"p1"}), timed_out("b")}, 200,
                       {"a"}, {"b"}},
        aggregate_case{"all_time_out_is_504", {timed_out("a"), timed_out("b")}, 504, {},
                       {"a", "b"}},
        aggregate_case{"timeout_and_error_is_502", {timed_out("a"), failed("b", 503)}, 502, {},
                       {"a", "b"}},
        aggregate_case{"empty_lists_are_answers", {answered("a", {}), failed("b", 403)}, 200, {},
                       {"b"}},
        aggregate_case{"no_members_is_an_empty_200", {}, 200, {}, {}}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(aggregate_lists, keeps_kind_reasons_and_marks_non_lists_as_failures)
{
    member_outcome not_a_list;
    not_a_list.member = "c";
    not_a_list.result = proxy::json_response{200, {{"kind", "Pod"}}};
    const auto agg =
        proxy::aggregate_lists({answered("a", {"p1"}), failed("b", 404), not_a_list});
    EXPECT_EQ(agg.body["kind"], "PodList");
    EXPECT_EQ(agg.body["apiVersion"], "v1");
    ASSERT_EQ(agg.failures.size(), 2u);
    EXPECT_EQ(agg.failures[0].reason, "NotFound");
    EXPECT_EQ(agg.failures[1].reason, "BadResponse");
    EXPECT_EQ(agg.body["items"][0]["metadata"]["name"], "p1");
}

TEST(aggregate_lists, item_limit_truncates_and_says_so)
{
    proxy::aggregate_options options;
    options.max_items = 2;
    const auto agg = proxy::aggregate_lists({answered("a", {"p1", "p2", "p3"})}, options);
    EXPECT_EQ(agg.body["items"].size(), 2u);
    EXPECT_EQ(agg.body["metadata"]["truncated"], true);
}

}  // namespace
