#pragma once
/// Derives a job's state (CONTRACTS.md §9) from what Karmada reports: the ResourceBinding's
/// per-cluster `status.aggregatedStatus` (each member's reflected workload status) and its
/// Scheduled condition (karmada/SPEC.md §e). A divided job succeeds when every cluster's part
/// succeeded and fails as soon as one part fails.
///
/// Per-kind rules for one member's reflected status:
/// | kind            | Succeeded                          | Failed                         | Running            |
/// |-----------------|------------------------------------|--------------------------------|--------------------|
/// | batch/v1 Job    | condition Complete=True            | condition Failed=True          | active > 0         |
/// | PyTorchJob      | last true condition Succeeded      | ... Failed                     | ... Running/Restarting |
/// | RayJob          | jobDeploymentStatus Complete or jobStatus SUCCEEDED | Failed / FAILED / STOPPED | Running / RUNNING |
/// | Volcano Job     | state.phase Completed              | Failed, Aborted, Terminated    | Running, Restarting, Completing |
/// | notebook (Deployment) | never                        | never                          | availableReplicas ≥ 1 |
/// Anything else is Pending.
///
/// Thread safety: pure functions.

#include "propagation/form/job_form.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace propagation::status {

enum class job_state { queued, submitting, running, succeeded, failed, cancelled };
inline constexpr std::array<job_state, 6> all_job_states{
    job_state::queued,    job_state::submitting, job_state::running,
    job_state::succeeded, job_state::failed,     job_state::cancelled};
enum class cluster_state { pending, running, succeeded, failed };

std::string_view to_string(job_state s);
std::string_view to_string(cluster_state s);
/// Parses the names produced by to_string (exact, case-sensitive); nullopt for anything else.
std::optional<job_state> parse_job_state(std::string_view text);

/// True for Succeeded, Failed and Cancelled: nothing changes a finished job.
bool is_terminal(job_state s);

/// The lifecycle's edges: Queued → Submitting | Cancelled | Failed; Submitting → Running |
/// Succeeded | Failed | Cancelled; Running → Succeeded | Failed | Cancelled. A state to itself is
/// not a transition.
bool is_allowed_transition(job_state from, job_state to);

struct cluster_status {
    std::string name;
    std::int64_t replicas = 0;
    cluster_state state = cluster_state::pending;
    std::string message;
    friend bool operator==(const cluster_status&, const cluster_status&) = default;
};

struct job_status {
    job_state state = job_state::running;
    std::string message;
    std::vector<cluster_status> clusters;  ///< sorted by name
};

/// The state of one member's part from its reflected status object.
cluster_state member_state(form::job_type type, const nlohmann::json& member_status,
                           std::string* message = nullptr);

/// The job's state from its ResourceBinding (may be null before Karmada created it) and the
/// placement's replica counts (`planned`: name → replicas), for a job whose objects exist.
job_status derive(form::job_type type, const nlohmann::json& binding,
                  const std::vector<cluster_status>& planned);

}  // namespace propagation::status
