#include "proxy/scan_memo.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace {

using proxy::scan_error;

struct outcome {
    std::optional<proxy::scanned_list> list;
    scan_error error = scan_error::none;
    std::string message;
};

outcome direct(const std::string& text, const proxy::scan_options& options = {})
{
    outcome o;
    o.list = proxy::scan_list(text, options, o.error, o.message);
    return o;
}

outcome memoised(proxy::scan_memo& memo, const std::string& key, const std::string& text,
                 const proxy::scan_options& options = {})
{
    outcome o;
    o.list = memo.scan(key, text, options, o.error, o.message);
    return o;
}

/// The memo's answer is the one scan_list gives: same validity, error, items, token.
void expect_same(const outcome& got, const outcome& want, const std::string& text)
{
    ASSERT_EQ(got.list.has_value(), want.list.has_value()) << text;
    EXPECT_EQ(got.error, want.error) << text;
    if (!want.list) {
        EXPECT_EQ(got.message, want.message) << text;
        return;
    }
    EXPECT_EQ(got.list->continue_token, want.list->continue_token) << text;
    EXPECT_EQ(got.list->sorted, want.list->sorted) << text;
    ASSERT_EQ(got.list->items.size(), want.list->items.size()) << text;
    for (std::size_t i = 0; i < want.list->items.size(); ++i) {
        const auto& a = got.list->items[i];
        const auto& b = want.list->items[i];
        EXPECT_EQ(std::tie(a.begin, a.end, a.insert_at, a.target_empty, a.kind, a.ns, a.name),
                  std::tie(b.begin, b.end, b.insert_at, b.target_empty, b.kind, b.ns, b.name))
            << i << "\n" << text;
    }
}

/// Scans `text` through the memo and directly, expects the same answer; returns whether
/// the memo reused a remembered scan.
bool check(proxy::scan_memo& memo, const std::string& key, const std::string& text,
           const proxy::scan_options& options = {})
{
    const auto hits = memo.hits();
    const auto got = memoised(memo, key, text, options);
    expect_same(got, direct(text, options), text);
    return memo.hits() > hits;
}

const std::string pods =
    R"([{"metadata":{"namespace":"a","name":"p1","annotations":{"x":"1"}}},)"
    R"({"metadata":{"namespace":"a","name":"p2"}},{"kind":"Pod"},7]})";

std::string list_at(const std::string& rv, const std::string& items = pods,
                    const std::string& token = "")
{
    std::string head = R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":")" +
                       rv + "\"";
    if (!token.empty()) {
        head += R"(,"continue":")" + token + "\"";
    }
    return head + R"(},"items":)" + items;
}

TEST(scan_memo, an_answer_repeated_byte_for_byte_reuses_the_scan)
{
    proxy::scan_memo memo;
    EXPECT_FALSE(check(memo, "m/pods", list_at("10")));
    EXPECT_TRUE(check(memo, "m/pods", list_at("10")));
    EXPECT_TRUE(check(memo, "m/pods", list_at("10")));
    EXPECT_EQ(memo.hits(), 2u);
    EXPECT_EQ(memo.misses(), 1u);
    EXPECT_GT(memo.remembered_bytes(), 0u);
}

TEST(scan_memo, a_new_resource_version_or_continue_token_in_the_head_still_reuses_the_items)
{
    proxy::scan_memo memo;
    EXPECT_FALSE(check(memo, "m/pods", list_at("10")));
    // Longer and shorter heads: item offsets move with them.
    EXPECT_TRUE(check(memo, "m/pods", list_at("1000000")));
    EXPECT_TRUE(check(memo, "m/pods", list_at("9", pods, "next-page-token")));
    EXPECT_TRUE(check(memo, "m/pods", list_at("9")));
    const auto last = memoised(memo, "m/pods", list_at("9", pods, "tok"));
    ASSERT_TRUE(last.list);
    EXPECT_EQ(last.list->continue_token, "tok");
}

