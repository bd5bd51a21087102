#pragma once
/// Merges per-member list answers from `fan_out` into one response with explicit partial
/// results (STYLE.md principle 6): every item is marked with its cluster, members that
/// failed are listed in `failures` with a reason, and the status says whether anything was
/// answered: 200 when at least one member answered (or there were no members), else 504
/// when every failure was a timeout, else 502 — upstream trouble is a gateway error.
///
/// Thread safety: pure functions over values.

#include "proxy/fanout.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace proxy {

struct aggregate_options {
    /// Annotation that marks each item with its member (the one karmada-search uses).
    std::string cluster_annotation = "resource.karmada.io/cached-from-cluster";
    std::size_t max_items = 100000;  ///< items beyond this are dropped; metadata.truncated set
};

struct aggregate_failure {
    std::string cluster;
    std::string reason;   ///< Status reason or transport reason ("Timeout", "NotFound", ...)
    std::string message;
    bool timed_out = false;
};

struct aggregated_list {
    unsigned http_status = 200;  ///< 200, 502 or 504
    /// {"apiVersion", "kind" (from the first answer, e.g. "PodList"), "metadata": {} (plus
    /// "truncated": true when cut), "items": [...], "failures": [{"cluster", "reason",
    /// "message"}]}
    nlohmann::json body;
    std::vector<aggregate_failure> failures;
};

/// Merges list outcomes in member order. An answer that is not a list (no `items` array)
/// counts as that member's failure (reason "BadResponse").
aggregated_list aggregate_lists(const std::vector<member_outcome>& outcomes,
                                const aggregate_options& options = {});

}  // namespace proxy
