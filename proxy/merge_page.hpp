#pragma once
/// Paging across member clusters, as pure functions (no sockets, no clock).
///
/// Order: items are sorted by (cluster, namespace, name) — deterministic for a given state of
/// the members. Because the cluster comes first, a page is the next `limit` items of the
/// first clusters that still have items; every member is still asked at once (each for at most
/// skip + limit items), so a page costs one round of parallel member calls.
///
/// The continue token is opaque to clients: base64url of a small JSON document holding, per
/// member, where its next page starts (the member's own `continue` token plus how many items of
/// that member page were already returned) or that the member is finished, and a fingerprint
/// of the query (kind, namespace, selector) so a token is refused for another query. A member
/// that fails during paging is reported in that page's `failures` and is finished for the rest
/// of the listing (a client loop over `continue` always ends); members that appear later start
/// from their beginning.
///
/// Thread safety: pure functions over values.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proxy {

/// Where one member's next page starts.
struct member_position {
    std::string continue_token;  ///< the member's continue token of the page start ("" = first)
    std::int64_t skip = 0;       ///< items of that member page already returned
    bool done = false;           ///< nothing more to read from this member

    friend bool operator==(const member_position&, const member_position&) = default;
};

/// Positions of every member seen so far; members absent start from their beginning.
struct page_cursor {
    std::string query;  ///< fingerprint of the query the cursor belongs to
    std::map<std::string, member_position> members;

    const member_position& position(const std::string& cluster) const;

    friend bool operator==(const page_cursor&, const page_cursor&) = default;
};

/// The fingerprint stored in tokens: kind, namespace and label selector.
std::string query_fingerprint(std::string_view kind, std::string_view ns,
                              std::string_view label_selector);

/// Opaque token for `cursor`.
std::string encode_cursor(const page_cursor& cursor);

/// Decodes a token; nullopt (with `error` set) for a malformed token or one of another query
/// (`expected_query`). Bounded: tokens longer than 64 KiB are refused.
std::optional<page_cursor> decode_cursor(std::string_view token, std::string_view expected_query,
                                         std::string& error);

/// One member's answer for this page: its list items as received (any order) and the
/// member's `metadata.continue` after them.
struct member_page {
    std::string cluster;
    nlohmann::json items = nlohmann::json::array();
    std::string next_continue;
};

struct merged_page {
    nlohmann::json items = nlohmann::json::array();  ///< sorted, marked with their cluster
    page_cursor next;                                 ///< where the following page starts
    bool more = false;  ///< some member has more items (send `encode_cursor(next)`)
};

struct merge_options {
    std::size_t limit = 0;  ///< page size; 0 = everything answered (no paging)
    /// Annotation set on every item to name its member.
    std::string cluster_annotation = "resource.karmada.io/cached-from-cluster";
    /// Items for which this returns false are skipped (counted as read, never returned); e.g.
    /// namespaces a non-admin may not see. Empty: keep all.
    std::function<bool(const nlohmann::json& item)> keep;
};

/// Merges the pages of the members that answered. `start` is the cursor the calls were made
/// from; `failed` lists members that did not answer (finished in `next`).
merged_page merge_pages(std::vector<member_page> answered, const std::vector<std::string>& failed,
                        const page_cursor& start, const merge_options& options);

/// (namespace, name) of an object; empty strings when absent.
std::pair<std::string, std::string> sort_key(const nlohmann::json& item);

}  // namespace proxy
