#pragma once
/// Creating and deleting a job's objects on the Karmada control plane (CONTRACTS.md §7).
///
/// Creation is idempotent: objects are created in the recorded order, and an AlreadyExists
/// whose existing object carries our job id label counts as success (a retry after a crash or a
/// lost answer). An object of the same name that belongs to another job is a permanent conflict
/// (reason `NameConflict`: retrying cannot help). Deletion goes in reverse order — the templates
/// first (Karmada removes their member copies), the PropagationPolicy last —, removes only
/// objects that carry this job's id (with a uid precondition, so another job's object of the
/// same name is never touched), and a NotFound counts as success.
///
/// Thread safety: the functions only use the (internally synchronised) client.

#include "proxy/kube_client.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace broker::service {

/// The label every object of a job carries (propagation/manifest/build_input.hpp).
inline constexpr std::string_view job_id_label = "broker.gpufed.io/job-id";

/// kube_error::reason of create_job_objects when a name is taken by another job's object.
inline constexpr std::string_view name_conflict_reason = "NameConflict";

/// The REST collection path of an object ("/apis/batch/v1/namespaces/ml/jobs"), from its
/// apiVersion, kind and namespace. Nullopt for a kind the broker never creates.
std::optional<std::string> collection_path(const nlohmann::json& object);

/// The plural resource name of a kind the broker knows ("Job" → "jobs").
std::optional<std::string> plural_of(std::string_view kind);

/// The ResourceBinding Karmada creates for a workload: `<name>-<kind lower-case>` in the same
/// namespace (karmada/SPEC.md §e); empty when the manifests hold no workload.
std::string binding_path(const nlohmann::json& manifests);
/// The same from the workload's namespace, name and kind.
std::string binding_path(std::string_view namespace_, std::string_view name,
                         std::string_view kind);
/// The path of the ResourceBinding named `binding_name` in `namespace_`.
std::string resource_binding_path(std::string_view namespace_, std::string_view binding_name);

/// The workload object (the first object whose kind carries replicas) of a job's manifests.
const nlohmann::json* workload_of(const nlohmann::json& manifests);

/// Creates every object of the job; returns the uid of its workload template (empty when the
/// manifests hold no workload).
proxy::net::awaitable<proxy::kube_result<std::string>> create_job_objects(
    proxy::kube_client& karmada, const nlohmann::json& manifests, std::string_view job_id,
    std::chrono::milliseconds timeout);

proxy::net::awaitable<proxy::kube_result<void>> delete_job_objects(
    proxy::kube_client& karmada, const nlohmann::json& manifests, std::string_view job_id,
    std::chrono::milliseconds timeout);

}  // namespace broker::service
