#pragma once
/// Reads allow-listed objects from every member cluster at once through Karmada's cluster
/// proxy: the engine behind `/api/v1/proxy/resources`, `/api/v1/proxy/clusters/{c}/resources`
/// and `/federation/...`.
///
/// One child call per member (fan_out), each with its own deadline, at most
/// `max_in_flight_per_member` calls per member (member_limiter), all over the one pooled
/// kube_client to Karmada, all cancelled when the awaiting coroutine is cancelled (the client
/// went away). Members whose Cluster is not Ready are not called; they are reported as failures
/// with reason "ClusterNotReady". Only paths built by resource_kinds.hpp are ever requested;
/// the caller's credentials are never forwarded (the kube_client uses the broker's own).
///
/// Thread safety: `list` and `get` may be awaited concurrently from any executor.

#include "proxy/aggregate.hpp"
#include "proxy/fanout.hpp"
#include "proxy/kube_client.hpp"
#include "proxy/list_splice.hpp"
#include "proxy/member_limiter.hpp"
#include "proxy/member_registry.hpp"
#include "proxy/merge_page.hpp"
#include "proxy/resource_kinds.hpp"
#include "proxy/scan_memo.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace proxy {

struct reader_options {
    std::chrono::milliseconds member_timeout{2000};  ///< default per-member deadline
    std::size_t max_in_flight_per_member = 16;
    std::size_t max_limit = 5000;      ///< largest accepted page size
    std::size_t max_items = 500000;    ///< items of one unpaged answer beyond this: 502 member
    std::string cluster_annotation = "resource.karmada.io/cached-from-cluster";
    /// Bytes of members' answers remembered so unchanged items are not scanned again
    /// (scan_memo.hpp); 0 scans every answer in full.
    std::size_t scan_memo_bytes = 32u << 20;
};

struct list_query {
    resource_kind kind;
    std::string ns;              ///< "" = all namespaces (or cluster-scoped)
    std::string label_selector;  ///< passed to the members verbatim (as a query value)
    std::size_t limit = 0;       ///< 0 = no paging
    std::string continue_token;  ///< from a previous page's metadata.continue
    std::optional<std::chrono::milliseconds> timeout;  ///< per member; default from options
    std::optional<std::string> only_cluster;  ///< one member (the per-cluster route)
    /// Item filter (access control). On the splice path (list_spliced) it sees only the
    /// item's metadata.namespace and metadata.name.
    std::function<bool(const nlohmann::json&)> keep;
};

/// An answer ready to send: status and body (a list with failures, an object, or a Status).
struct read_result {
    unsigned http_status = 200;
    nlohmann::json body;
    std::vector<aggregate_failure> failures;
};

/// A merged list answer kept as the members' texts plus the pieces around them, written out
/// in order with the cluster marker spliced into each item (list_splice.hpp). Each member's
/// text is freed as soon as it has been written.
///
/// Thread safety: a value; use from one coroutine at a time.
class spliced_list {
public:
    unsigned http_status = 200;
    std::vector<aggregate_failure> failures;

    /// About how many bytes the whole answer has (for a reserve or choosing to stream).
    std::size_t size_hint() const;

    /// Appends the next part of the answer to `out`, stopping after the item that crosses
    /// `max_bytes` appended; returns false once the whole answer has been written.
    bool write_some(std::string& out, std::size_t max_bytes);

    /// The whole answer as one string.
    std::string take_all();

private:
    friend class federated_reader;
    struct member_part {
        std::string text;
        scanned_list list;
        cluster_marker marker;
    };
    std::string head_;  // up to and including "items":[  (or a whole body when no parts)
    std::vector<member_part> parts_;
    std::string tail_;  // from ] to the end
    std::size_t part_ = 0;
    std::size_t item_ = 0;
    bool head_done_ = false;
    bool wrote_item_ = false;
    bool done_ = false;
};

/// A merged list answer written while the members are still answering: member k's items go
/// out as soon as members 0..k (cluster name order) are in; later members that answer early
/// are buffered until then. `failures` (not Ready, failed, timed out) come last, after
/// `items`. Destroying it cancels the members' calls still running (the client went away).
///
/// Thread safety: use from one coroutine at a time, on the executor `list_streamed` ran on
/// (the calls still running deliver there too; the broker's session strand).
class streamed_list {
public:
    streamed_list() = default;
    streamed_list(streamed_list&&) noexcept = default;
    streamed_list& operator=(streamed_list&&) = delete;
    streamed_list(const streamed_list&) = delete;
    streamed_list& operator=(const streamed_list&) = delete;
    ~streamed_list();

