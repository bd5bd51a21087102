#pragma once

#include "sim/model/resource_registry.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace fedsim::api {

/// Which kinds an API surface serves: the Karmada control plane serves every registered kind; a
/// member cluster (behind the cluster proxy) serves everything but Karmada's own kinds.
enum class api_surface { control_plane, member };

/// True when `surface` serves `resource`.
/// Thread safety: pure function.
bool serves(api_surface surface, const model::resource_info& resource);

/// `/version` for a Kubernetes version such as "v1.32.4" (major/minor parsed from it, so the
/// kubectl dispatcher picks the matching kubectl).
/// Thread safety: pure function.
nlohmann::json version_info(std::string_view git_version);

/// `/api` (legacy): APIVersions with the server address clients reach us at.
nlohmann::json api_versions(std::string_view server_address);

/// `/apis` (legacy): APIGroupList of every non-core group the surface serves.
nlohmann::json api_group_list(const model::resource_registry& registry, api_surface surface);

/// `/apis/<group>`: one APIGroup; null when the group is not served.
nlohmann::json api_group(const model::resource_registry& registry, api_surface surface,
                         std::string_view group);

/// `/api/v1`, `/apis/<g>/<v>`: APIResourceList (subresources as "pods/log" entries); null when
/// the group-version is not served.
nlohmann::json api_resource_list(const model::resource_registry& registry, api_surface surface,
                                 std::string_view group, std::string_view version);

/// Aggregated discovery v2 (`APIGroupDiscoveryList`): the core group for `/api` (`legacy`),
/// the named groups for `/apis`.
nlohmann::json aggregated_discovery(const model::resource_registry& registry, api_surface surface,
                                    bool legacy);

/// The Content-Type of an aggregated discovery answer.
inline constexpr std::string_view aggregated_discovery_content_type =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// True when an Accept header asks for aggregated discovery v2 (kubectl ≥ 1.26 does).
bool wants_aggregated_discovery(std::string_view accept);

} // namespace fedsim::api
