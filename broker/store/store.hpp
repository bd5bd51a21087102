#pragma once
/// The broker's persistence interface (STYLE.md principle 7): an abstract class so that broker
/// logic can be unit-tested against a fake, implemented for PostgreSQL by `pg_store`.
///
/// Every method is a coroutine that completes on the caller's executor; implementations run
/// blocking database work elsewhere (pg_store: a dedicated thread pool, one connection per
/// thread). Each method is one short transaction: a caller never sees half of a method's work.
/// Failures are values (`store_result`), never exceptions; a database that is down gives
/// `store_errc::unavailable` (HTTP 503) and nothing is written.
///
/// Thread safety: implementations are safe to call concurrently from any number of coroutines
/// and threads.

#include "broker/store/job_record.hpp"
#include "broker/store/store_error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace broker::store {

namespace asio = boost::asio;

/// What a submission needs recorded. `id` may be empty: the store then generates a uuid before
/// placing (the placement function sees it, for its deterministic tie-breaker).
struct new_job {
    std::string id;
    std::string owner;
    std::string name;
    std::string namespace_;
    std::string job_type;
    nlohmann::json form;
    std::int32_t priority = 0;
    /// Idempotency-Key header and a hash of the request body (both empty: no key).
    std::string idempotency_key;
    std::string request_hash;
    /// When placed, the outbox `create` becomes due only after this delay: the submitting
    /// request creates the objects itself and the reconciler takes over only if it does not
    /// finish (it died, or Karmada is down). Zero: due at once.
    std::chrono::milliseconds create_delay{0};
};

/// Outstanding (unreleased) reservations per cluster, summed over every job.
using reserved_map = std::map<std::string, resources>;

/// What the caller's placement function decided. `placed == true`: `reservations` (per cluster)
/// are recorded with the job as Submitting, plus an outbox `create`. `placed == false`: the job
/// is recorded as Queued with `message` (the reasons) and nothing is reserved.
struct placement_decision {
    bool placed = false;
    nlohmann::json placement;  ///< CONTRACTS.md §6 output (recorded in both cases when given)
    nlohmann::json manifests;  ///< rendered objects, when placed
    std::map<std::string, resources> reservations;
    std::string reason;   ///< event reason: "Placed" / "Unschedulable" by default
    std::string message;  ///< event and job message
};

/// A pure function from (job id, outstanding reservations) to a decision. It runs inside the
/// store's serialised transaction, so it must be fast and must not do I/O or call the store.
using placement_fn =
    std::function<placement_decision(const std::string& job_id, const reserved_map& reserved)>;

struct submit_outcome {
    job_record job;
    /// True when an earlier submission with the same user + Idempotency-Key + body was found:
    /// `job` is that first job and nothing new was recorded.
    bool replayed = false;
};

struct job_filter {
    std::optional<job_state> state;
    std::optional<std::string> namespace_;
    std::optional<std::string> job_type;
    std::optional<std::string> owner;  ///< set unless the caller is an admin
};

/// A workload by namespace and name: what a ResourceBinding's `spec.resource` names.
struct workload_name {
    std::string namespace_;
    std::string name;
};

struct job_page {
    std::vector<job_record> items;  ///< newest first
    std::string continue_token;     ///< empty on the last page
};

/// A change of state and/or per-cluster status. No event is recorded when `state` is absent or
/// equal to the current one.
struct status_update {
    std::optional<job_state> state;
    std::string reason;                  ///< event reason for a transition
    std::optional<std::string> message;  ///< replaces the job's message when set
    std::optional<nlohmann::json> cluster_status;
    std::optional<std::int64_t> expected_generation;  ///< optimistic check when set
    /// Clusters whose reservations of this job end with the update, in the same transaction:
    /// their own status now accounts for the job's pods (no commit of its own per cluster).
    std::vector<std::string> release_clusters;
};

class store {
public:
    virtual ~store() = default;

    /// Cheap round trip for /readyz.
    virtual asio::awaitable<store_result<void>> ping() = 0;

    /// In one serialised transaction: replays an idempotent duplicate (same owner + key + hash)
    /// or fails with `idempotency_mismatch` (same key, other hash); else reads the outstanding
    /// reservations, asks `place`, and records job + first event + reservations + outbox
    /// `create` (+ idempotency key) — or the job as Queued with the reasons. Concurrent calls
    /// from any number of processes never over-book: they are serialised by a transaction-level
    /// advisory lock. (The outstanding reservations `place` sees may count some released in the
    /// last second as still reserved, never fewer than there are; a job is queued only on the
    /// exact count.)
    virtual asio::awaitable<store_result<submit_outcome>> reserve_and_record_job(
        new_job job, placement_fn place) = 0;

