#include "proxy/list_splice.hpp"
#include "proxy/merge_page.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <tuple>
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

// ---- Differential checks: the scan against nlohmann's strict parser, and the vector
// classifier against the portable one, on generated lists and on damaged copies of them.

namespace {

namespace generated {

class writer {
public:
    explicit writer(std::uint32_t seed) : rng_(seed) {}

    /// A list shaped like a member's answer (sometimes with odd item shapes).
    std::string list(std::size_t items)
    {
        std::string out = "{";
        space(out);
        out += R"("kind":"PodList",)";
        if (chance(3)) {
            out += R"("metadata":{"resourceVersion":"12","continue":)" + string() + "},";
        }
        out += "\"items\":";
        space(out);
        out += "[";
        for (std::size_t i = 0; i < items; ++i) {
            if (i > 0) {
                out += ",";
                space(out);
            }
            out += item();
        }
        out += "]";
        space(out);
        out += "}";
        return out;
    }

    /// A byte-level change to a text: delete, insert, replace or truncate.
    std::string damage(std::string text)
    {
        if (text.empty()) {
            return "x";
        }
        static const std::string bytes = std::string("{}[]:,\"\\ \t\n0-eE.tfnu") + '\x01' +
                                         '\x1f' + '\x7f' + '\x80' + '\xc3' + '\xed' + '\xff';
        const std::size_t at = pick(text.size());
        switch (pick(4)) {
        case 0:
            text.erase(at, 1);
            break;
        case 1:
            text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), bytes[pick(bytes.size())]);
            break;
        case 2:
            text[at] = bytes[pick(bytes.size())];
            break;
        default:
            text.resize(at);
        }
        return text;
    }

private:
    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
    bool chance(std::size_t one_in) { return pick(one_in) == 0; }

    void space(std::string& out)
    {
        if (chance(4)) {
            static const char* spaces[] = {" ", "\n", "\t", "\r\n  ", "   "};
            out += spaces[pick(5)];
        }
    }

    std::string string()
    {
        static const char* pieces[] = {
            "a", "Z", "0", "-", " ", "/", "\\\"", "\\\\", "\\n", "\\t", "\\/", "\\u00e9",
            "\\ud83d\\ude00", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xe2\x82\xac", "{", "}", "[",
            "]", ":", ",", "\\u0000", "long-enough-to-cross-a-block-boundary-of-the-classifier",
            "\\\\\\\\", "x\\\\"};
        std::string out = "\"";
        const std::size_t n = pick(12);
        for (std::size_t i = 0; i < n; ++i) {
            out += pieces[pick(sizeof pieces / sizeof *pieces)];
        }
        return out + "\"";
    }

    std::string number()
    {
        static const char* numbers[] = {"0", "-0", "7", "123456789", "-12.5", "1e9", "2.5E-3",
                                        "0.0001", "-1E+2"};
        return numbers[pick(sizeof numbers / sizeof *numbers)];
    }

    std::string value(int depth)
    {
        switch (depth > 6 ? 2 + pick(4) : pick(7)) {
        case 0: {
            std::string out = "{";
            const std::size_t n = pick(5);
            for (std::size_t i = 0; i < n; ++i) {
                if (i > 0) {
                    out += ",";
                }
                space(out);
                out += string();
                space(out);
                out += ":";
                space(out);
                out += value(depth + 1);
            }
            return out + "}";
        }
        case 1: {
            std::string out = "[";
            const std::size_t n = pick(5);
            for (std::size_t i = 0; i < n; ++i) {
                if (i > 0) {
                    out += ",";
                    space(out);
                }
                out += value(depth + 1);
            }
            return out + "]";
        }
        case 2:
        case 3:
            return string();
        case 4:
            return number();
        default: {
            static const char* words[] = {"true", "false", "null"};
            return words[pick(3)];
        }
        }
    }

    std::string item()
    {
        switch (pick(12)) {
        case 0:
            return value(3);  // not necessarily an object
        case 1:
            return R"({"metadata":)" + value(3) + "}";
        case 2:
            return R"({"metadata":{"name":"a"},"metadata":{"name":)" + string() + "}}";
        default:
            break;
        }
        std::string meta = "{";
        std::vector<std::string> members;
        if (!chance(5)) {
            members.push_back("\"name\":" + string());
        }
        if (!chance(3)) {
            members.push_back("\"namespace\":" + (chance(6) ? value(4) : string()));
        }
        if (chance(2)) {
            std::string annotations = "{";
            const std::size_t n = pick(3);
            for (std::size_t i = 0; i < n; ++i) {
                annotations += (i > 0 ? "," : "") + string() + ":" + string();
            }
            if (chance(6)) {
                annotations += std::string(n > 0 ? "," : "") + "\"" + marker_key + "\":\"old\"";
            }
            members.push_back("\"annotations\":" + annotations + "}");
        }
        if (chance(3)) {
            members.push_back("\"labels\":" + value(4));
        }
        std::shuffle(members.begin(), members.end(), rng_);
        for (std::size_t i = 0; i < members.size(); ++i) {
            meta += (i > 0 ? "," : "") + members[i];
        }
        meta += "}";
        std::string out = "{";
        if (!chance(6)) {
            out += "\"metadata\":" + meta;
            out += chance(2) ? ",\"spec\":" + value(2) : "";
        } else {
            out += "\"spec\":" + value(2);
        }
        return out + "}";
    }

    std::mt19937 rng_;
};

}  // namespace generated

