#pragma once
/// Karmada's built-in general estimator (pkg/estimator/client/general.go, SPEC.md §c.6): how
/// many more replicas with a given resource request a member cluster can take, judged only
/// from its Cluster object (spec.resourceModels and status.resourceSummary).
///
/// Two paths, exactly as Karmada takes them:
/// * model path, when status.resourceSummary.allocatableModelings is non-empty and
///   spec.resourceModels is non-empty: `count` virtual nodes per grade present in both, each
///   holding the grade's `min` of every modelled resource, 110 pod slots and nothing of any
///   resource the model does not list; replicas are placed first-fit. A request for a
///   resource the model lacks therefore fits nowhere (the GPU trap of cpu/memory-only models).
/// * summary path otherwise: per requested resource, floor((allocatable − allocated −
///   allocating) / request), CPU in millicores and everything else in whole units.
/// Both are capped by the free pod count (allocatable − allocated − allocating pods).
///
/// Example (summary path): allocatable {cpu 4, memory 8Gi, pods 100}, allocated {cpu 1,
/// memory 2Gi, pods 20}, request {cpu 500m, memory 1Gi} → min(80, 6, 6) = 6.
///
/// Thread safety: plain values and pure functions.

#include "propagation/error.hpp"
#include "propagation/quantity/quantity.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace propagation::division {

/// A Kubernetes ResourceList: resource name → quantity.
using resource_list = std::map<std::string, quantity>;

struct resource_model_range {
    std::string name;
    quantity min;
    quantity max;
};

/// One node size class of `spec.resourceModels`.
struct resource_model {
    std::uint64_t grade = 0;
    std::vector<resource_model_range> ranges;
};

/// One entry of `status.resourceSummary.allocatableModelings`.
struct allocatable_modeling {
    std::uint64_t grade = 0;
    std::int64_t count = 0;
};

struct resource_summary {
    resource_list allocatable;
    resource_list allocating;
    resource_list allocated;
    std::vector<allocatable_modeling> allocatable_modelings;
};

/// What the general estimator reads from a Cluster object.
struct cluster_capacity {
    std::string name;                             ///< metadata.name (may be empty)
    std::vector<resource_model> resource_models;  ///< spec.resourceModels
    std::optional<resource_summary> summary;      ///< status.resourceSummary; absent → 0
};

/// Limits on a parsed Cluster object (every input has a limit).
inline constexpr std::size_t max_resource_models = 1024;
inline constexpr std::size_t max_resources_per_list = 256;
inline constexpr std::size_t max_resource_name_bytes = 253;

/// Parses a `cluster.karmada.io/v1alpha1` Cluster object as Karmada serves it. Fields other
/// than metadata.name, spec.resourceModels and status.resourceSummary are ignored. Errors:
/// `invalid`, with a cause per problem whose field path starts at `path` (e.g.
/// `cluster.spec.resourceModels[1].ranges[0].min: quantities must match the regular
/// expression ...`). Quantities may be JSON strings or numbers, as the API server accepts.
result<cluster_capacity> parse_cluster_capacity(const nlohmann::json& cluster,
                                                std::string_view path = "cluster");

/// Parses a ResourceList object (`{"cpu": "8", "nvidia.com/gpu": 1}`); errors as above.
result<resource_list> parse_resource_list(const nlohmann::json& list,
                                          std::string_view path = "request");

/// Karmada's `maxAvailableReplicas` for one cluster. `request` is the binding's
/// replicaRequirements.resourceRequest; nullopt means the binding has no replica
/// requirements (the answer is then the free pod count). The result is what Karmada returns
/// (its int32, so values beyond 2^31−1 wrap exactly as Go's conversion does); never negative
/// for any realistic cluster.
std::int64_t max_available_replicas(const cluster_capacity& capacity,
                                    const std::optional<resource_list>& request);

}  // namespace propagation::division
