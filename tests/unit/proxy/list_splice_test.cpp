#include "proxy/list_splice.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using nlohmann::json;
using proxy::scan_error;

const std::string marker_key = "resource.karmada.io/cached-from-cluster";

/// What the DOM merge does to one item (merge_page.cpp): the reference for the splice.
json marked_by_dom(json item, const std::string& cluster)
{
    if (item.is_object()) {
        auto& meta = item["metadata"];
        if (!meta.is_object()) {
            meta = json::object();
        }
        auto& annotations = meta["annotations"];
        if (!annotations.is_object()) {
            annotations = json::object();
        }
        annotations[marker_key] = cluster;
    }
    return item;
}

std::optional<proxy::scanned_list> scan(const std::string& text, scan_error& error,
                                        std::size_t max_items = 1000)
{
    proxy::scan_options o;
    o.max_items = max_items;
    o.max_depth = 16;
    std::string message;
    return proxy::scan_list(text, o, error, message);
}

struct splice_case {
    const char* name;
    std::string text;
    std::vector<std::pair<std::string, std::string>> keys;  // (namespace, name) per item
    bool sorted;
    std::string continue_token;
};

class splice : public ::testing::TestWithParam<splice_case> {};

TEST_P(splice, each_item_is_marked_as_the_dom_merge_marks_it)
{
    const auto& c = GetParam();
    scan_error error = scan_error::none;
    auto list = scan(c.text, error);
    ASSERT_TRUE(list) << static_cast<int>(error);
    EXPECT_EQ(error, scan_error::none);
    EXPECT_EQ(list->sorted, c.sorted);
    EXPECT_EQ(list->continue_token, c.continue_token);
    const auto dom = json::parse(c.text);
    const json& items = dom["items"];
    ASSERT_EQ(list->items.size(), items.is_array() ? items.size() : 0u);
    ASSERT_EQ(list->items.size(), c.keys.size());
    const proxy::cluster_marker marker(marker_key, "gpu-\"a\"");
    for (std::size_t i = 0; i < list->items.size(); ++i) {
        EXPECT_EQ(list->items[i].ns, c.keys[i].first) << i;
        EXPECT_EQ(list->items[i].name, c.keys[i].second) << i;
        std::string out;
        proxy::append_marked_item(out, c.text, list->items[i], marker);
        const auto spliced = json::parse(out, nullptr, false);
        ASSERT_FALSE(spliced.is_discarded()) << out;
        EXPECT_EQ(spliced, marked_by_dom(items[i], marker.cluster)) << out;
    }
}