std::optional<proxy::scanned_list> scan_with(const std::string& text, bool simd,
                                             scan_error& error, std::string& message)
{
    proxy::scan_options o;
    o.max_depth = 64;
    o.simd = simd;
    return proxy::scan_list(text, o, error, message);
}

/// Checks one text: the scan agrees with nlohmann on validity, the portable classifier on
/// everything, and the DOM on each item; returns whether the text was a valid list.
bool check_against_dom(const std::string& text)
{
    scan_error error = scan_error::none;
    std::string message;
    const auto list = scan_with(text, true, error, message);
    scan_error portable_error = scan_error::none;
    std::string portable_message;
    const auto portable = scan_with(text, false, portable_error, portable_message);
    EXPECT_EQ(error, portable_error) << text;
    EXPECT_EQ(message, portable_message) << text;
    EXPECT_EQ(list.has_value(), portable.has_value()) << text;

    const bool valid = json::accept(text);
    EXPECT_EQ(error != scan_error::invalid_json, valid) << message << "\n" << text;
    if (!list || !portable) {
        EXPECT_FALSE(message.empty()) << text;
        return false;
    }
    const auto dom = json::parse(text);
    const json& items = dom["items"];
    EXPECT_EQ(list->items.size(), items.is_array() ? items.size() : 0u) << text;
    EXPECT_EQ(list->items.size(), portable->items.size()) << text;
    if (list->items.size() != (items.is_array() ? items.size() : 0u) ||
        list->items.size() != portable->items.size()) {
        return true;
    }
    const proxy::cluster_marker marker(marker_key, "m-1");
    for (std::size_t i = 0; i < list->items.size(); ++i) {
        const auto& it = list->items[i];
        const auto& other = portable->items[i];
        EXPECT_EQ(std::tie(it.begin, it.end, it.insert_at, it.target_empty, it.kind, it.ns, it.name),
                  std::tie(other.begin, other.end, other.insert_at, other.target_empty, other.kind,
                           other.ns, other.name))
            << i << "\n" << text;
        EXPECT_EQ(json::parse(text.substr(it.begin, it.end - it.begin)), items[i]) << i;
        const auto key = proxy::sort_key(items[i]);
        EXPECT_EQ(it.ns, key.first) << i << "\n" << text;
        EXPECT_EQ(it.name, key.second) << i << "\n" << text;
        std::string out;
        proxy::append_marked_item(out, text, it, marker);
        EXPECT_EQ(json::parse(out, nullptr, false), marked_by_dom(items[i], marker.cluster))
            << out;
    }
    const auto& meta = dom.contains("metadata") ? dom["metadata"] : json();
    const auto cont = meta.is_object() && meta.contains("continue") && meta["continue"].is_string()
                          ? meta["continue"].get<std::string>()
                          : std::string();
    EXPECT_EQ(list->continue_token, cont) << text;
    return true;
}

TEST(scan_differential, generated_lists_and_their_damaged_copies_agree_with_the_dom)
{
    generated::writer gen(20261203);
    std::size_t valid = 0;
    std::size_t rejected = 0;
    for (int round = 0; round < 400 && !::testing::Test::HasFailure(); ++round) {
        // Small lists, and some past the scanner's 4 KiB window.
        const auto text = gen.list(round % 10 == 0 ? 60 : static_cast<std::size_t>(round % 7));
        ASSERT_TRUE(json::accept(text)) << text;
        EXPECT_TRUE(check_against_dom(text));
        ++valid;
        for (int k = 0; k < 8; ++k) {
            const auto damaged = gen.damage(text);
            (check_against_dom(damaged) ? valid : rejected) += 1;
        }
    }
    // Both sides of the comparison were exercised.
    EXPECT_GT(valid, 400u);
    EXPECT_GT(rejected, 1000u);
}

TEST(scan_differential, escapes_and_multibyte_characters_across_block_boundaries)
{
    // Every offset of a string's special bytes against the 64-byte blocks: a backslash run
    // ending just before or after a boundary, a quote right after it, UTF-8 split by it.
    const std::vector<std::string> specials = {"\\\\", "\\\"", "\\\\\\\"", "\\u00e9",
                                               "\\ud83d\\ude00", "\xc3\xa9", "\xf0\x9f\x98\x80"};
    for (const auto& special : specials) {
        for (std::size_t pad = 0; pad < 70; ++pad) {
            const std::string name(pad, 'a');
            const auto text = R"({"items":[{"metadata":{"name":")" + name + special +
                              R"(x"},"v":")" + special + R"("}]})";
            EXPECT_TRUE(check_against_dom(text)) << text;
            // The same with the string left open: invalid at every offset.
            const auto open = R"({"items":[{"metadata":{"name":")" + name + special;
            EXPECT_FALSE(check_against_dom(open)) << open;
        }
    }
}

}  // namespace