    /// 200 once one member answered (or none was asked); 502/504 when all failed; 404 for an
    /// unknown only_cluster. Settled when `list_streamed` returns.
    unsigned http_status() const;

    /// True when every member is in (the whole answer is known).
    bool complete() const;

    /// About how many bytes the answer has so far (members in, not yet written).
    std::size_t size_hint() const;

    /// What `write_some` found.
    enum class progress { more, wait, done };

    /// Appends what is ready (in order) to `out`, stopping after the item that crosses
    /// `max_bytes`: `more` when more is ready now, `wait` when the next member is still
    /// running (await `wait_ready`), `done` once the whole answer has been written.
    progress write_some(std::string& out, std::size_t max_bytes);

    /// Waits until `write_some` can make progress (the next member is in).
    net::awaitable<void> wait_ready();

    /// The whole answer as one string; only when `complete()`.
    std::string take_all();

private:
    friend class federated_reader;
    struct state;
    std::shared_ptr<state> state_;
};

class federated_reader {
public:
    federated_reader(kube_client client, member_registry& members, reader_options options = {});

    /// A merged, sorted page: {"apiVersion","kind":"<Kind>List","metadata":{"continue"?},
    /// "items":[...annotated...],"failures":[{"cluster","reason","message"}]}. 200 when at
    /// least one member answered (or no member was asked); 504 when all failed by timing out;
    /// 502 when all failed otherwise; 400 for a bad continue token; 404 for an unknown
    /// only_cluster.
    net::awaitable<read_result> list(list_query query);

    /// The same answer as `list` (same status, items, order and failures), without building
    /// a DOM of the members' answers: each member's text is scanned once as it arrives and
    /// spliced into the output. Paged queries (limit or continue) go through `list`.
    net::awaitable<spliced_list> list_spliced(list_query query);

    /// The same answer as `list_spliced` for unpaged queries, returned as soon as the status
    /// is known (the first member answered, or all failed) while the other members are still
    /// being called; see streamed_list. Paged queries (limit or continue) and a single member
    /// are answered whole before it returns (complete() is true).
    net::awaitable<streamed_list> list_streamed(list_query query);

    /// One object by name. Found in one member: 200 with the annotated object. Found in several:
    /// 409 Conflict naming the clusters (pick one with `cluster`). Found nowhere: 404 when every
    /// asked member answered, else 502/504 as for lists.
    net::awaitable<read_result> get(resource_kind kind, std::string ns, std::string name,
                                    std::optional<std::string> cluster,
                                    std::optional<std::chrono::milliseconds> timeout = {});

    const reader_options& options() const { return options_; }
    const scan_memo& memo() const { return *memo_; }

private:
    net::awaitable<kube_result<json_response>> call(std::string member, std::string path,
                                                    std::chrono::milliseconds timeout);
    /// The call of one member's list for `query`; takes the slot in `*held` (when set) for
    /// its first call.
    scanned_call make_list_call(const list_query& query, std::chrono::milliseconds timeout,
                                member_slot* held);
    /// `slot`: a slot of `member` already held, or empty to wait for one.
    net::awaitable<kube_result<scanned_member>> call_scanned(std::string member,
                                                             std::string path,
                                                             std::chrono::milliseconds timeout,
                                                             member_slot slot = {});
    /// Members to ask for `query` from `start`; not-Ready ones go to `failures` and
    /// `failed_names`. A 404 answer when `only_cluster` names no member.
    std::optional<read_result> select_members(const list_query& query, const page_cursor& start,
                                              std::vector<std::string>& asked,
                                              std::vector<aggregate_failure>& failures,
                                              std::vector<std::string>& failed_names) const;
    kube_client client_;
    member_registry& members_;
    reader_options options_;
    std::shared_ptr<member_limiter> limiter_;
    std::shared_ptr<scan_memo> memo_;
};

/// "500ms", "2s", "1m" (positive, ≤ 5 minutes) → milliseconds; nullopt when invalid.
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text);

}  // namespace proxy
