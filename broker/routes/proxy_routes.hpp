#pragma once
/// Aggregated member-cluster reads (CONTRACTS.md §8, issue 5):
///
/// - `GET /api/v1/proxy/clusters/{cluster}/resources?kind=&namespace=&labelSelector=&limit=
///   &continue=&timeout=` — one member's objects.
/// - `GET /api/v1/proxy/resources?kind=&namespace=&labelSelector=&limit=&continue=&timeout=` —
///   every member at once; items carry the annotation
///   `resource.karmada.io/cached-from-cluster: <cluster>` (Karmada's own marker for objects
///   read from a member), sorted by (cluster, namespace, name); `failures: [{cluster, reason,
///   message}]`; 502 when every member failed, 504 when every member timed out; `timeout`
///   (e.g. 500ms, 2s) is the per-member deadline, default proxy.memberTimeout.
/// - `/federation/...` — a read-only Kubernetes API over all members (discovery, lists, gets,
///   Table output with a Cluster column) for `kubectl --server http(s)://HOST:PORT/federation`.
///   A name found in several members answers 409 Conflict naming the clusters; `?cluster=`
///   picks one. Writes and watches answer 405.
///
/// Access: only kinds of proxy/resource_kinds.hpp (secrets never; 403 Forbidden otherwise).
/// Admins read every namespace. Other users read nodes, and namespaced objects only in their
/// namespaces: those configured for them in `user_namespaces`, plus those `namespaces_of`
/// returns (e.g. the namespaces of their job records) — a request for another namespace is
/// 403; an all-namespaces list is filtered to theirs; `namespaces` lists only theirs.
///
/// Thread safety: registration at startup only; handlers run concurrently.

#include "broker/auth/jwt.hpp"
#include "broker/server/router.hpp"
#include "proxy/federated_reader.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace broker::routes {

struct proxy_route_options {
    proxy::reader_options reader;  ///< memberTimeout, maxInFlightPerMember, limits
    /// Namespaces each non-admin user may read (user → namespaces).
    std::map<std::string, std::vector<std::string>> user_namespaces;
    /// Further namespaces of a user (optional), e.g. from the job store.
    std::function<boost::asio::awaitable<std::vector<std::string>>(const auth::principal&)>
        namespaces_of;
};

/// Who may read what; built per request.
struct namespace_access {
    bool all = false;               ///< admin
    std::set<std::string> allowed;  ///< for non-admins
    bool may_read(const std::string& ns) const { return all || allowed.count(ns) > 0; }
};

/// Registers the /api/v1/proxy/... resource routes and /federation/... on `router`, reading
/// through `karmada` (the broker's own pooled client) and the members of `members`. Returns
/// the reader the routes share (for its counters).
std::shared_ptr<const proxy::federated_reader> add_proxy_routes(
    server::router& router, const proxy::kube_client& karmada, proxy::member_registry& members,
    proxy_route_options options);

namespace detail {
/// The access of the request's principal (null principal: nothing).
boost::asio::awaitable<namespace_access> access_of(const auth::principal* who,
                                                   const proxy_route_options& options);
/// Item filter for all-namespace lists of a non-admin (empty function for admins).
std::function<bool(const nlohmann::json&)> item_filter(const proxy::resource_kind& kind,
                                                      const namespace_access& access);
void add_federation_routes(server::router& router,
                           std::shared_ptr<proxy::federated_reader> reader,
                           std::shared_ptr<const proxy_route_options> options);
}  // namespace detail

}  // namespace broker::routes
