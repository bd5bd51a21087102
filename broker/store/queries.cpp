#include "broker/store/queries.hpp"

namespace broker::store::queries {

// The job columns in the order pg_store's row decoder reads them (seq last: the paging key).
#define BROKER_JOB_COLUMNS                                                                        \
    "id::text, owner, name, namespace, job_type, form::text, coalesce(manifests::text, 'null'), " \
    "coalesce(placement::text, 'null'), state, message, priority, cluster_status::text, "         \
    "epoch_us(created_at), epoch_us(updated_at), generation, seq"

#define BROKER_EVENT_COLUMNS "id, job_id::text, epoch_us(at), from_state, to_state, reason, message"

const query ping{"ping", "SELECT 1"};

// One lock for every placement: a placement looks at all clusters at once, so per-cluster locks
// would have to be taken in a fixed order anyway; one transaction-level lock is simpler, is
// released by COMMIT/ROLLBACK (or a dropped connection), and the critical section is a few
// milliseconds. The key is an arbitrary constant reserved for this purpose.
const query reservation_lock{"reservation_lock", "SELECT pg_advisory_xact_lock(4707218830177001)"};

const query migration_lock{"migration_lock", "SELECT pg_advisory_lock(4707218830177002)"};
const query migration_unlock{"migration_unlock", "SELECT pg_advisory_unlock(4707218830177002)"};
const query migrations_applied{"migrations_applied",
                               "SELECT version FROM schema_migrations ORDER BY version"};
const query migration_record{"migration_record",
                             "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"};

// New jobs with everything recorded alongside each, in one statement (one round trip for all
// the new jobs of a commit group): $1..$15 are parallel arrays, one element per job (id, owner,
// name, namespace, type, form, manifests and placement (null while queued), state, message,
// priority, first event's reason, the outbox `create` delay in ms (null: none), idempotency key
// (null: none) and request hash); $16..$20 are the reservations, flattened: the job's ordinal
// (1-based) and the cluster with its amounts. The children's foreign keys are checked at the end
// of the statement, when the job rows exist. One row per job, in order: ordinal, created,
// updated, generation.
const query record_new_jobs{
    "record_new_jobs",
    "WITH i AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],"
    " $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::integer[], $12::text[],"
    " $13::bigint[], $14::text[], $15::text[]) WITH ORDINALITY AS t(id, owner, name, ns, type,"
    " form, manifests, placement, state, message, priority, reason, delay, key, hash, n)),"
    " j AS (INSERT INTO jobs (id, owner, name, namespace, job_type, form, manifests, placement,"
    " state, message, priority) SELECT id, owner, name, ns, type, form::jsonb, manifests::jsonb,"
    " placement::jsonb, state, message, priority FROM i ORDER BY n"
    " RETURNING id, epoch_us(created_at) AS created, epoch_us(updated_at) AS updated, generation),"
    " e AS (INSERT INTO job_events (job_id, from_state, to_state, reason, message)"
    " SELECT id, NULL, state, reason, message FROM i ORDER BY n),"
    " r AS (INSERT INTO reservations (job_id, cluster, gpus, cpu_milli, memory_bytes)"
    " SELECT i.id, t.c, t.g, t.m, t.b FROM unnest($16::bigint[], $17::text[], $18::bigint[],"
    " $19::bigint[], $20::bigint[]) AS t(k, c, g, m, b) JOIN i ON i.n = t.k),"
    " o AS (INSERT INTO outbox (job_id, op, next_attempt_at) SELECT id, 'create',"
    " clock_timestamp() + make_interval(secs => delay::double precision / 1000)"
    " FROM i WHERE delay IS NOT NULL),"
    " k AS (INSERT INTO idempotency_keys (owner, key, job_id, request_hash)"
    " SELECT owner, key, id, hash FROM i WHERE key IS NOT NULL)"
    " SELECT i.n, j.created, j.updated, j.generation FROM i JOIN j ON j.id = i.id ORDER BY i.n"};

const query get_job{"get_job",
                    "SELECT " BROKER_JOB_COLUMNS
                    " FROM jobs WHERE id = $1::uuid AND ($2::text IS NULL OR owner = $2)"};

const query get_job_for_update{
    "get_job_for_update",
    "SELECT " BROKER_JOB_COLUMNS
    " FROM jobs WHERE id = $1::uuid AND ($2::text IS NULL OR owner = $2) FOR UPDATE"};

const query list_jobs{
    "list_jobs",
    "SELECT " BROKER_JOB_COLUMNS
    " FROM jobs WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR namespace = $2)"
    " AND ($3::text IS NULL OR job_type = $3) AND ($4::text IS NULL OR owner = $4)"
    " AND ($5::bigint IS NULL OR seq < $5) ORDER BY seq DESC LIMIT $6"};

const query list_queued_jobs{
    "list_queued_jobs", "SELECT " BROKER_JOB_COLUMNS
                        " FROM jobs WHERE state = 'Queued' ORDER BY priority DESC, seq LIMIT $1"};

// The status loop's lookup from ResourceBindings (spec.resource namespace + name) to jobs;
// $1 and $2 are parallel text arrays. The form and manifests (kilobytes, stored compressed out
// of line) are not read: the status loop needs neither.
const query find_active_jobs{
    "find_active_jobs",
    "SELECT id::text, owner, name, namespace, job_type, 'null', 'null',"
    " coalesce(placement::text, 'null'), state, message, priority, cluster_status::text,"
    " epoch_us(created_at), epoch_us(updated_at), generation, seq, coalesce(template_uid, '')"
    " FROM jobs WHERE state IN ('Submitting', 'Running') AND (namespace, name) IN"
    " (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY seq"};

// Status updates of distinct jobs in one statement (one round trip for all the updates of a
// commit group), each all or nothing. $1..$8 are parallel arrays, one element per update: job id;
// new state (null keeps it); message and cluster status (null keeps them); expected generation
// (null: no check); the states the new one may be entered from and the clusters whose
// reservations end, both comma-separated (names never contain commas); the event reason. The
// rows are locked in id order (no deadlock between batches), checked, updated; only for those
// updated: a transition is an event, the reservations of the named clusters end (all of the
// job's on entering a terminal state). Outstanding reservations are found through an array of
// the updated jobs' ids, not by a join: with young statistics, the planner made such a join scan
// every candidate row once per updated job (seen with auto_explain: 87 ms for 64 updates, when
// this statement also closed pending creates). One row per update, in order: its
// ordinal, the row as it was (null: no such job), then the updated job without its documents
// (null: refused).
const query apply_job_statuses{
    "apply_job_statuses",
    "WITH i AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],"
    " $5::bigint[], $6::text[], $7::text[], $8::text[]) WITH ORDINALITY"
    " AS t(id, target, msg, cs, expected, allowed, rel, reason, n)),"
    " cur AS (SELECT j.id, j.state, j.message, j.generation FROM jobs j"
    " WHERE j.id IN (SELECT id FROM i) ORDER BY j.id FOR UPDATE),"
    " upd AS (UPDATE jobs j SET state = coalesce(i.target, c.state),"
    " message = coalesce(i.msg, j.message), cluster_status = coalesce(i.cs::jsonb, j.cluster_status),"
    " updated_at = clock_timestamp(), generation = j.generation + 1"
    " FROM i JOIN cur c ON c.id = i.id WHERE j.id = i.id"
    " AND (i.expected IS NULL OR c.generation = i.expected)"
    " AND (i.target IS NULL OR i.target = c.state"
    " OR c.state = ANY(string_to_array(i.allowed, ',')))"
    " RETURNING i.n, j.id AS uid, j.id::text AS id, j.owner, j.name, j.namespace, j.job_type, j.priority,"
    " j.cluster_status::text AS cluster_status, epoch_us(j.created_at) AS created,"
    " epoch_us(j.updated_at) AS updated, j.generation, j.seq, j.state, j.message,"
    " c.state AS from_state, i.rel, i.reason),"
    " e AS (INSERT INTO job_events (job_id, from_state, to_state, reason, message)"
    " SELECT u.uid, u.from_state, u.state, u.reason, u.message FROM upd u"
    " WHERE u.state <> u.from_state),"
    " r AS (UPDATE reservations SET released_at = clock_timestamp()"
    " WHERE reservations.job_id = ANY (ARRAY(SELECT u.uid FROM upd u))"
    " AND reservations.released_at IS NULL AND EXISTS (SELECT 1 FROM upd u"
    " WHERE u.uid = reservations.job_id AND (reservations.cluster = ANY(string_to_array(u.rel, ','))"
    " OR (u.state <> u.from_state AND u.state IN ('Succeeded', 'Failed', 'Cancelled')))))"
    " SELECT i.n, c.state, c.message, c.generation, u.id, u.owner, u.name, u.namespace,"
    " u.job_type, 'null', 'null', 'null', u.state, u.message, u.priority, u.cluster_status,"
    " u.created, u.updated, u.generation, u.seq"
    " FROM i LEFT JOIN cur c ON c.id = i.id LEFT JOIN upd u ON u.n = i.n ORDER BY i.n"};

// A null $3 / $4 keeps the message / cluster status.
const query update_job_status{
    "update_job_status",
    "UPDATE jobs SET state = $2, message = coalesce($3, message),"
    " cluster_status = coalesce($4::jsonb, cluster_status),"
    " updated_at = clock_timestamp(), generation = generation + 1"
    " WHERE id = $1::uuid RETURNING id::text, owner, name, namespace, job_type, 'null', 'null',"
    " 'null', state, message, priority, cluster_status::text, epoch_us(created_at),"
    " epoch_us(updated_at), generation, seq"};

const query update_job_placement{
    "update_job_placement",
    "UPDATE jobs SET state = $2, message = $3, manifests = $4::jsonb, placement = $5::jsonb,"
    " updated_at = clock_timestamp(), generation = generation + 1"
    " WHERE id = $1::uuid RETURNING " BROKER_JOB_COLUMNS};

const query insert_event{"insert_event",
                         "INSERT INTO job_events (job_id, from_state, to_state, reason, message)"
                         " VALUES ($1::uuid, $2, $3, $4, $5) RETURNING " BROKER_EVENT_COLUMNS};

const query list_events{"list_events", "SELECT " BROKER_EVENT_COLUMNS
                                       " FROM job_events WHERE job_id = $1::uuid ORDER BY id"};

const query outstanding_reservations{
    "outstanding_reservations",
    "SELECT cluster, sum(gpus)::bigint, sum(cpu_milli)::bigint, sum(memory_bytes)::bigint"
    " FROM reservations WHERE released_at IS NULL GROUP BY cluster ORDER BY cluster"};

// Every reservation inserted adds one (a trigger, migration 9).
const query reservation_epoch{"reservation_epoch", "SELECT epoch FROM reservation_epoch"};

const query insert_reservation{
    "insert_reservation",
    "INSERT INTO reservations (job_id, cluster, gpus, cpu_milli, memory_bytes)"
    " VALUES ($1::uuid, $2, $3, $4, $5)"};

const query release_job_reservations{"release_job_reservations",
                                     "UPDATE reservations SET released_at = clock_timestamp()"
                                     " WHERE job_id = $1::uuid AND released_at IS NULL"};

const query list_reservations{
    "list_reservations",
    "SELECT job_id::text, cluster, gpus, cpu_milli, memory_bytes, epoch_us(created_at),"
    " epoch_us(released_at) FROM reservations WHERE job_id = $1::uuid ORDER BY cluster"};

// A new operation never overtakes one of the other kind that is being executed right now: by a
// worker (claimed, not done: it becomes due when that claim's lease ends) or by the submitting
// request (a create never claimed: due when that request's deadline passes). Otherwise a delete
// queued by a cancel could run before an in-flight create finishes and leave objects behind.
const query insert_outbox{
    "insert_outbox",
    "INSERT INTO outbox (job_id, op, next_attempt_at)"
    " SELECT $1::uuid, $2, greatest(clock_timestamp(), (SELECT max(next_attempt_at) FROM outbox"
    " WHERE job_id = $1::uuid AND op <> $2 AND done_at IS NULL"
    " AND (claimed_by <> '' OR (op = 'create' AND attempts = 0))))"
    " ON CONFLICT (job_id, op) WHERE done_at IS NULL DO NOTHING"};

// The create of a job whose submitting request is creating its objects itself: due only after
// `$2` ms, so the reconciler steps in only if that request does not finish (it died, or Karmada
// is down). A job recorded by a placement from the queue passes 0.
const query insert_create_outbox{
    "insert_create_outbox",
    "INSERT INTO outbox (job_id, op, next_attempt_at)"
    " VALUES ($1::uuid, 'create', clock_timestamp() + make_interval(secs => $2::double precision"
    " / 1000)) ON CONFLICT (job_id, op) WHERE done_at IS NULL DO NOTHING"};

// All of a job's objects exist (one statement for a commit group's jobs): records the workload
// template's uid and closes the job's pending create, the given claim ($3, $4: entry id and
// attempts) or, without one, the create no worker is executing (a worker that claimed it
// completes it itself). Pending creates are found through an array of the ids (see
// apply_job_statuses). One row per item, in order: its ordinal, then the job's state (null: no
// such job).
const query record_created{
    "record_created",
    "WITH i AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::int[])"
    " WITH ORDINALITY AS t(id, uid, entry, attempts, n)),"
    " cur AS (SELECT id FROM jobs WHERE id IN (SELECT id FROM i) ORDER BY id FOR UPDATE),"
    " j AS (UPDATE jobs SET template_uid = i.uid FROM i JOIN cur ON cur.id = i.id"
    " WHERE jobs.id = i.id RETURNING jobs.id, jobs.state),"
    " o AS (UPDATE outbox SET done_at = clock_timestamp() FROM i"
    " WHERE outbox.job_id = ANY (ARRAY(SELECT id FROM i)) AND outbox.job_id = i.id"
    " AND outbox.op = 'create' AND outbox.done_at IS NULL AND CASE WHEN i.entry IS NULL"
    " THEN outbox.claimed_by = '' ELSE outbox.id = i.entry AND outbox.attempts = i.attempts END)"
    " SELECT i.n, j.state FROM i LEFT JOIN j ON j.id = i.id ORDER BY i.n"};

const query make_create_due{
    "make_create_due",
    "UPDATE outbox SET next_attempt_at = least(next_attempt_at, clock_timestamp())"
    " WHERE job_id = $1::uuid AND op = 'create' AND done_at IS NULL AND claimed_by = ''"};

const query drop_pending_creates{
    "drop_pending_creates",
    "UPDATE outbox SET done_at = clock_timestamp(), last_error = 'superseded by delete'"
    " WHERE job_id = $1::uuid AND op = 'create' AND done_at IS NULL"};

// The claim is a short lease written into the row: the Karmada call happens after COMMIT, so the
// row lock alone could not keep other workers away. SKIP LOCKED lets concurrent claimers pass
// each other instead of queueing on the same rows.
const query claim_outbox{
    "claim_outbox",
    "WITH due AS (SELECT id FROM outbox WHERE done_at IS NULL"
    " AND next_attempt_at <= clock_timestamp() ORDER BY next_attempt_at, id"
    " LIMIT $2 FOR UPDATE SKIP LOCKED)"
    " UPDATE outbox o SET attempts = o.attempts + 1, claimed_by = $1,"
    " next_attempt_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)"
    " FROM due WHERE o.id = due.id RETURNING o.id, o.job_id::text, o.op, o.attempts,"
    " epoch_us(o.next_attempt_at), o.last_error, o.claimed_by"};

const query complete_outbox{
    "complete_outbox",
    "UPDATE outbox SET done_at = clock_timestamp() WHERE id = $1 AND attempts = $2"
    " AND done_at IS NULL"};

const query fail_outbox{
    "fail_outbox",
    "UPDATE outbox SET last_error = $3, claimed_by = '',"
    " next_attempt_at = clock_timestamp() + make_interval(secs => $4::double precision / 1000)"
    " WHERE id = $1 AND attempts = $2 AND done_at IS NULL"};

const query find_idempotency_key{
    "find_idempotency_key",
    "SELECT job_id::text, request_hash FROM idempotency_keys WHERE owner = $1 AND key = $2"};

// Taken when free or expired, renewed by the holder; the epoch changes with the holder so that a
// deposed leader's late writes can be recognised (fencing). Expiry uses the database's clock, the
// one clock every broker shares.
const query acquire_lease{
    "acquire_lease",
    "INSERT INTO leader_leases AS l (name, holder, epoch, expires_at)"
    " VALUES ($1, $2, 1, clock_timestamp() + make_interval(secs => $3::double precision / 1000))"
    " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,"
    " epoch = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > clock_timestamp()"
    " THEN l.epoch ELSE l.epoch + 1 END"
    " WHERE l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp()"
    " RETURNING holder, epoch, epoch_us(expires_at)"};

const query read_lease{"read_lease",
                       "SELECT holder, epoch, epoch_us(expires_at) FROM leader_leases"
                       " WHERE name = $1"};

const query release_lease{"release_lease",
                          "UPDATE leader_leases SET expires_at = clock_timestamp()"
                          " WHERE name = $1 AND holder = $2"};

#undef BROKER_JOB_COLUMNS
#undef BROKER_EVENT_COLUMNS

const std::vector<query>& pooled_queries() {
    static const std::vector<query> all{ping,
                                        reservation_lock,
                                        record_new_jobs,
                                        get_job,
                                        get_job_for_update,
                                        list_jobs,
                                        list_queued_jobs,
                                        find_active_jobs,
                                        apply_job_statuses,
                                        update_job_status,
                                        update_job_placement,
                                        insert_event,
                                        list_events,
                                        outstanding_reservations,
                                        reservation_epoch,
                                        insert_reservation,
                                        release_job_reservations,
                                        list_reservations,
                                        insert_outbox,
                                        insert_create_outbox,
                                        record_created,
                                        make_create_due,
                                        drop_pending_creates,
                                        claim_outbox,
                                        complete_outbox,
                                        fail_outbox,
                                        find_idempotency_key,
                                        acquire_lease,
                                        read_lease,
                                        release_lease};
    return all;
}

const std::vector<query>& migration_queries() {
    static const std::vector<query> all{migration_lock, migration_unlock, migrations_applied,
                                        migration_record};
    return all;
}

}  // namespace broker::store::queries