TEST(scan_memo, a_changed_item_is_scanned_again_and_becomes_the_remembered_answer)
{
    proxy::scan_memo memo;
    EXPECT_FALSE(check(memo, "m/pods", list_at("10")));
    std::string changed = pods;
    changed.replace(changed.find("p2"), 2, "p3");
    EXPECT_FALSE(check(memo, "m/pods", list_at("11", changed)));
    EXPECT_TRUE(check(memo, "m/pods", list_at("12", changed)));
    // One more item: the old tail is a suffix of the new text, but the head does not check.
    const std::string more = R"([{"metadata":{"name":"p0"}},)" + changed.substr(1);
    EXPECT_FALSE(check(memo, "m/pods", list_at("13", more)));
}

TEST(scan_memo, requests_are_remembered_apart)
{
    proxy::scan_memo memo;
    EXPECT_FALSE(check(memo, "m1/pods", list_at("1")));
    EXPECT_FALSE(check(memo, "m2/pods", list_at("1")));
    EXPECT_TRUE(check(memo, "m1/pods", list_at("2")));
    EXPECT_TRUE(check(memo, "m2/pods", list_at("2")));
}

TEST(scan_memo, heads_that_only_look_right_are_scanned_in_full)
{
    proxy::scan_memo memo;
    const std::string key = "m/pods";
    ASSERT_FALSE(check(memo, key, R"({"items":)" + pods));
    const std::vector<std::string> heads = {
        // Another member named "items" inside metadata: the array is not the root's items.
        R"({"metadata":{"items":)",
        // The same bytes inside a string.
        R"({"kind":"x\"items\":)",
        R"({"kind":"x,"items":)",
        // Items already given (empty), then an array under another key.
        R"({"items":[],"x":)",
        // Invalid head, not an object, trailing garbage before.
        R"({"kind":,"items":)",
        R"(["items":)",
        R"(x{"items":)",
        R"({"kind":"PodList" "items":)",
        // Whitespace between the tokens is fine.
        "{ \"items\" \t:\n",
    };
    std::vector<bool> reused;
    for (const auto& head : heads) {
        // Put the plain answer back first, so each head is tried against it.
        check(memo, key, R"({"items":)" + pods);
        reused.push_back(check(memo, key, head + pods));
    }
    // Only the last one (valid, whitespace between tokens) reuses the scan.
    std::vector<bool> expected(heads.size(), false);
    expected.back() = true;
    EXPECT_EQ(reused, expected);
    // Items given twice: the last array counts, for the full scan as for the memo.
    check(memo, key, R"({"items":)" + pods);
    EXPECT_TRUE(check(memo, key, R"({"items":[{"metadata":{"name":"z"}}],"items":)" + pods));
}

TEST(scan_memo, lists_whose_items_are_not_the_last_member_are_not_remembered)
{
    proxy::scan_memo memo;
    const std::string text = R"({"items":)" + pods.substr(0, pods.size() - 1) +
                             R"(,"metadata":{"continue":"c"}})";
    EXPECT_FALSE(check(memo, "k", text));
    EXPECT_FALSE(check(memo, "k", text));
    EXPECT_EQ(memo.remembered_bytes(), 0u);
    // Nor are lists without items.
    EXPECT_FALSE(check(memo, "e", R"({"items":[]})"));
    EXPECT_FALSE(check(memo, "e", R"({"items":null})"));
    EXPECT_EQ(memo.remembered_bytes(), 0u);
}

TEST(scan_memo, a_remembered_answer_still_obeys_the_item_limit)
{
    proxy::scan_memo memo;
    EXPECT_FALSE(check(memo, "k", list_at("1")));
    proxy::scan_options few;
    few.max_items = 2;
    const auto got = memoised(memo, "k", list_at("2"), few);
    EXPECT_FALSE(got.list);
    EXPECT_EQ(got.error, scan_error::too_many_items);
}

