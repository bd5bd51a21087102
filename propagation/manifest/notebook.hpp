#pragma once
/// jobType `notebook`: an interactive GPU workspace as three core objects (no Notebook CRD
/// or its controller is needed in the member clusters):
/// - apps/v1 Deployment `<name>`: 1 replica whatever the form says (two Jupyter servers behind
///   one Service would split a user's kernels), strategy Recreate (the GPU and a ReadWriteOnce
///   volume must be released before the new pod starts), selector on the job-id label;
///   container `notebook` with port 8888 (`http`) and env NB_PREFIX = the URL path; the form's
///   command/args are used when given, else the image's own.
/// - v1 Service `<name>`: ClusterIP, port 80 → 8888.
/// - networking.k8s.io/v1 Ingress `<name>`: path `<prefix>/<namespace>/<name>` (Prefix) to the
///   Service; no host and no class, so the cluster's default Ingress class serves it.
/// backoffLimit, ttlSecondsAfterFinished and activeDeadlineSeconds do not apply to a service
/// that runs until deleted, and are not used; neither is workersPerNode.
///
/// Thread safety: pure function.

#include "propagation/error.hpp"
#include "propagation/manifest/build_input.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace propagation::manifest {

inline constexpr std::int32_t notebook_container_port = 8888;
inline constexpr std::int32_t notebook_service_port = 80;

/// The notebook's URL path: `<prefix>/<namespace>/<name>`.
std::string notebook_path(const build_input& in);

/// Appends the Deployment, Service and Ingress (in that order) to `out`.
result<void> build_notebook(const build_input& in, std::vector<nlohmann::json>& out);

}  // namespace propagation::manifest
