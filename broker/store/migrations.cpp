#include "broker/store/migrations.hpp"

#include "broker/store/pg_failure.hpp"
#include "broker/store/queries.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <memory>
#include <set>

namespace broker::store {

const std::vector<migration>& all_migrations() {
    static const std::vector<migration> list{
        {1, "jobs and events", R"sql(
CREATE OR REPLACE FUNCTION epoch_us(t timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT (extract(epoch FROM t) * 1000000)::bigint $$;

CREATE TABLE jobs (
    id             uuid PRIMARY KEY,
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    owner          text NOT NULL,
    name           text NOT NULL,
    namespace      text NOT NULL,
    job_type       text NOT NULL,
    form           jsonb NOT NULL,
    manifests      jsonb,
    placement      jsonb,
    state          text NOT NULL CHECK (state IN
                       ('Queued', 'Submitting', 'Running', 'Succeeded', 'Failed', 'Cancelled')),
    message        text NOT NULL DEFAULT '',
    priority       integer NOT NULL DEFAULT 0,
    cluster_status jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    generation     bigint NOT NULL DEFAULT 1
);
CREATE INDEX jobs_owner_seq ON jobs (owner, seq DESC);
CREATE INDEX jobs_state_seq ON jobs (state, seq DESC);
CREATE INDEX jobs_queued ON jobs (priority DESC, seq) WHERE state = 'Queued';

CREATE TABLE job_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id     uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    from_state text,
    to_state   text NOT NULL,
    reason     text NOT NULL,
    message    text NOT NULL DEFAULT ''
);
CREATE INDEX job_events_job ON job_events (job_id, id);
)sql"},
        {2, "gpu reservations", R"sql(
CREATE TABLE reservations (
    job_id       uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    cluster      text NOT NULL,
    gpus         bigint NOT NULL CHECK (gpus >= 0),
    cpu_milli    bigint NOT NULL CHECK (cpu_milli >= 0),
    memory_bytes bigint NOT NULL CHECK (memory_bytes >= 0),
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    released_at  timestamptz,
    PRIMARY KEY (job_id, cluster)
);
CREATE INDEX reservations_outstanding ON reservations (cluster) WHERE released_at IS NULL;
)sql"},
        {3, "karmada outbox", R"sql(
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id          uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    op              text NOT NULL CHECK (op IN ('create', 'delete')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_error      text NOT NULL DEFAULT '',
    claimed_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    done_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE done_at IS NULL;
CREATE UNIQUE INDEX outbox_one_pending ON outbox (job_id, op) WHERE done_at IS NULL;
)sql"},
        {4, "idempotency keys", R"sql(
CREATE TABLE idempotency_keys (
    owner        text NOT NULL,
    key          text NOT NULL,
    job_id       uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    request_hash text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (owner, key)
);
)sql"},
        {5, "leader lease", R"sql(
CREATE TABLE leader_leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    epoch      bigint NOT NULL,
    expires_at timestamptz NOT NULL
);
)sql"},
        {6, "active jobs by workload name", R"sql(
CREATE INDEX jobs_active_workload ON jobs (namespace, name)
    WHERE state IN ('Submitting', 'Running');
)sql"},
        // A job's form and manifests (kilobytes) never change after it is recorded, but its
        // state does, several times: kept out of line, a status update copies a pointer to
        // them instead of the compressed documents themselves. Room left in each page lets
        // an update that changes no indexed column stay on its page (a HOT update: no index
        // entries written).
        {7, "job documents out of line, room for in-page updates", R"sql(
ALTER TABLE jobs SET (toast_tuple_target = 128, fillfactor = 70);
)sql"},
        // Keyed by cluster, the index of outstanding reservations looked as good to the planner
        // as the primary key for "this job's reservation on this cluster" (before statistics
        // exist, both estimate one row), so a release scanned every outstanding reservation of
        // the cluster. Keyed by job, it serves the releases and the per-cluster sums alike.
        {8, "outstanding reservations by job", R"sql(
DROP INDEX reservations_outstanding;
CREATE INDEX reservations_outstanding ON reservations (job_id) WHERE released_at IS NULL;
)sql"},
        // Counts every reservation ever made, whoever made it (a trigger, so that no writer can
        // forget): a broker that finds the count where its own last placement left it knows
        // that nobody else reserved anything since, and may go on from the totals it remembers
        // instead of summing every outstanding reservation again (pg_store).
        {9, "reservation epoch", R"sql(
CREATE TABLE reservation_epoch (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    epoch    bigint NOT NULL
);
INSERT INTO reservation_epoch (epoch) VALUES (0);
CREATE FUNCTION count_reservation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reservation_epoch SET epoch = epoch + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER reservations_epoch AFTER INSERT ON reservations
    FOR EACH ROW EXECUTE FUNCTION count_reservation();
)sql"},
        // The same count, once per statement: a commit group inserts all of its reservations
        // in one statement, and one row-level firing per reservation updated the epoch row once
        // for each (a new row version every time, inside the group's serialised section).
        {10, "reservation epoch counted per statement", R"sql(
CREATE FUNCTION count_reservations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    added bigint;
BEGIN
    SELECT count(*) INTO added FROM inserted;
    IF added > 0 THEN
        UPDATE reservation_epoch SET epoch = epoch + added;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER reservations_epoch ON reservations;
CREATE TRIGGER reservations_epoch AFTER INSERT ON reservations
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION count_reservations();
DROP FUNCTION count_reservation();
)sql"},
        // The uid Karmada gave the job's workload template, written by whoever finished
        // creating all of the job's objects: a ResourceBinding is the job's only when it binds
        // that uid (a namesake's binding names the same workload), and a job without it has
        // objects still to create. Not indexed, so writing it stays an in-page update.
        // Jobs recorded before it have none: each active one gets a create again, which the
        // reconciler repeats idempotently (its objects are found to exist) and which records
        // the uid; until then a Running job's bindings are matched by name, as they were.
        {11, "workload template uid", R"sql(
ALTER TABLE jobs ADD COLUMN template_uid text;
INSERT INTO outbox (job_id, op, next_attempt_at)
    SELECT j.id, 'create', clock_timestamp() FROM jobs j
    WHERE j.state IN ('Submitting', 'Running') AND NOT EXISTS (
        SELECT 1 FROM outbox o WHERE o.job_id = j.id AND o.op = 'create' AND o.done_at IS NULL);
)sql"},
    };
    return list;
}

namespace {

constexpr std::string_view create_bookkeeping = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
))sql";

