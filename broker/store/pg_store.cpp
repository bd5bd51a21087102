#include "broker/store/pg_store.hpp"

#include "broker/store/queries.hpp"

#include <openssl/rand.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <array>
#include <cctype>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>

namespace broker::store {

namespace q = queries;

namespace {

std::string name_of(const q::query& query) {
    return std::string(query.name);
}

/// A nullable text parameter: libpqxx sends a null `const char*` as SQL NULL.
const char* nullable(const std::optional<std::string>& s) {
    return s ? s->c_str() : nullptr;
}

time_point to_time(const pqxx::field& f) {
    if (f.is_null()) {
        return time_point{};
    }
    return time_point(std::chrono::microseconds(f.as<std::int64_t>()));
}

nlohmann::json to_json(const pqxx::field& f) {
    if (f.is_null()) {
        return nullptr;
    }
    return nlohmann::json::parse(f.c_str());
}

job_state to_state(const pqxx::field& f) {
    // The CHECK constraint admits only the six names.
    return parse_job_state(f.c_str()).value_or(job_state::queued);
}

job_record decode_job(const pqxx::row& r) {
    job_record j;
    j.id = r[0].as<std::string>();
    j.owner = r[1].as<std::string>();
    j.name = r[2].as<std::string>();
    j.namespace_ = r[3].as<std::string>();
    j.job_type = r[4].as<std::string>();
    j.form = to_json(r[5]);
    j.manifests = to_json(r[6]);
    j.placement = to_json(r[7]);
    j.state = to_state(r[8]);
    j.message = r[9].as<std::string>();
    j.priority = r[10].as<std::int32_t>();
    j.cluster_status = to_json(r[11]);
    j.created_at = to_time(r[12]);
    j.updated_at = to_time(r[13]);
    j.generation = r[14].as<std::int64_t>();
    return j;
}

std::int64_t seq_of(const pqxx::row& r) {
    return r[15].as<std::int64_t>();
}

job_event decode_event(const pqxx::row& r) {
    job_event e;
    e.id = r[0].as<std::int64_t>();
    e.job_id = r[1].as<std::string>();
    e.at = to_time(r[2]);
    if (!r[3].is_null()) {
        e.from_state = to_state(r[3]);
    }
    e.to_state = to_state(r[4]);
    e.reason = r[5].as<std::string>();
    e.message = r[6].as<std::string>();
    return e;
}

outbox_entry decode_outbox(const pqxx::row& r) {
    outbox_entry o;
    o.id = r[0].as<std::int64_t>();
    o.job_id = r[1].as<std::string>();
    o.op = std::string_view(r[2].c_str()) == "delete" ? outbox_op::remove : outbox_op::create;
    o.attempts = r[3].as<std::int32_t>();
    o.next_attempt_at = to_time(r[4]);
    o.last_error = r[5].as<std::string>();
    o.claimed_by = r[6].as<std::string>();
    return o;
}

std::string dump(const nlohmann::json& j) {
    return j.dump();
}

const char* nullable_json(const nlohmann::json& j, std::string& storage) {
    if (j.is_null()) {
        return nullptr;
    }
    storage = j.dump();
    return storage.c_str();
}

store_error not_found(const std::string& id) {
    return make_error(store_errc::not_found, "job " + id + " not found");
}

reserved_map read_outstanding(pqxx::transaction_base& tx) {
    reserved_map out;
    for (const auto& r : tx.exec_prepared(name_of(q::outstanding_reservations))) {
        out[r[0].as<std::string>()] =
            resources{r[1].as<std::int64_t>(), r[2].as<std::int64_t>(), r[3].as<std::int64_t>()};
    }
    return out;
}

std::optional<job_record> find_job(pqxx::transaction_base& tx, const std::string& id,
                                   const std::optional<std::string>& owner, bool for_update) {
    if (!is_uuid(id)) {
        return std::nullopt;
    }
    auto rows = tx.exec_prepared(name_of(for_update ? q::get_job_for_update : q::get_job), id,
                                 nullable(owner));
    if (rows.empty()) {
        return std::nullopt;
    }
    return decode_job(rows[0]);
}

job_event insert_event(pqxx::transaction_base& tx, const std::string& job_id,
                       std::optional<job_state> from, job_state to, const std::string& reason,
                       const std::string& message) {
    std::optional<std::string> from_text;
    if (from) {
        from_text = std::string(to_string(*from));
    }
    auto r = tx.exec_prepared1(name_of(q::insert_event), job_id, nullable(from_text),
                               std::string(to_string(to)), reason, message);
    return decode_event(r);
}

/// Records the reservations and the `create` operation of a job that has just been placed.
/// Checked before anything is written (the store's operations write all or nothing).
std::optional<store_error> check_reservations(const placement_decision& d) {
    for (const auto& [cluster, amount] : d.reservations) {
        if (amount.gpus < 0 || amount.cpu_milli < 0 || amount.memory_bytes < 0) {
            return make_error(store_errc::invalid, "negative reservation for cluster " + cluster);
        }
    }
    return std::nullopt;
}

void record_placed(pqxx::transaction_base& tx, const std::string& job_id,
                   const placement_decision& d, std::chrono::milliseconds create_delay) {
    for (const auto& [cluster, amount] : d.reservations) {
        tx.exec_prepared0(name_of(q::insert_reservation), job_id, cluster, amount.gpus,
                          amount.cpu_milli, amount.memory_bytes);
    }
    tx.exec_prepared0(name_of(q::insert_create_outbox), job_id,
                      static_cast<std::int64_t>(create_delay.count()));
}

/// A PostgreSQL array literal of text values, every element quoted.
template <class Text>
std::string text_array(const std::vector<Text>& values) {
    std::string out = "{";
    for (const auto& v : values) {
        if (out.size() > 1) {
            out += ',';
        }
        out += '"';
        for (char ch : v) {
            if (ch == '"' || ch == '\\') {
                out += '\\';
            }
            out += ch;
        }
        out += '"';
    }
    out += '}';
    return out;
}

/// A PostgreSQL array literal whose absent elements are NULL.
std::string nullable_text_array(const std::vector<std::optional<std::string>>& values) {
    std::string out = "{";
    for (const auto& v : values) {
        if (out.size() > 1) {
            out += ',';
        }
        if (!v) {
            out += "NULL";
            continue;
        }
        out += text_array(std::vector<std::string>{*v}).substr(1);
        out.pop_back();  // the element without the braces around it
    }
    out += '}';
    return out;
}

/// The group's batch in `slot`, made on first use with `flush` registered to run it just
/// before COMMIT.
template <class Batch>
Batch& group_batch(group_scope& scope, std::shared_ptr<Batch>& slot,
                   void (*flush)(pqxx::transaction_base&, Batch&)) {
    if (!slot) {
        slot = std::make_shared<Batch>();
        scope.before_commit.push_back(
            [batch = slot, flush](pqxx::transaction_base& tx) { flush(tx, *batch); });
    }
    return *slot;
}

/// Hands each row of a batch statement to the item its first column names (1-based ordinal).
/// An item left without a row is answered by its deferred operation as never run.
template <class Item, class Answer>
void answer_rows(const pqxx::result& rows, std::vector<Item>& items, Answer answer) {
    for (const auto& row : rows) {
        const auto n = row[0].as<std::size_t>();
        if (n >= 1 && n <= items.size()) {
            answer(items[n - 1], row);
        }
    }
}

/// A version-4 uuid from the system's random source, so that a job id costs no round trip.
std::string random_uuid() {
    std::array<unsigned char, 16> b{};
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
        throw std::runtime_error("no random bytes for a job id");
    }
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += hex[b[i] >> 4];
        out += hex[b[i] & 15];
    }
    return out;
}

