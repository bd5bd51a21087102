#pragma once

#include "broker/server/request_context.hpp"
#include "broker/server/response.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string_view>

namespace fedsim::api {

class app;

/// Applies the faults configured for `cluster` ("" = the control plane) to one request:
/// waits `latencyMs`, then answers 503 when `unavailable` (or, for a member, not ready), or 500
/// while `failNextRequests` lasts. nullopt: serve the request normally.
boost::asio::awaitable<std::optional<broker::server::response>>
apply_fault(app& a, std::string_view cluster, broker::server::request_context& ctx);

/// `/apis/cluster.karmada.io/v1alpha1/clusters/{name}/proxy/{path...}`: serves the member's
/// Kubernetes API (discovery, objects, watch, pod logs) as Karmada's aggregated API server
/// proxies it; 404 `clusters.cluster.karmada.io "<name>" not found` for an unknown cluster;
/// `clusters/*/proxy/...` fans lists out to every member and routes named objects to their
/// single owner (karmada/SPEC.md §d.1).
boost::asio::awaitable<broker::server::response>
serve_cluster_proxy(app& a, broker::server::request_context& ctx);

} // namespace fedsim::api
