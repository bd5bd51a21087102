#pragma once
/// A member's list answer read once, without building a DOM: a validating scan of the JSON
/// text that finds each item's byte span, its (namespace, name) and where the cluster marker
/// annotation goes; the merged answer is then written by copying the member's bytes with the
/// marker spliced in.
///
/// Why: parsing a list into nlohmann::json and dumping it again cost most of the broker's time
/// and 5-10× the text's size in memory. The scan is one pass over the bytes; items that need
/// real editing (an existing marker annotation, `metadata` or `annotations` that are not
/// objects, escaped namespace/name, duplicate keys) fall back to a DOM of that one item, so
/// the output is the same JSON value the DOM merge produced (key order and spacing may differ).
///
/// Limits: nesting depth (`max_depth`), item count (`max_items`); the text must be valid JSON
/// (RFC 8259, UTF-8), an object with `items` an array or null.
///
/// Thread safety: pure functions over values.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proxy {

/// Where the cluster marker is spliced into one item.
enum class splice_kind {
    annotation,   ///< add `"<key>":"<cluster>"` to the existing annotations object
    annotations,  ///< add `"annotations":{...}` to the existing metadata object
    metadata,     ///< add `"metadata":{"annotations":{...}}` to the item object
    rebuild,      ///< edit a DOM of the item (rare shapes; see the header comment)
    verbatim,     ///< not an object: copied as is, unmarked
};

/// One item of a scanned list.
struct list_item {
    std::size_t begin = 0;  ///< byte span of the item's value in the text
    std::size_t end = 0;
    std::size_t insert_at = 0;  ///< just after the `{` of the object the marker goes into
    bool target_empty = false;  ///< that object has no members (no comma after the marker)
    splice_kind kind = splice_kind::verbatim;
    std::string ns;    ///< metadata.namespace ("" when absent)
    std::string name;  ///< metadata.name ("" when absent)
};

/// The parts of a member's list the merge needs.
struct scanned_list {
    std::vector<list_item> items;
    std::string continue_token;  ///< metadata.continue ("" when absent)
    bool sorted = true;          ///< items already in (namespace, name) order
};

struct scan_options {
    std::size_t max_depth = 256;
    std::size_t max_items = 500000;
    /// The annotation key of the cluster marker (an item that already has it is rebuilt).
    std::string marker_key = "resource.karmada.io/cached-from-cluster";
    /// Classify bytes with the widest vector instructions the CPU has (AVX-512BW, AVX2 or
    /// SSE2 on x86-64); false: one byte at a time (the portable path, which tests compare
    /// against).
    bool simd = true;
};

/// Why a scan failed.
enum class scan_error {
    none,
    invalid_json,  ///< not valid JSON (or too deeply nested)
    not_a_list,    ///< valid JSON, but not an object whose `items` is an array or null
    too_many_items,
};

/// Scans `text`; on failure returns nullopt and sets `error` (and `message`).
std::optional<scanned_list> scan_list(std::string_view text, const scan_options& options,
                                      scan_error& error, std::string& message);

/// The cluster marker: annotation `key` with value `cluster`, kept also as JSON literals.
struct cluster_marker {
    cluster_marker(std::string key, std::string cluster);
    std::string key;
    std::string cluster;
    std::string key_json;      ///< `"key"`
    std::string cluster_json;  ///< `"cluster"`
};

/// Appends `item` of `text` to `out` with the marker annotation set (objects only).
void append_marked_item(std::string& out, std::string_view text, const list_item& item,
                        const cluster_marker& marker);

/// `value` as a JSON string literal (quotes included).
std::string json_quote(std::string_view value);

}  // namespace proxy