std::string default_reason(const placement_decision& d) {
    if (!d.reason.empty()) {
        return d.reason;
    }
    return d.placed ? "Placed" : "Unschedulable";
}

// Base64url without padding: the continue token is opaque to clients.
constexpr std::string_view b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64_encode(std::string_view in) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : in) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(b64[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) {
        out.push_back(b64[(acc << (6 - bits)) & 0x3f]);
    }
    return out;
}

std::optional<std::string> b64_decode(std::string_view in) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        const auto pos = b64.find(c);
        if (pos == std::string_view::npos) {
            return std::nullopt;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

}  // namespace

bool is_uuid(std::string_view s) {
    if (s.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) {
            return false;
        }
    }
    return true;
}

std::string encode_continue_token(std::int64_t seq) {
    return b64_encode("jobs:" + std::to_string(seq));
}

std::optional<std::int64_t> decode_continue_token(std::string_view token) {
    if (token.size() > 64) {
        return std::nullopt;
    }
    auto text = b64_decode(token);
    if (!text || text->rfind("jobs:", 0) != 0 || text->size() == 5 || text->size() > 25) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (std::size_t i = 5; i < text->size(); ++i) {
        const char c = (*text)[i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        if (v > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    return v;
}

namespace {
// Bounds one group's transaction (and the placement lock's hold) at a few milliseconds.
constexpr std::size_t max_group_ops = 256;
}  // namespace

/// The reservation totals the last committed placement group of this process left, and the
/// reservation epoch they correspond to. Summing every outstanding reservation is the most
/// expensive statement of a placement group (a millisecond with a few thousand outstanding);
/// when the epoch is still where this process left it, nobody else has reserved anything since,
/// so the totals are never less than the truth (releases only lower it) and may be used.
struct pg_store::reservation_view_cache {
    explicit reservation_view_cache(std::chrono::milliseconds age) : max_age(age) {}

    const std::chrono::milliseconds max_age;
    std::mutex mu;
    std::optional<std::int64_t> epoch;
    reserved_map reserved;
    std::chrono::steady_clock::time_point summed_at{};
    std::atomic<std::size_t> sums{0};

    /// The remembered totals when they are current for `epoch` and young enough.
    std::optional<reserved_map> current(std::int64_t now_epoch,
                                        std::chrono::steady_clock::time_point now,
                                        std::chrono::steady_clock::time_point& summed) {
        std::lock_guard lock(mu);
        if (!epoch || *epoch != now_epoch || now - summed_at > max_age) {
            return std::nullopt;
        }
        summed = summed_at;
        return reserved;
    }

    void remember(std::int64_t new_epoch, const reserved_map& totals,
                  std::chrono::steady_clock::time_point summed) {
        std::lock_guard lock(mu);
        epoch = new_epoch;
        reserved = totals;
        summed_at = summed;
    }
};

pg_store::pg_store(db_pool_options options, std::chrono::milliseconds reservation_view_max_age)
    : pool_(std::make_unique<db_pool>(std::move(options))),
      group_(std::make_unique<commit_group>(*pool_, max_group_ops)),
      reservation_view_(std::make_shared<reservation_view_cache>(reservation_view_max_age)) {}

std::size_t pg_store::reservation_sums() const { return reservation_view_->sums.load(); }

pg_store::~pg_store() {
    // The pool's threads may be draining the group: stop them before the group goes.
    pool_.reset();
}

asio::awaitable<store_result<void>> pg_store::ping() {
    return pool_->run<void>([](pqxx::connection_base& c) -> store_result<void> {
        pqxx::nontransaction tx(c);
        tx.exec_prepared1(name_of(q::ping));
        return {};
    });
}

/// The new jobs a commit group has placed, to be written as one statement before COMMIT (or
/// earlier, when an exact sum of the outstanding reservations must see them).
struct record_batch {
    struct item {
        std::string id;
        new_job job;
        placement_decision decision;
        job_state state = job_state::queued;
        std::function<void(store_result<submit_outcome>)> done;
    };
    std::vector<item> items;
};

namespace {

void flush_records(pqxx::transaction_base& tx, record_batch& batch) {
    if (batch.items.empty()) {
        return;
    }
    std::vector<std::string> ids, owners, names, namespaces, types, forms, states, messages,
        priorities, reasons, hashes, res_job, res_cluster, res_gpus, res_cpu, res_memory;
    std::vector<std::optional<std::string>> manifests, placements, delays, keys;
    for (std::size_t n = 0; n < batch.items.size(); ++n) {
        const auto& it = batch.items[n];
        const auto& d = it.decision;
        ids.push_back(it.id);
        owners.push_back(it.job.owner);
        names.push_back(it.job.name);
        namespaces.push_back(it.job.namespace_);
        types.push_back(it.job.job_type);
        forms.push_back(dump(it.job.form));
        manifests.push_back(d.placed && !d.manifests.is_null() ? std::optional(d.manifests.dump())
                                                                : std::nullopt);
        placements.push_back(d.placement.is_null() ? std::nullopt
                                                   : std::optional(d.placement.dump()));
        states.emplace_back(to_string(it.state));
        messages.push_back(d.message);
        priorities.push_back(std::to_string(it.job.priority));
        reasons.push_back(default_reason(d));
        delays.push_back(d.placed ? std::optional(std::to_string(it.job.create_delay.count()))
                                  : std::nullopt);
        keys.push_back(it.job.idempotency_key.empty() ? std::nullopt
                                                      : std::optional(it.job.idempotency_key));
        hashes.push_back(it.job.request_hash);
        if (d.placed) {
            for (const auto& [cluster, amount] : d.reservations) {
                res_job.push_back(std::to_string(n + 1));
                res_cluster.push_back(cluster);
                res_gpus.push_back(std::to_string(amount.gpus));
                res_cpu.push_back(std::to_string(amount.cpu_milli));
                res_memory.push_back(std::to_string(amount.memory_bytes));
            }
        }
    }
    auto items = std::move(batch.items);
    batch.items.clear();
    const auto rows = tx.exec_prepared(
        name_of(q::record_new_jobs), text_array(ids), text_array(owners), text_array(names),
        text_array(namespaces), text_array(types), text_array(forms),
        nullable_text_array(manifests), nullable_text_array(placements), text_array(states),
        text_array(messages), text_array(priorities), text_array(reasons),
        nullable_text_array(delays), nullable_text_array(keys), text_array(hashes),
        text_array(res_job), text_array(res_cluster), text_array(res_gpus), text_array(res_cpu),
        text_array(res_memory));
    answer_rows(rows, items, [](record_batch::item& it, const pqxx::row& row) {
        // Built from what was written: decoding the documents back would cost more.
        job_record record;
        record.id = it.id;
        record.owner = it.job.owner;
        record.name = it.job.name;
        record.namespace_ = it.job.namespace_;
        record.job_type = it.job.job_type;
        record.form = std::move(it.job.form);
        record.manifests = it.decision.placed ? std::move(it.decision.manifests) : nlohmann::json();
        record.placement = std::move(it.decision.placement);
        record.state = it.state;
        record.message = std::move(it.decision.message);
        record.priority = it.job.priority;
        record.cluster_status = nlohmann::json::object();
        record.created_at = to_time(row[1]);
        record.updated_at = to_time(row[2]);
        record.generation = row[3].as<std::int64_t>();
        it.done(submit_outcome{std::move(record), false});
    });
}

}  // namespace

asio::awaitable<store_result<submit_outcome>> pg_store::reserve_and_record_job(new_job job,
                                                                               placement_fn place) {
    // Placed at once, in arrival order, under the placement lock; the rows are put off until the
    // group is about to commit, so that all of its new jobs are written in one statement.
    return group_->run_deferred<submit_outcome>(
        [job = std::move(job), place = std::move(place), view = reservation_view_](
            pqxx::transaction_base& tx, group_scope& scope,
            std::function<void(store_result<submit_outcome>)> done) {
            auto& records = group_batch(scope, scope.records, &flush_records);
            const auto sum_exactly = [&] {
                flush_records(tx, records);  // the sum must see the group's own jobs
                scope.reserved = read_outstanding(tx);
                scope.reserved_exact = true;
                scope.reserved_summed_at = std::chrono::steady_clock::now();
                ++view->sums;
            };
            if (!scope.reserved) {
                // Serialises every placement (all broker processes) until COMMIT/ROLLBACK; the
                // group's later placements see this one's reservations through `scope`.
                tx.exec_prepared(name_of(q::reservation_lock));
                scope.reservation_epoch =
                    tx.exec_prepared1(name_of(q::reservation_epoch))[0].as<std::int64_t>();
                if (auto remembered =
                        view->current(scope.reservation_epoch, std::chrono::steady_clock::now(),
                                      scope.reserved_summed_at)) {
                    scope.reserved = std::move(*remembered);
                    scope.reserved_exact = false;
                } else {
                    sum_exactly();
                }
                // What this group leaves is the next one's starting point, once committed.
                scope.after_commit.push_back([view, &scope] {
                    view->remember(scope.reservation_epoch, *scope.reserved,
                                   scope.reserved_summed_at);
                });
            }
            const bool keyed = !job.idempotency_key.empty();
            if (keyed) {
                // (A second use of a key within one group is not seen here: the batch's insert
                // then fails on the key, and each job of the group is retried alone.)
                auto rows = tx.exec_prepared(name_of(q::find_idempotency_key), job.owner,
                                             job.idempotency_key);
                if (!rows.empty()) {
                    if (rows[0][1].as<std::string>() != job.request_hash) {
                        done(make_error(
                            store_errc::idempotency_mismatch,
                            "Idempotency-Key was already used with a different request body"));
                        return;
                    }
                    auto first = find_job(tx, rows[0][0].as<std::string>(), std::nullopt, false);
                    if (!first) {
                        done(make_error(store_errc::internal, "idempotent job vanished"));
                        return;
                    }
                    done(submit_outcome{std::move(*first), true});
                    return;
                }
            }
            const std::string id = job.id.empty() ? random_uuid() : job.id;
            if (!is_uuid(id)) {
                done(make_error(store_errc::invalid, "job id is not a uuid: " + id));
                return;
            }
            placement_decision d = place(id, *scope.reserved);
            if (!d.placed && !scope.reserved_exact) {
                // The remembered totals may still count released reservations: a job is never
                // queued for want of capacity that the exact sum would show.
                sum_exactly();
                d = place(id, *scope.reserved);
            }
            if (auto bad = check_reservations(d)) {
                done(std::move(*bad));
                return;
            }
            const job_state state = d.placed ? job_state::submitting : job_state::queued;
            if (d.placed) {
                for (const auto& [cluster, amount] : d.reservations) {
                    (*scope.reserved)[cluster] += amount;
                }
                // The trigger counts each reservation row once the batch is written.
                scope.reservation_epoch += static_cast<std::int64_t>(d.reservations.size());
            }
            // (The captured job is copied, not moved: a transient failure re-runs the group.)
            records.items.push_back({id, job, std::move(d), state, std::move(done)});
        });
}

asio::awaitable<store_result<job_record>> pg_store::place_queued_job(std::string id,
                                                                     placement_fn place) {
    return pool_->run<job_record>([id = std::move(id), place = std::move(place)](
                                      pqxx::connection_base& c) -> store_result<job_record> {
        pqxx::work tx(c);
        tx.exec_prepared(name_of(q::reservation_lock));
        auto job = find_job(tx, id, std::nullopt, true);
        if (!job) {
            return not_found(id);
        }
        if (job->state != job_state::queued) {
            return make_error(
                store_errc::conflict,
                "job " + id + " is " + std::string(to_string(job->state)) + ", not Queued");
        }
        const placement_decision d = place(id, read_outstanding(tx));
        if (auto bad = check_reservations(d)) {
            return std::move(*bad);
        }
        if (!d.placed && d.message == job->message) {
            tx.commit();
            return std::move(*job);
        }
        const job_state state = d.placed ? job_state::submitting : job_state::queued;
        std::string manifests_text, placement_text;
        auto row = tx.exec_prepared1(
            name_of(q::update_job_placement), id, std::string(to_string(state)), d.message,
            nullable_json(d.placed ? d.manifests : nlohmann::json(), manifests_text),
            nullable_json(d.placement, placement_text));
        insert_event(tx, id, job_state::queued, state, default_reason(d), d.message);
        if (d.placed) {
            record_placed(tx, id, d, std::chrono::milliseconds(0));
        }
        tx.commit();
        return decode_job(row);
    });
}

asio::awaitable<store_result<std::vector<job_record>>> pg_store::list_queued_jobs(
    std::int32_t limit) {
    return pool_->run<std::vector<job_record>>(
        [limit](pqxx::connection_base& c) -> store_result<std::vector<job_record>> {
            pqxx::work tx(c);
            std::vector<job_record> out;
            for (const auto& r :
                 tx.exec_prepared(name_of(q::list_queued_jobs), std::clamp(limit, 1, 1000))) {
                out.push_back(decode_job(r));
            }
            tx.commit();
            return out;
        });
}

asio::awaitable<store_result<job_record>> pg_store::get_job(std::string id,
                                                            std::optional<std::string> owner) {
    return pool_->run<job_record>([id = std::move(id), owner = std::move(owner)](
                                      pqxx::connection_base& c) -> store_result<job_record> {
        pqxx::work tx(c);
        auto job = find_job(tx, id, owner, false);
        tx.commit();
        if (!job) {
            return not_found(id);
        }
        return std::move(*job);
    });
}

asio::awaitable<store_result<job_page>> pg_store::list_jobs(job_filter filter, std::int32_t limit,
                                                            std::string continue_token) {
    limit = std::clamp(limit, 1, 1000);
    return pool_->run<job_page>(
        [filter = std::move(filter), limit,
         token = std::move(continue_token)](pqxx::connection_base& c) -> store_result<job_page> {
            std::optional<std::int64_t> after;
            if (!token.empty()) {
                after = decode_continue_token(token);
                if (!after) {
                    return make_error(store_errc::invalid, "malformed continue token");
                }
            }
            std::optional<std::string> state;
            if (filter.state) {
                state = std::string(to_string(*filter.state));
            }
            std::optional<std::string> after_text;
            if (after) {
                after_text = std::to_string(*after);
            }
            pqxx::work tx(c);
            // One row more than asked tells whether another page exists.
            auto rows = tx.exec_prepared(name_of(q::list_jobs), nullable(state),
                                         nullable(filter.namespace_), nullable(filter.job_type),
                                         nullable(filter.owner), nullable(after_text), limit + 1);
            tx.commit();
            job_page page;
            const auto n = std::min<std::size_t>(rows.size(), static_cast<std::size_t>(limit));
            for (std::size_t i = 0; i < n; ++i) {
                page.items.push_back(decode_job(rows[static_cast<int>(i)]));
            }
            if (rows.size() > n) {
                page.continue_token = encode_continue_token(seq_of(rows[static_cast<int>(n - 1)]));
            }
            return page;
        });
}

asio::awaitable<store_result<std::vector<job_record>>> pg_store::find_active_jobs(
    std::vector<workload_name> names) {
    if (names.size() > 1000) {
        names.resize(1000);
    }
    return pool_->run<std::vector<job_record>>(
        [names = std::move(names)](pqxx::connection_base& c)
            -> store_result<std::vector<job_record>> {
            std::vector<std::string_view> namespaces, workloads;
            for (const auto& n : names) {
                namespaces.push_back(n.namespace_);
                workloads.push_back(n.name);
            }
            pqxx::work tx(c);
            std::vector<job_record> out;
            for (const auto& r : tx.exec_prepared(name_of(q::find_active_jobs),
                                                  text_array(namespaces), text_array(workloads))) {
                out.push_back(decode_job(r));
                out.back().template_uid = r[16].as<std::string>();
            }
            tx.commit();
            return out;
        });
}

/// The status updates a commit group has put off, to run as one statement before COMMIT (or
/// earlier, when a second update of the same job must wait for the first).
struct status_batch {
    struct item {
        std::string id;
        status_update update;
        std::function<void(store_result<job_record>)> done;
    };
    std::vector<item> items;
    std::set<std::string> ids;
};

namespace {

std::string comma_joined(const std::vector<std::string>& values) {
    std::string out;
    for (const auto& v : values) {
        out += (out.empty() ? "" : ",") + v;
    }
    return out;
}

/// The refusal of an update that matched its job but wrote nothing.
store_error refusal(const status_batch::item& it, job_state from, std::int64_t generation) {
    const auto& u = it.update;
    if (u.expected_generation && *u.expected_generation != generation) {
        return make_error(store_errc::conflict, "job " + it.id + " was modified concurrently",
                          "generation " + std::to_string(generation) + ", expected " +
                              std::to_string(*u.expected_generation));
    }
    return make_error(store_errc::conflict, "job " + it.id + " cannot go from " +
                                                std::string(to_string(from)) + " to " +
                                                std::string(to_string(u.state.value_or(from))));
}

void flush_statuses(pqxx::transaction_base& tx, status_batch& batch) {
    if (batch.items.empty()) {
        return;
    }
    std::vector<std::string> ids, allowed, releases, reasons;
    std::vector<std::optional<std::string>> targets, messages, statuses, expected;
    for (const auto& it : batch.items) {
        const auto& u = it.update;
        ids.push_back(it.id);
        std::vector<std::string> from_states;
        std::optional<std::string> target;
        if (u.state) {
            target = std::string(to_string(*u.state));
            for (const auto from : all_job_states) {
                if (is_allowed_transition(from, *u.state)) {
                    from_states.emplace_back(to_string(from));
                }
            }
        }
        targets.push_back(std::move(target));
        allowed.push_back(comma_joined(from_states));
        messages.push_back(u.message);
        statuses.push_back(u.cluster_status ? std::optional(u.cluster_status->dump())
                                            : std::nullopt);
        expected.push_back(u.expected_generation
                               ? std::optional(std::to_string(*u.expected_generation))
                               : std::nullopt);
        releases.push_back(comma_joined(u.release_clusters));
        reasons.push_back(u.reason.empty() && u.state ? std::string(to_string(*u.state))
                                                      : u.reason);
    }
    auto items = std::move(batch.items);
    batch.items.clear();
    batch.ids.clear();
    const auto rows = tx.exec_prepared(
        name_of(q::apply_job_statuses), text_array(ids), nullable_text_array(targets),
        nullable_text_array(messages), nullable_text_array(statuses),
        nullable_text_array(expected), text_array(allowed), text_array(releases),
        text_array(reasons));
    answer_rows(rows, items, [](status_batch::item& it, const pqxx::row& row) {
        if (row[1].is_null()) {
            it.done(not_found(it.id));
        } else if (row[4].is_null()) {
            it.done(refusal(it, to_state(row[1]), row[3].as<std::int64_t>()));
        } else {
            it.done(decode_job(row.slice(4, row.size())));
        }
    });
}

}  // namespace

asio::awaitable<store_result<job_record>> pg_store::update_status(std::string id,
                                                                  status_update update) {
    // Put off until the group is about to commit, so that all of its status updates run as
    // one statement; a second update of the same job first runs the ones before it.
    return group_->run_deferred<job_record>(
        [id = std::move(id), update = std::move(update)](
            pqxx::transaction_base& tx, group_scope& scope,
            std::function<void(store_result<job_record>)> done) {
            if (!is_uuid(id)) {
                done(not_found(id));
                return;
            }
            auto& batch = group_batch(scope, scope.statuses, &flush_statuses);
            if (batch.ids.count(id) != 0) {
                flush_statuses(tx, batch);
            }
            batch.ids.insert(id);
            batch.items.push_back({id, update, std::move(done)});  // copied: a re-run needs it
        });
}

/// The finished creations a commit group has put off, to run as one statement before COMMIT.
struct created_batch {
    struct item {
        std::string id;
        std::string template_uid;
        std::optional<store::outbox_claim> claim;
        std::function<void(store_result<job_state>)> done;
    };
    std::vector<item> items;
    std::set<std::string> ids;
};

namespace {

void flush_created(pqxx::transaction_base& tx, created_batch& batch) {
    if (batch.items.empty()) {
        return;
    }
    std::vector<std::string> ids, uids;
    std::vector<std::optional<std::string>> entries, attempts;
    for (const auto& it : batch.items) {
        ids.push_back(it.id);
        uids.push_back(it.template_uid);
        entries.push_back(it.claim ? std::optional(std::to_string(it.claim->entry_id))
                                   : std::nullopt);
        attempts.push_back(it.claim ? std::optional(std::to_string(it.claim->attempts))
                                    : std::nullopt);
    }
    auto items = std::move(batch.items);
    batch.items.clear();
    batch.ids.clear();
    const auto rows =
        tx.exec_prepared(name_of(q::record_created), text_array(ids), text_array(uids),
                         nullable_text_array(entries), nullable_text_array(attempts));
    answer_rows(rows, items, [](created_batch::item& it, const pqxx::row& row) {
        if (row[1].is_null()) {
            it.done(not_found(it.id));
        } else {
            it.done(to_state(row[1]));
        }
    });
}

}  // namespace

asio::awaitable<store_result<job_state>> pg_store::record_created(
    std::string job_id, std::string template_uid, std::optional<outbox_claim> claim) {
    // One write per job on the submission path: put off like the status updates, so that a
    // group's creations share one statement as well as the COMMIT.
    return group_->run_deferred<job_state>(
        [id = std::move(job_id), uid = std::move(template_uid), claim](
            pqxx::transaction_base& tx, group_scope& scope,
            std::function<void(store_result<job_state>)> done) {
            if (!is_uuid(id)) {
                done(not_found(id));
                return;
            }
            auto& batch = group_batch(scope, scope.created, &flush_created);
            if (batch.ids.count(id) != 0) {
                flush_created(tx, batch);  // one row per job and statement
            }
            batch.ids.insert(id);
            batch.items.push_back({id, uid, claim, std::move(done)});
        });
}

asio::awaitable<store_result<job_record>> pg_store::cancel_job(std::string id, std::string reason,
                                                               std::optional<std::string> owner) {
    return pool_->run<job_record>(
        [id = std::move(id), reason = std::move(reason),
         owner = std::move(owner)](pqxx::connection_base& c) -> store_result<job_record> {
            pqxx::work tx(c);
            auto job = find_job(tx, id, owner, true);
            if (!job) {
                return not_found(id);
            }
            if (job->state == job_state::cancelled) {
                tx.commit();
                return std::move(*job);
            }
            const std::string del(to_string(outbox_op::remove));
            if (is_terminal(job->state)) {
                // A finished job keeps its outcome; DELETE only removes its Karmada objects.
                tx.exec_prepared0(name_of(q::insert_outbox), id, del);
                tx.commit();
                return std::move(*job);
            }
            const bool may_have_objects = job->state != job_state::queued;
            const std::string message = reason.empty() ? "cancelled" : reason;
            auto row = tx.exec_prepared1(name_of(q::update_job_status), id,
                                         std::string(to_string(job_state::cancelled)), message,
                                         dump(job->cluster_status));
            insert_event(tx, id, job->state, job_state::cancelled, "Cancelled", message);
            tx.exec_prepared0(name_of(q::release_job_reservations), id);
            // The delete is queued before the pending create is dropped so that it can wait
            // for a create some worker is executing at this moment (see insert_outbox).
            if (may_have_objects) {
                tx.exec_prepared0(name_of(q::insert_outbox), id, del);
            }
            tx.exec_prepared0(name_of(q::drop_pending_creates), id);
            tx.commit();
            return decode_job(row);
        });
}

asio::awaitable<store_result<job_event>> pg_store::append_event(std::string job_id,
                                                                std::string reason,
                                                                std::string message) {
    return pool_->run<job_event>(
        [id = std::move(job_id), reason = std::move(reason),
         message = std::move(message)](pqxx::connection_base& c) -> store_result<job_event> {
            pqxx::work tx(c);
            auto job = find_job(tx, id, std::nullopt, false);
            if (!job) {
                return not_found(id);
            }
            auto e = insert_event(tx, id, job->state, job->state, reason, message);
            tx.commit();
            return e;
        });
}

asio::awaitable<store_result<std::vector<job_event>>> pg_store::list_events(std::string job_id) {
    return pool_->run<std::vector<job_event>>(
        [id = std::move(job_id)](pqxx::connection_base& c) -> store_result<std::vector<job_event>> {
            if (!is_uuid(id)) {
                return not_found(id);
            }
            pqxx::work tx(c);
            std::vector<job_event> out;
            for (const auto& r : tx.exec_prepared(name_of(q::list_events), id)) {
                out.push_back(decode_event(r));
            }
            tx.commit();
            return out;
        });
}

asio::awaitable<store_result<std::vector<reservation>>> pg_store::list_reservations(
    std::string job_id) {
    return pool_->run<std::vector<reservation>>([id = std::move(job_id)](pqxx::connection_base& c)
                                                    -> store_result<std::vector<reservation>> {
        if (!is_uuid(id)) {
            return not_found(id);
        }
        pqxx::work tx(c);
        std::vector<reservation> out;
        for (const auto& r : tx.exec_prepared(name_of(q::list_reservations), id)) {
            reservation v;
            v.job_id = r[0].as<std::string>();
            v.cluster = r[1].as<std::string>();
            v.amount = resources{r[2].as<std::int64_t>(), r[3].as<std::int64_t>(),
                                 r[4].as<std::int64_t>()};
            v.created_at = to_time(r[5]);
            if (!r[6].is_null()) {
                v.released_at = to_time(r[6]);
            }
            out.push_back(std::move(v));
        }
        tx.commit();
        return out;
    });
}

asio::awaitable<store_result<reserved_map>> pg_store::outstanding_reservations() {
    return pool_->run<reserved_map>([](pqxx::connection_base& c) -> store_result<reserved_map> {
        pqxx::work tx(c);
        auto out = read_outstanding(tx);
        tx.commit();
        return out;
    });
}

asio::awaitable<store_result<std::vector<outbox_entry>>> pg_store::claim_outbox(
    std::string worker, std::int32_t limit, std::chrono::milliseconds lease) {
    return pool_->run<std::vector<outbox_entry>>(
        [worker = std::move(worker), limit,
         lease](pqxx::connection_base& c) -> store_result<std::vector<outbox_entry>> {
            pqxx::work tx(c);
            std::vector<outbox_entry> out;
            for (const auto& r :
                 tx.exec_prepared(name_of(q::claim_outbox), worker, std::clamp(limit, 1, 1000),
                                  static_cast<std::int64_t>(lease.count()))) {
                out.push_back(decode_outbox(r));
            }
            tx.commit();
            std::sort(out.begin(), out.end(),
                      [](const outbox_entry& a, const outbox_entry& b) { return a.id < b.id; });
            return out;
        });
}

asio::awaitable<store_result<void>> pg_store::make_create_due(std::string job_id) {
    return pool_->run<void>([id = std::move(job_id)](pqxx::connection_base& c) -> store_result<void> {
        pqxx::work tx(c);
        tx.exec_prepared0(name_of(q::make_create_due), id);
        tx.commit();
        return {};
    });
}

asio::awaitable<store_result<void>> pg_store::complete_outbox(std::int64_t entry_id,
                                                              std::int32_t attempts) {
    return pool_->run<void>([entry_id, attempts](pqxx::connection_base& c) -> store_result<void> {
        pqxx::work tx(c);
        auto r = tx.exec_prepared(name_of(q::complete_outbox), entry_id, attempts);
        if (r.affected_rows() == 0) {
            return make_error(store_errc::conflict, "outbox claim is stale");
        }
        tx.commit();
        return {};
    });
}

asio::awaitable<store_result<void>> pg_store::fail_outbox(std::int64_t entry_id,
                                                          std::int32_t attempts, std::string error,
                                                          std::chrono::milliseconds retry_after) {
    return pool_->run<void>([entry_id, attempts, error = std::move(error),
                             retry_after](pqxx::connection_base& c) -> store_result<void> {
        pqxx::work tx(c);
        auto r =
            tx.exec_prepared(name_of(q::fail_outbox), entry_id, attempts, error.substr(0, 4096),
                             static_cast<std::int64_t>(retry_after.count()));
        if (r.affected_rows() == 0) {
            return make_error(store_errc::conflict, "outbox claim is stale");
        }
        tx.commit();
        return {};
    });
}

asio::awaitable<store_result<lease_state>> pg_store::acquire_lease(std::string name,
                                                                   std::string holder,
                                                                   std::chrono::milliseconds ttl) {
    return pool_->run<lease_state>([name = std::move(name), holder = std::move(holder),
                                    ttl](pqxx::connection_base& c) -> store_result<lease_state> {
        pqxx::work tx(c);
        auto rows = tx.exec_prepared(name_of(q::acquire_lease), name, holder,
                                     static_cast<std::int64_t>(ttl.count()));
        if (rows.empty()) {
            rows = tx.exec_prepared(name_of(q::read_lease), name);
        }
        tx.commit();
        if (rows.empty()) {
            return make_error(store_errc::internal, "lease row missing");
        }
        lease_state s;
        s.holder = rows[0][0].as<std::string>();
        s.epoch = rows[0][1].as<std::int64_t>();
        s.expires_at = to_time(rows[0][2]);
        s.held = s.holder == holder;
        // A lost race leaves the row of someone else's live lease: not held.
        return s;
    });
}

asio::awaitable<store_result<void>> pg_store::release_lease(std::string name, std::string holder) {
    return pool_->run<void>([name = std::move(name), holder = std::move(holder)](
                                pqxx::connection_base& c) -> store_result<void> {
        pqxx::work tx(c);
        tx.exec_prepared0(name_of(q::release_lease), name, holder);
        tx.commit();
        return {};
    });
}

}  // namespace broker::store
