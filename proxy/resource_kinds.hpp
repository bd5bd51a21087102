#pragma once
/// The allow-list of kinds the aggregated member queries may read, and the only way member
/// paths are built: from a kind of this list plus a namespace and a name that passed
/// validation. Nothing the caller sends is ever spliced into a member path unchecked, so the
/// proxy cannot be steered to secrets, subresources or arbitrary URLs.
///
/// Thread safety: immutable data and pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proxy {

/// One readable kind, described as Kubernetes discovery describes it.
struct resource_kind {
    std::string group;     ///< "" for the core group
    std::string version;   ///< "v1", "v1alpha1"
    std::string plural;    ///< "pods"
    std::string singular;  ///< "pod"
    std::string kind;      ///< "Pod"
    bool namespaced = true;
    std::vector<std::string> short_names;

    /// "v1" or "batch/v1".
    std::string group_version() const;
    /// The member's collection path: "/api/v1/pods", "/apis/batch/v1/namespaces/ns/jobs"
    /// (namespace ignored for cluster-scoped kinds; empty = all namespaces).
    std::string collection_path(std::string_view ns) const;
};

/// The allow-list: pods, nodes, namespaces, events, services, jobs (batch), deployments, and
/// the workload CRDs pytorchjobs, notebooks (kubeflow.org), rayjobs (ray.io) and Volcano jobs
/// (batch.volcano.sh). Secrets, configmaps and everything else are absent on purpose.
const std::vector<resource_kind>& allowed_kinds();

/// Finds a kind by plural, singular, Kind (case-insensitive), short name, or
/// "plural.group" ("jobs.batch.volcano.sh"; "vcjobs" also names Volcano jobs). A bare
/// "jobs" is batch/v1 Jobs. nullopt when the kind is not on the allow-list.
std::optional<resource_kind> find_kind(std::string_view name);

/// Finds a kind by group, version and plural exactly (the /federation paths).
std::optional<resource_kind> find_kind(std::string_view group, std::string_view version,
                                       std::string_view plural);

/// True for a valid namespace name (RFC 1123 label: ≤ 63, [a-z0-9-], alphanumeric ends).
bool valid_namespace(std::string_view ns);

/// True for a valid object name (RFC 1123 subdomain: ≤ 253, [a-z0-9.-], alphanumeric ends).
/// Covers every name the allow-listed kinds use (nodes, pods, jobs, events ...).
bool valid_object_name(std::string_view name);

/// True for a valid member cluster name (the Cluster object's name: RFC 1123 subdomain).
bool valid_cluster_name(std::string_view name);

/// The path of `member_path` (which must start with '/') through Karmada's cluster proxy:
/// "/apis/cluster.karmada.io/v1alpha1/clusters/<cluster>/proxy<member_path>".
std::string cluster_proxy_path(std::string_view cluster, std::string_view member_path);

}  // namespace proxy