    /// Tries again to place a Queued job (same serialisation as reserve_and_record_job). Returns
    /// the job as it is afterwards (still Queued when `place` says so; the message is updated,
    /// and an event is written only when the message changed). `conflict` if it is no longer
    /// Queued.
    virtual asio::awaitable<store_result<job_record>> place_queued_job(std::string id,
                                                                       placement_fn place) = 0;

    /// Queued jobs in the order they should be placed: priority (high first), then submission.
    virtual asio::awaitable<store_result<std::vector<job_record>>> list_queued_jobs(
        std::int32_t limit) = 0;

    /// `owner` set: a job of someone else is `not_found` (no existence leak).
    virtual asio::awaitable<store_result<job_record>> get_job(
        std::string id, std::optional<std::string> owner = std::nullopt) = 0;

    /// Keyset paging, newest first. `limit` is clamped to 1..1000; a malformed `continue_token`
    /// is `invalid`.
    virtual asio::awaitable<store_result<job_page>> list_jobs(job_filter filter, std::int32_t limit,
                                                              std::string continue_token) = 0;


    /// Submitting and Running jobs whose workload is one of `names` (at most 1,000), oldest
    /// first.
    virtual asio::awaitable<store_result<std::vector<job_record>>> find_active_jobs(
        std::vector<workload_name> names) = 0;

    /// Applies `update`; a transition not allowed by `is_allowed_transition` is `conflict`. On
    /// entering a terminal state the job's reservations are released. Returns the job as it is
    /// now, except its documents (form, manifests, placement), which are not read back: null.
    virtual asio::awaitable<store_result<job_record>> update_status(std::string id,
                                                                    status_update update) = 0;

    /// DELETE semantics: a non-terminal job becomes Cancelled (event), its reservations are
    /// released, a pending `create` is dropped and, when Karmada objects may exist, one
    /// `delete` is queued. Repeating it changes nothing.
    virtual asio::awaitable<store_result<job_record>> cancel_job(
        std::string id, std::string reason, std::optional<std::string> owner = std::nullopt) = 0;

    /// Appends a non-transition event (the job's state is recorded as both from and to).
    virtual asio::awaitable<store_result<job_event>> append_event(std::string job_id,
                                                                  std::string reason,
                                                                  std::string message) = 0;

    virtual asio::awaitable<store_result<std::vector<job_event>>> list_events(
        std::string job_id) = 0;

    /// All reservations of a job, released or not.
    virtual asio::awaitable<store_result<std::vector<reservation>>> list_reservations(
        std::string job_id) = 0;

    /// Outstanding reservations summed per cluster (what placement subtracts).
    virtual asio::awaitable<store_result<reserved_map>> outstanding_reservations() = 0;

    /// Claims up to `limit` due outbox entries for `worker`, hiding them from other claimers for
    /// `lease` (FOR UPDATE SKIP LOCKED: concurrent claimers never get the same entry).
    virtual asio::awaitable<store_result<std::vector<outbox_entry>>> claim_outbox(
        std::string worker, std::int32_t limit, std::chrono::milliseconds lease) = 0;

    /// A claimed outbox entry, as claim_outbox returned it.
    struct outbox_claim {
        std::int64_t entry_id = 0;
        std::int32_t attempts = 0;
    };

    /// All of the job's Karmada objects exist: records the workload template's uid and closes
    /// the job's pending `create` — `claim` when given (nothing if that claim is stale), else
    /// the one no worker is executing. Returns the job's state (a job cancelled meanwhile is
    /// the caller's to clean up); `not_found` for no such job.
    virtual asio::awaitable<store_result<job_state>> record_created(
        std::string job_id, std::string template_uid,
        std::optional<outbox_claim> claim = std::nullopt) = 0;

    /// Makes the job's pending `create` due now (its submitting request gave up on it).
    virtual asio::awaitable<store_result<void>> make_create_due(std::string job_id) = 0;

    /// Marks a claimed entry done. `conflict` if the claim is stale (re-claimed or superseded).
    virtual asio::awaitable<store_result<void>> complete_outbox(std::int64_t entry_id,
                                                                std::int32_t attempts) = 0;

    /// Records a failed attempt; the entry becomes due again after `retry_after`.
    virtual asio::awaitable<store_result<void>> fail_outbox(
        std::int64_t entry_id, std::int32_t attempts, std::string error,
        std::chrono::milliseconds retry_after) = 0;

    /// Acquires or renews the named lease for `holder` for `ttl` (database clock). Returns who
    /// holds it now; `held` tells whether that is the caller.
    virtual asio::awaitable<store_result<lease_state>> acquire_lease(
        std::string name, std::string holder, std::chrono::milliseconds ttl) = 0;

    /// Gives the lease up at once (graceful shutdown) so that another process takes over.
    virtual asio::awaitable<store_result<void>> release_lease(std::string name,
                                                              std::string holder) = 0;
};

}  // namespace broker::store