INSTANTIATE_TEST_SUITE_P(
    shapes, splice,
    ::testing::Values(
        splice_case{"empty_items", R"({"kind":"PodList","items":[]})", {}, true, ""},
        splice_case{"null_items", R"({"items":null,"metadata":{"continue":"abc"}})", {}, true,
                    "abc"},
        splice_case{"no_metadata_empty_object", R"({"items":[{}]})", {{"", ""}}, true, ""},
        splice_case{"no_metadata", R"({"items":[{"kind":"Pod","spec":{"a":[1,2.5e3,-0]}}]})",
                    {{"", ""}}, true, ""},
        splice_case{"empty_metadata", R"({"items":[{"metadata":{}}]})", {{"", ""}}, true, ""},
        splice_case{"metadata_without_annotations",
                    R"({"items":[{"metadata":{"name":"a","namespace":"ml"}},)"
                    R"({"metadata":{"name":"b","namespace":"ml"}}]})",
                    {{"ml", "a"}, {"ml", "b"}}, true, ""},
        splice_case{"empty_annotations",
                    R"({"items":[{"metadata":{"name":"n1","annotations":{}}}]})", {{"", "n1"}},
                    true, ""},
        splice_case{"other_annotations",
                    R"({"items":[ { "metadata" : { "annotations" : {"x":"y"} , "name":"b" } } ,)"
                    "\n"
                    R"( {"metadata":{"name":"a"}} ] , "metadata" : {"resourceVersion":"7"}})",
                    {{"", "b"}, {"", "a"}}, false, ""},
        splice_case{"marker_already_present",
                    R"({"items":[{"metadata":{"name":"a","annotations":{")" + marker_key +
                        R"(":"old"}}}]})",
                    {{"", "a"}}, true, ""},
        splice_case{"annotations_not_an_object",
                    R"({"items":[{"metadata":{"name":"a","annotations":null}}]})", {{"", "a"}},
                    true, ""},
        splice_case{"metadata_not_an_object", R"({"items":[{"metadata":"x"}]})", {{"", ""}},
                    true, ""},
        splice_case{"escaped_name",
                    R"({"items":[{"metadata":{"name":"a\u0062","namespace":"n\/s"}}]})",
                    {{"n/s", "ab"}}, true, ""},
        splice_case{"repeated_metadata_last_wins",
                    R"({"items":[{"metadata":{"name":"x"},"metadata":{"name":"y"}}]})",
                    {{"", "y"}}, true, ""},
        splice_case{"non_object_items_copied", R"({"items":[1,"s",null,[true,false]]})",
                    {{"", ""}, {"", ""}, {"", ""}, {"", ""}}, true, ""},
        splice_case{"unicode_and_escapes_in_values",
                    "{\"items\":[{\"metadata\":{\"name\":\"caf\xc3\xa9\"},\"d\":\"\\ud83d\\ude00 "
                    "\\n\\\"\"}]}",
                    {{"", "caf\xc3\xa9"}}, true, ""},
        splice_case{"escaped_continue", R"({"metadata":{"continue":"a\"b"},"items":[]})", {},
                    true, "a\"b"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

struct bad_case {
    const char* name;
    std::string text;
    scan_error error;
};

class scan_rejects : public ::testing::TestWithParam<bad_case> {};

TEST_P(scan_rejects, with_the_expected_error)
{
    const auto& c = GetParam();
    scan_error error = scan_error::none;
    auto list = scan(c.text, error, 3);
    EXPECT_FALSE(list);
    EXPECT_EQ(error, c.error);
}

INSTANTIATE_TEST_SUITE_P(
    inputs, scan_rejects,
    ::testing::Values(
        bad_case{"empty_text", "", scan_error::invalid_json},
        bad_case{"truncated", R"({"items":[{"metadata":{"name":"a"})", scan_error::invalid_json},
        bad_case{"trailing_text", R"({"items":[]} x)", scan_error::invalid_json},
        bad_case{"trailing_comma", R"({"items":[{},]})", scan_error::invalid_json},
        bad_case{"bad_number", R"({"items":[{"a":01}]})", scan_error::invalid_json},
        bad_case{"bad_literal", R"({"items":[{"a":tru}]})", scan_error::invalid_json},
        bad_case{"control_character", "{\"items\":[{\"a\":\"x\ty\"}]}",
                 scan_error::invalid_json},
        bad_case{"bad_escape", R"({"items":[{"a":"\x"}]})", scan_error::invalid_json},
        bad_case{"lone_surrogate", R"({"items":[{"a":"\ud800"}]})", scan_error::invalid_json},
        bad_case{"invalid_utf8", "{\"items\":[{\"a\":\"\xc3\x28\"}]}", scan_error::invalid_json},
        bad_case{"overlong_utf8", "{\"items\":[{\"a\":\"\xc0\xaf\"}]}", scan_error::invalid_json},
        bad_case{"too_deep", R"({"items":[{"a":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}]})",
                 scan_error::invalid_json},
        bad_case{"array_not_object", R"([1,2])", scan_error::not_a_list},
        bad_case{"no_items", R"({"kind":"Status","code":404})", scan_error::not_a_list},
        bad_case{"items_not_array", R"({"items":{}})", scan_error::not_a_list},
        bad_case{"four_items_over_a_limit_of_three", R"({"items":[{},{},{},{}]})",
                 scan_error::too_many_items}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
