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
#include "proxy/kube_client.hpp"
#include "proxy/member_limiter.hpp"
#include "proxy/member_registry.hpp"
#include "proxy/merge_page.hpp"
#include "proxy/resource_kinds.hpp"

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
};

struct list_query {
    resource_kind kind;
    std::string ns;              ///< "" = all namespaces (or cluster-scoped)
    std::string label_selector;  ///< passed to the members verbatim (as a query value)
    std::size_t limit = 0;       ///< 0 = no paging
    std::string continue_token;  ///< from a previous page's metadata.continue
    std::optional<std::chrono::milliseconds> timeout;  ///< per member; default from options
    std::optional<std::string> only_cluster;  ///< one member (the per-cluster route)
    std::function<bool(const nlohmann::json&)> keep;  ///< item filter (access control)
};

/// An answer ready to send: status and body (a list with failures, an object, or a Status).
struct read_result {
    unsigned http_status = 200;
    nlohmann::json body;
    std::vector<aggregate_failure> failures;
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

    /// One object by name. Found in one member: 200 with the annotated object. Found in several:
    /// 409 Conflict naming the clusters (pick one with `cluster`). Found nowhere: 404 when every
    /// asked member answered, else 502/504 as for lists.
    net::awaitable<read_result> get(resource_kind kind, std::string ns, std::string name,
                                    std::optional<std::string> cluster,
                                    std::optional<std::chrono::milliseconds> timeout = {});

    const reader_options& options() const { return options_; }

private:
    struct plan;
    net::awaitable<kube_result<json_response>> call(std::string member, std::string path,
                                                    std::chrono::milliseconds timeout);
    kube_client client_;
    member_registry& members_;
    reader_options options_;
    std::shared_ptr<member_limiter> limiter_;
};

/// "500ms", "2s", "1m" (positive, ≤ 5 minutes) → milliseconds; nullopt when invalid.
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text);

}  // namespace proxy