store_result<migration_report> migrate_locked(pqxx::connection& conn) {
    {
        pqxx::work tx(conn);
        tx.exec0(std::string(create_bookkeeping));
        tx.commit();
    }
    std::set<int> done;
    {
        pqxx::work tx(conn);
        for (const auto& row : tx.exec_prepared(std::string(queries::migrations_applied.name))) {
            done.insert(row[0].as<int>());
        }
        tx.commit();
    }
    migration_report report;
    for (const auto& m : all_migrations()) {
        if (done.count(m.version) != 0) {
            continue;
        }
        pqxx::work tx(conn);
        tx.exec(std::string(m.sql));
        tx.exec_prepared0(std::string(queries::migration_record.name), m.version,
                          std::string(m.name));
        tx.commit();
        report.applied.push_back(m.version);
        done.insert(m.version);
    }
    report.current_version = done.empty() ? 0 : *done.rbegin();
    return report;
}

}  // namespace

store_result<migration_report> migrate_database(const std::string& database_url,
                                                std::chrono::milliseconds lock_timeout) {
    std::unique_ptr<pqxx::connection> conn;
    try {
        conn = std::make_unique<pqxx::connection>(
            with_connect_timeout(database_url, std::chrono::seconds(10)));
        for (const auto& q : queries::migration_queries()) {
            conn->prepare(std::string(q.name), std::string(q.sql));
        }
        // Bounds the wait for another runner's advisory lock (and any DDL lock).
        conn->set_variable("lock_timeout", std::to_string(lock_timeout.count()));
        conn->set_variable("statement_timeout", std::to_string(lock_timeout.count()));
    } catch (...) {
        auto f = classify_exception(std::current_exception());
        if (f.error.code == store_errc::internal) {
            // A connection that cannot even be opened is "unavailable" whatever libpq said.
            f.error.code = store_errc::unavailable;
            f.error.message = "database unavailable";
        }
        return f.error;
    }
    try {
        {
            pqxx::nontransaction tx(*conn);
            tx.exec_prepared(std::string(queries::migration_lock.name));
        }
        auto report = migrate_locked(*conn);
        pqxx::nontransaction tx(*conn);
        tx.exec_prepared(std::string(queries::migration_unlock.name));
        return report;
    } catch (...) {
        // The session lock dies with the connection, which goes out of scope here.
        return classify_exception(std::current_exception()).error;
    }
}

}  // namespace broker::store
