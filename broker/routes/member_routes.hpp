#pragma once
/// Routes over the member clusters (CONTRACTS.md §8): the cluster list answered from the
/// watched Cluster objects plus the broker's reservations.
///
/// Thread safety: registration at startup only.

#include "broker/server/router.hpp"
#include "broker/store/store.hpp"
#include "propagation/placement/cluster_snapshot.hpp"
#include "proxy/member_registry.hpp"

#include <memory>

namespace broker::routes {

/// One member as `GET /api/v1/proxy/clusters` lists it: name, ready, kubernetesVersion, labels,
/// provider/region/zones, gpuModel, and `gpus: [{resource, model, total, allocated, reserved,
/// free}]` per GPU resource (allocated counts running and pending pods).
nlohmann::json cluster_json(const proxy::member_cluster& member, const store::resources* reserved,
                            const propagation::placement::snapshot_options& options);

void add_cluster_list_route(server::router& router, proxy::member_registry& members,
                            store::store& store,
                            std::shared_ptr<const propagation::placement::snapshot_options> options);

}  // namespace broker::routes
