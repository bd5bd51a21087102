#include "proxy/merge_page.hpp"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;
using proxy::member_page;
using proxy::merge_options;
using proxy::page_cursor;

const std::string annotation = "resource.karmada.io/cached-from-cluster";

json object(const std::string& ns, const std::string& name)
{
    json o = json::object();
    o["metadata"]["name"] = name;
    if (!ns.empty()) {
        o["metadata"]["namespace"] = ns;
    }
    return o;
}

member_page page(const std::string& cluster, std::vector<std::pair<std::string, std::string>> keys,
                 std::string next = {})
{
    member_page p;
    p.cluster = cluster;
    for (const auto& [ns, name] : keys) {
        p.items.push_back(object(ns, name));
    }
    p.next_continue = std::move(next);
    return p;
}

std::vector<std::string> labels(const json& items)
{
    std::vector<std::string> out;
    for (const auto& i : items) {
        out.push_back(i["metadata"]["annotations"][annotation].get<std::string>() + "/" +
                      i["metadata"].value("namespace", "") + "/" +
                      i["metadata"]["name"].get<std::string>());
    }
    return out;
}

TEST(merge_pages, unpaged_sorts_by_cluster_namespace_name_and_marks_clusters)
{
    page_cursor start;
    auto merged = proxy::merge_pages(
        {page("b", {{"ns1", "z"}, {"ns1", "a"}}), page("a", {{"ns2", "x"}, {"ns1", "y"}})}, {},
        start, merge_options{});
    EXPECT_EQ(labels(merged.items),
              (std::vector<std::string>{"a/ns1/y", "a/ns2/x", "b/ns1/a", "b/ns1/z"}));
    EXPECT_FALSE(merged.more);
}

TEST(merge_pages, duplicate_names_in_two_clusters_stay_two_items)
{
    auto merged = proxy::merge_pages({page("c1", {{"ml", "web"}}), page("c2", {{"ml", "web"}})},
                                     {}, page_cursor{}, merge_options{});
    EXPECT_EQ(labels(merged.items), (std::vector<std::string>{"c1/ml/web", "c2/ml/web"}));
}

struct paging_case {
    std::string name;
    std::size_t limit;
    std::vector<std::vector<std::string>> pages;  ///< expected labels per page
};

class merge_paging : public testing::TestWithParam<paging_case> {};

/// Simulates members that hold `all` items and answer (continue, limit) like the API server.
member_page serve(const std::string& cluster, const std::vector<std::string>& all,
                  const proxy::member_position& from, std::size_t limit)
{
    std::size_t begin = from.continue_token.empty() ? 0 : std::stoul(from.continue_token);
    member_page p;
    p.cluster = cluster;
    std::size_t end = limit == 0 ? all.size() : std::min(all.size(), begin + limit);
    for (auto i = begin; i < end; ++i) {
        p.items.push_back(object("ns", all[i]));
    }
    if (end < all.size()) {
        p.next_continue = std::to_string(end);
    }
    return p;
}

TEST_P(merge_paging, pages_cover_every_item_once_in_order)
{
    const auto& c = GetParam();
    const std::map<std::string, std::vector<std::string>> members = {
        {"c1", {"a", "b", "c"}}, {"c2", {"d"}}, {"c3", {"e", "f", "g", "h", "i"}}};
    page_cursor cursor;
    cursor.query = proxy::query_fingerprint("pods", "", "");
    std::vector<std::vector<std::string>> got;
    for (int round = 0; round < 20; ++round) {
        std::vector<member_page> pages;
        for (const auto& [cluster, all] : members) {
            const auto& from = cursor.position(cluster);
            if (!from.done) {
                pages.push_back(
                    serve(cluster, all, from, c.limit + static_cast<std::size_t>(from.skip)));
            }
        }
        merge_options o;
        o.limit = c.limit;
        auto merged = proxy::merge_pages(std::move(pages), {}, cursor, o);
        got.push_back(labels(merged.items));
        if (!merged.more) {
            break;
        }
        std::string error;
        auto decoded = proxy::decode_cursor(proxy::encode_cursor(merged.next), cursor.query, error);
        ASSERT_TRUE(decoded) << error;
        ASSERT_EQ(*decoded, merged.next);
        cursor = *decoded;
    }
    EXPECT_EQ(got, c.pages);
}

INSTANTIATE_TEST_SUITE_P(
    cases, merge_paging,
    testing::Values(
        paging_case{"limit_4_over_3_4_1_5_items", 4,
                    {{"c1/ns/a", "c1/ns/b", "c1/ns/c", "c2/ns/d"},
                     {"c3/ns/e", "c3/ns/f", "c3/ns/g", "c3/ns/h"},
                     {"c3/ns/i"}}},
        paging_case{"limit_2_splits_a_member_page", 2,
                    {{"c1/ns/a", "c1/ns/b"},
                     {"c1/ns/c", "c2/ns/d"},
                     {"c3/ns/e", "c3/ns/f"},
                     {"c3/ns/g", "c3/ns/h"},
                     {"c3/ns/i"}}},
        paging_case{"limit_larger_than_everything", 100,
                    {{"c1/ns/a", "c1/ns/b", "c1/ns/c", "c2/ns/d", "c3/ns/e", "c3/ns/f",
                      "c3/ns/g", "c3/ns/h", "c3/ns/i"}}}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(merge_pages, failed_member_is_finished_for_the_rest_of_the_listing)
{
    merge_options o;
    o.limit = 1;
    auto merged = proxy::merge_pages({page("a", {{"", "n1"}, {"", "n2"}})}, {"b"}, page_cursor{}, o);
    EXPECT_TRUE(merged.next.position("b").done);
    EXPECT_FALSE(merged.next.position("a").done);
    EXPECT_EQ(merged.next.position("a").skip, 1);
    EXPECT_TRUE(merged.more);
}

TEST(merge_pages, keep_filter_skips_items_but_counts_them_as_read)
{
    merge_options o;
    o.limit = 1;
    o.keep = [](const json& item) { return item["metadata"]["namespace"] == "mine"; };
    auto merged = proxy::merge_pages({page("a", {{"a-other", "x"}, {"mine", "y"}, {"z-other", "z"}})},
                                     {}, page_cursor{}, o);
    EXPECT_EQ(labels(merged.items), (std::vector<std::string>{"a/mine/y"}));
    EXPECT_EQ(merged.next.position("a").skip, 2);
}

struct bad_token_case {
    std::string name;
    std::string token;
};

class decode_cursor_rejects : public testing::TestWithParam<bad_token_case> {};

TEST_P(decode_cursor_rejects, with_a_message_naming_continue)
{
    std::string error;
    EXPECT_FALSE(proxy::decode_cursor(GetParam().token, "pods||", error));
    EXPECT_NE(error.find("continue"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    cases, decode_cursor_rejects,
    testing::Values(bad_token_case{"not_base64", "!!!"}, bad_token_case{"not_json", "YWJj"},
                    bad_token_case{"other_query",
                                   proxy::encode_cursor(page_cursor{"nodes||", {}})},
                    bad_token_case{"too_long", std::string(70000, 'A')}),
    [](const auto& param_info) { return param_info.param.name; });

}  // namespace
