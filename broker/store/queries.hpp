#pragma once
/// Every SQL statement the store runs, each a named constant (STYLE.md principle 7). The name is
/// what the statement is prepared under on every connection and what logs and metrics refer to;
/// statements are executed by name with parameters, never assembled from strings.
///
/// Conventions: uuids travel as text (`$1::uuid`, `id::text`), JSON as text (`$1::jsonb`,
/// `col::text`), timestamps as microseconds since the epoch (`epoch_us(col)`, defined by the
/// first migration), nullable filters as NULL parameters (`$1::text IS NULL OR ...`).
///
/// Thread safety: immutable data.

#include <string_view>
#include <vector>

namespace broker::store::queries {

struct query {
    std::string_view name;
    std::string_view sql;
};

// Connection and locking.
extern const query ping;
extern const query reservation_lock;

// Migrations bookkeeping (the DDL itself lives in migrations.cpp).
extern const query migration_lock;
extern const query migration_unlock;
extern const query migrations_applied;
extern const query migration_record;

// Jobs.
extern const query record_new_jobs;
extern const query get_job;
extern const query get_job_for_update;
extern const query list_jobs;
extern const query list_queued_jobs;
extern const query find_active_jobs;
extern const query apply_job_statuses;
extern const query update_job_status;
extern const query update_job_placement;

// Events.
extern const query insert_event;
extern const query list_events;

// Reservations.
extern const query outstanding_reservations;
extern const query reservation_epoch;
extern const query insert_reservation;
extern const query release_job_reservations;
extern const query list_reservations;

// Outbox.
extern const query insert_outbox;
extern const query insert_create_outbox;
extern const query record_created;
extern const query make_create_due;
extern const query drop_pending_creates;
extern const query claim_outbox;
extern const query complete_outbox;
extern const query fail_outbox;

// Idempotency keys.
extern const query find_idempotency_key;

// Leader lease.
extern const query acquire_lease;
extern const query read_lease;
extern const query release_lease;

/// Every statement used on a pooled connection (prepared when the connection is opened).
const std::vector<query>& pooled_queries();

/// The statements the migration runner prepares on its own connection.
const std::vector<query>& migration_queries();

}  // namespace broker::store::queries
