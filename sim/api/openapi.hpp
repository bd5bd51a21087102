#pragma once

#include "sim/api/discovery.hpp"
#include "sim/model/resource_registry.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace fedsim::api {

/// `/openapi/v3`: one entry per served group-version, `{"paths": {"apis/batch/v1":
/// {"serverRelativeURL": "/openapi/v3/apis/batch/v1?hash=..."}}}`. `prefix` is prepended to
/// the serverRelativeURL (the cluster proxy's path for members).
/// Thread safety: pure function.
nlohmann::json openapi_v3_root(const model::resource_registry& registry, api_surface surface,
                               std::string_view prefix = {});

/// `/openapi/v3/apis/<g>/<v>` (or `api/v1`): enough of an OpenAPI v3 document for
/// `kubectl apply` with default validation — every operation carries its
/// x-kubernetes-group-version-kind and the write operations declare `fieldValidation`, so
/// kubectl leaves validation to the server (TOOLCHAIN.md §7.3); CRD schemas are included when
/// loaded. Null when the group-version is not served.
/// Thread safety: pure function.
nlohmann::json openapi_v3_group_version(const model::resource_registry& registry,
                                        api_surface surface, std::string_view group,
                                        std::string_view version);

} // namespace fedsim::api