TEST(scan_memo, zero_bytes_turns_it_off)
{
    proxy::scan_memo memo({.max_entries = 10, .max_bytes = 0});
    EXPECT_FALSE(check(memo, "k", list_at("1")));
    EXPECT_FALSE(check(memo, "k", list_at("1")));
    EXPECT_EQ(memo.hits(), 0u);
    EXPECT_EQ(memo.remembered_bytes(), 0u);
}

TEST(scan_memo, the_least_recently_used_request_goes_first)
{
    proxy::scan_memo memo({.max_entries = 2, .max_bytes = 1u << 20});
    check(memo, "a", list_at("1"));
    check(memo, "b", list_at("1"));
    EXPECT_TRUE(check(memo, "a", list_at("2")));  // a is now newer than b
    check(memo, "c", list_at("1"));               // evicts b
    EXPECT_TRUE(check(memo, "a", list_at("3")));
    EXPECT_TRUE(check(memo, "c", list_at("3")));
    EXPECT_FALSE(check(memo, "b", list_at("3")));
}

TEST(scan_memo, remembered_answers_stay_within_the_memory_budget)
{
    // What one answer costs (same key length for all below).
    proxy::scan_memo probe;
    check(probe, "k0", list_at("1"));
    const std::size_t one = probe.remembered_bytes();
    ASSERT_GT(one, pods.size());  // the text and more: the item table is charged too

    const std::size_t budget = one * 4 + one / 2;
    proxy::scan_memo memo({.max_entries = 100, .max_bytes = budget});
    for (int i = 0; i < 10; ++i) {
        check(memo, "k" + std::to_string(i), list_at("1"));
        EXPECT_LE(memo.remembered_bytes(), budget);
    }
    EXPECT_EQ(memo.remembered_bytes(), one * 4);
    EXPECT_TRUE(check(memo, "k9", list_at("2")));
    EXPECT_FALSE(check(memo, "k0", list_at("2")));
    // An answer costing over a quarter of the budget is not remembered at all.
    proxy::scan_memo small({.max_entries = 100, .max_bytes = one * 3});
    check(small, "k", list_at("1"));
    EXPECT_EQ(small.remembered_bytes(), 0u);
}

TEST(scan_memo, many_tiny_items_are_charged_for_their_table_not_only_their_text)
{
    // 20,000 items in 40 KB of text: the item table is far larger than the text.
    std::string text = R"({"items":[)";
    for (int i = 0; i < 20000; ++i) {
        text += i ? ",0" : "0";
    }
    text += "]}";
    proxy::scan_memo memo({.max_entries = 100, .max_bytes = 64u << 20});
    check(memo, "k", text);
    EXPECT_GE(memo.remembered_bytes(), 20000 * sizeof(proxy::list_item));
    // With a budget the text alone would fit four times over, it is not remembered.
    proxy::scan_memo tight({.max_entries = 100, .max_bytes = text.size() * 4});
    check(tight, "k", text);
    EXPECT_EQ(tight.remembered_bytes(), 0u);
    EXPECT_FALSE(check(tight, "k", text));
}

TEST(scan_memo, random_edits_of_a_remembered_answer_give_what_scan_list_gives)
{
    // Damage the head, the tail or the seam of a remembered answer in every way a byte can
    // be damaged; the memo must never accept what a full scan rejects or scan it otherwise.
    std::mt19937 rng(20261204);
    const std::string base = list_at("123", pods, "c0");
    const std::string alphabet = "{}[],:\" \\\nabx01-";
    proxy::scan_memo memo;
    std::size_t hits = 0;
    for (int round = 0; round < 3000 && !::testing::Test::HasFailure(); ++round) {
        check(memo, "k", base);
        std::string text = base;
        const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng);
        const char c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
        switch (rng() % 3) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: text.erase(at, 1); break;
        }
        hits += check(memo, "k", text) ? 1 : 0;
    }
    // Edits of the head (about a third of the text) that keep it valid reuse the scan.
    EXPECT_GT(hits, 100u);
}

}  // namespace
