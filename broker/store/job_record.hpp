#pragma once
/// The persisted model of the broker: jobs, their events, GPU reservations, outbox entries and
/// the leader lease, as plain values (the rows of migrations.cpp's schema).
///
/// JSON columns (form, manifests, placement, per-cluster status) are kept as nlohmann::json so
/// that the store does not depend on the propagation types; the broker converts.
///
/// Thread safety: plain values.

#include "propagation/status/job_status.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker::store {

using clock = std::chrono::system_clock;
using time_point = std::chrono::time_point<clock, std::chrono::microseconds>;

/// CONTRACTS.md §9's states, their stable names and the lifecycle's edges are the pure core's
/// (propagation/status/job_status.hpp); the store persists those names.
using job_state = propagation::status::job_state;
using propagation::status::all_job_states;
using propagation::status::is_allowed_transition;
using propagation::status::is_terminal;
using propagation::status::parse_job_state;
using propagation::status::to_string;

/// Resources a reservation holds on one cluster.
struct resources {
    std::int64_t gpus = 0;
    std::int64_t cpu_milli = 0;
    std::int64_t memory_bytes = 0;

    resources& operator+=(const resources& o) {
        gpus += o.gpus;
        cpu_milli += o.cpu_milli;
        memory_bytes += o.memory_bytes;
        return *this;
    }
    friend bool operator==(const resources&, const resources&) = default;
};

struct job_record {
    std::string id;     ///< uuid (lower-case, hyphenated)
    std::string owner;  ///< the authenticated user who submitted it
    std::string name;
    std::string namespace_;
    std::string job_type;      ///< "job", "pytorch", ...
    nlohmann::json form;       ///< the validated form as posted
    nlohmann::json manifests;  ///< rendered objects (array), null while Queued
    nlohmann::json placement;  ///< CONTRACTS.md §6 output, null while Queued
    job_state state = job_state::queued;
    std::string message;  ///< why it is in this state (queue reasons, failure text)
    std::int32_t priority = 0;
    nlohmann::json cluster_status;  ///< per-cluster breakdown: {"cluster-1": {...}, ...}
    time_point created_at{};
    time_point updated_at{};
    /// Increases by one on every update; optimistic updates name the generation they read.
    std::int64_t generation = 1;
    /// The uid Karmada gave the workload template, recorded once all of the job's objects were
    /// created (empty before). Read by find_active_jobs only.
    std::string template_uid;
};

/// One lifecycle event. Transitions have `from_state`/`to_state`; other events (e.g. "Created in
/// Karmada", "Retrying") have to_state == from_state.
struct job_event {
    std::int64_t id = 0;
    std::string job_id;
    time_point at{};
    std::optional<job_state> from_state;  ///< nullopt for the first event of a job
    job_state to_state = job_state::queued;
    std::string reason;   ///< CamelCase machine word: "Placed", "Unschedulable", "Cancelled"...
    std::string message;  ///< human text
};

struct reservation {
    std::string job_id;
    std::string cluster;
    resources amount;
    time_point created_at{};
    std::optional<time_point> released_at;
};

enum class outbox_op { create, remove };
std::string_view to_string(outbox_op op);  ///< "create", "delete"

/// A pending Karmada operation for a job. A claim hides the entry from other claimers until
/// `next_attempt_at` (the claim's lease); `attempts` identifies the claim when completing it.
struct outbox_entry {
    std::int64_t id = 0;
    std::string job_id;
    outbox_op op = outbox_op::create;
    std::int32_t attempts = 0;
    time_point next_attempt_at{};
    std::string last_error;
    std::string claimed_by;
};

/// The leader lease as the database holds it after an acquire/renew attempt.
struct lease_state {
    bool held = false;       ///< true when the caller is the holder now
    std::string holder;      ///< current holder (may be someone else)
    std::int64_t epoch = 0;  ///< increases on every change of holder (a fencing token)
    time_point expires_at{};
};

}  // namespace broker::store
