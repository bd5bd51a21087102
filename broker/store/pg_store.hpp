#pragma once
/// The PostgreSQL implementation of `store` (libpqxx 6.4, synchronous): every method runs one
/// short explicit transaction of named prepared statements (queries.hpp) on the db_pool's
/// threads and resumes the caller on its own executor.
///
/// Design choices:
/// - Submissions and status updates are group-committed (commit_group): those arriving while
///   a transaction commits share the next one and its single WAL flush.
/// - Reservations are serialised by one transaction-level advisory lock
///   (queries::reservation_lock): the placement function sees every committed reservation and
///   its own are committed before the next placement starts, whichever broker process runs it.
/// - The leader lease is a row (holder, expiry, epoch) renewed by the leader, not a session
///   advisory lock: it needs no dedicated connection (the pool's reconnects cannot silently
///   drop leadership), expiry is judged by the database's one clock, a deposed leader learns it
///   at its next renewal, and the epoch is a fencing token.
///
/// Thread safety: all methods may be called concurrently; see store.hpp.

#include "broker/store/commit_group.hpp"
#include "broker/store/db_pool.hpp"
#include "broker/store/store.hpp"

#include <chrono>
#include <memory>

namespace broker::store {

class pg_store final : public store {
public:
    /// `reservation_view_max_age`: how long a placement may go on from remembered reservation
    /// totals before it sums the outstanding reservations again (releases since then count as
    /// still reserved until it does; a placement refused on remembered totals always looks
    /// again first).
    explicit pg_store(db_pool_options options,
                      std::chrono::milliseconds reservation_view_max_age = std::chrono::seconds(1));
    ~pg_store() override;

    /// The pool, for synchronous use by tools and tests.
    db_pool& pool() { return *pool_; }

    asio::awaitable<store_result<void>> ping() override;
    asio::awaitable<store_result<submit_outcome>> reserve_and_record_job(
        new_job job, placement_fn place) override;
    asio::awaitable<store_result<job_record>> place_queued_job(std::string id,
                                                               placement_fn place) override;
    asio::awaitable<store_result<std::vector<job_record>>> list_queued_jobs(
        std::int32_t limit) override;
    asio::awaitable<store_result<job_record>> get_job(std::string id,
                                                      std::optional<std::string> owner) override;
    asio::awaitable<store_result<job_page>> list_jobs(job_filter filter, std::int32_t limit,
                                                      std::string continue_token) override;
    asio::awaitable<store_result<std::vector<job_record>>> find_active_jobs(
        std::vector<workload_name> names) override;
    asio::awaitable<store_result<job_record>> update_status(std::string id,
                                                            status_update update) override;
    asio::awaitable<store_result<job_record>> cancel_job(std::string id, std::string reason,
                                                         std::optional<std::string> owner) override;
    asio::awaitable<store_result<job_event>> append_event(std::string job_id, std::string reason,
                                                          std::string message) override;
    asio::awaitable<store_result<std::vector<job_event>>> list_events(std::string job_id) override;
    asio::awaitable<store_result<std::vector<reservation>>> list_reservations(
        std::string job_id) override;
    asio::awaitable<store_result<reserved_map>> outstanding_reservations() override;
    asio::awaitable<store_result<std::vector<outbox_entry>>> claim_outbox(
        std::string worker, std::int32_t limit, std::chrono::milliseconds lease) override;
    asio::awaitable<store_result<job_state>> record_created(
        std::string job_id, std::string template_uid,
        std::optional<outbox_claim> claim = std::nullopt) override;
    asio::awaitable<store_result<void>> make_create_due(std::string job_id) override;
    asio::awaitable<store_result<void>> complete_outbox(std::int64_t entry_id,
                                                        std::int32_t attempts) override;
    asio::awaitable<store_result<void>> fail_outbox(std::int64_t entry_id, std::int32_t attempts,
                                                    std::string error,
                                                    std::chrono::milliseconds retry_after) override;
    asio::awaitable<store_result<lease_state>> acquire_lease(
        std::string name, std::string holder, std::chrono::milliseconds ttl) override;
    asio::awaitable<store_result<void>> release_lease(std::string name,
                                                      std::string holder) override;

    /// The group that submissions and status updates commit in (metrics, tests).
    const commit_group& group() const { return *group_; }

    /// Placements that summed every outstanding reservation (the rest went on from the totals
    /// the previous group left, the reservation epoch showing nobody else reserved since).
    std::size_t reservation_sums() const;

private:
    struct reservation_view_cache;
    std::unique_ptr<db_pool> pool_;
    std::unique_ptr<commit_group> group_;
    std::shared_ptr<reservation_view_cache> reservation_view_;
};

/// True for the canonical textual form of a uuid (8-4-4-4-12 hex digits).
bool is_uuid(std::string_view s);

/// The opaque continue token for keyset paging and its inverse (nullopt when malformed).
std::string encode_continue_token(std::int64_t seq);
std::optional<std::int64_t> decode_continue_token(std::string_view token);

}  // namespace broker::store
