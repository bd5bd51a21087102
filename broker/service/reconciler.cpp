#include "broker/service/reconciler.hpp"

#include "broker/service/karmada_objects.hpp"
#include "propagation/form/job_form.hpp"
#include "propagation/json/access.hpp"
#include "propagation/manifest/manifest_builder.hpp"
#include "propagation/status/job_status.hpp"
#include "proxy/reflector.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

namespace broker::service {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
namespace jsa = propagation::json_access;
namespace form = propagation::form;
namespace status = propagation::status;

constexpr std::string_view lease_name = "reconciler";
constexpr std::int32_t outbox_batch = 32;
constexpr std::int32_t queue_batch = 100;
// Jobs looked up per query, and status updates in flight at once (they group-commit).
constexpr std::size_t status_lookup_batch = 500;
constexpr std::size_t status_updates_in_flight = 64;
// A binding whose derived status could not be recorded is looked at again for this many passes.
constexpr int binding_retry_passes = 30;

constexpr std::string_view bindings_path = "/apis/work.karmada.io/v1alpha2/resourcebindings";

/// The ResourceBinding's own path (as binding_path() derives it from a job's manifests).
std::string path_of_binding(const json& binding) {
    const auto& meta = jsa::child(binding, "metadata");
    return resource_binding_path(jsa::text(meta, "namespace"), jsa::text(meta, "name"));
}

/// The placement's clusters as the planned per-cluster rows.
std::vector<status::cluster_status> planned_clusters(const store::job_record& job) {
    std::vector<status::cluster_status> out;
    if (!job.placement.is_object()) {
        return out;
    }
    auto it = job.placement.find("clusters");
    if (it == job.placement.end() || !it->is_array()) {
        return out;
    }
    for (const auto& c : *it) {
        out.push_back({c.value("name", std::string()), c.value("replicas", std::int64_t{0}), {}, {}});
    }
    return out;
}

void add_stats(proxy::reflector_stats& total, const proxy::reflector_stats& s) {
    total.lists += s.lists;
    total.list_failures += s.list_failures;
    total.relists_on_gone += s.relists_on_gone;
    total.watch_failures += s.watch_failures;
    total.events += s.events;
    total.bad_events += s.bad_events;
}

store::job_state to_store_state(status::job_state s) {
    return static_cast<store::job_state>(static_cast<int>(s));
}

}  // namespace

binding_use use_of_binding(store::job_state state, std::string_view template_uid,
                           std::string_view bound_uid, bool deleted) {
    const bool submitting = state == store::job_state::submitting;
    if (submitting && deleted) {
        // Not bound (any more): a namesake's binding going away says nothing about this job.
        return binding_use::ignore;
    }
    if (!template_uid.empty()) {
        return bound_uid == template_uid ? binding_use::apply : binding_use::ignore;
    }
    return submitting ? binding_use::wait : binding_use::apply;
}

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds initial,
                                      std::chrono::milliseconds max) {
    auto delay = initial;
    for (int i = 1; i < attempt && delay < max; ++i) {
        delay *= 2;
    }
    return std::min(delay, max);
}

struct reconciler::state : std::enable_shared_from_this<reconciler::state> {
    asio::strand<asio::any_io_executor> strand;
    store::store& store;
    proxy::kube_client& karmada;
    proxy::member_registry& members;
    job_service& jobs;
    reconciler_options options;
    std::shared_ptr<server::metrics_registry> metrics;
    asio::steady_timer timer;
    asio::steady_timer stopped_signal;
    std::atomic<bool> stopping{false};
    std::atomic<bool> leader{false};
    bool running = false;
    std::chrono::steady_clock::time_point next_queue{};
    std::chrono::steady_clock::time_point next_status{};

    /// ResourceBindings that changed since the last status pass, by binding path; written by
    /// the bindings watch (on the client's strand), taken by the status pass.
    struct changed_binding {
        proxy::object_ptr object;
        bool deleted = false;
        int retries = 0;
    };
    std::mutex changed_mu;
    std::map<std::string, changed_binding> changed;
    /// Watches every ResourceBinding while this process leads (the status source, §9). Set and
    /// reset on the strand under `changed_mu`, so that binding_watch_stats may read it.
    std::unique_ptr<proxy::reflector> bindings;
    /// What the watches of earlier leaderships counted (under `changed_mu`).
    proxy::reflector_stats past_watch_stats;

    state(asio::any_io_executor ex, store::store& s, proxy::kube_client& k,
          proxy::member_registry& m, job_service& j, reconciler_options o,
          std::shared_ptr<server::metrics_registry> mr)
        : strand(asio::make_strand(ex)),
          store(s),
          karmada(k),
          members(m),
          jobs(j),
          options(std::move(o)),
          metrics(std::move(mr)),
          timer(strand),
          stopped_signal(strand, std::chrono::steady_clock::time_point::max()) {}

    void count(std::string_view name, std::string_view label = {}) {
        if (metrics) {
            metrics->increment(name, label);
        }
    }

    asio::awaitable<void> loop() {
        running = true;
        while (!stopping) {
            auto lease = co_await store.acquire_lease(std::string(lease_name), options.instance_id,
                                                      options.lease_ttl);
            const bool held = lease && lease->held;
            if (held != leader.load()) {
                spdlog::info("reconciler: {} the leader lease (holder {})",
                             held ? "acquired" : "lost", lease ? lease->holder : "unknown");
            }
            leader = held;
            if (held && !bindings && !stopping) {
                start_bindings_watch();
            } else if (!held && bindings) {
                stop_bindings_watch();
            }
            if (held && !stopping) {
                co_await drain_outbox();
                const auto now = std::chrono::steady_clock::now();
                if (now >= next_queue && !stopping) {
                    next_queue = now + options.queue_interval;
                    co_await place_queued();
                }
                if (now >= next_status && !stopping) {
                    next_status = now + options.status_interval;
                    co_await refresh_status();
                }
            }
            if (stopping) {
                break;
            }
            // The lease is renewed well inside its lifetime; wake() cuts the wait short.
            const auto wait = std::min({options.outbox_interval, options.lease_renew_interval,
                                        options.lease_ttl / 3});
            timer.expires_after(wait);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        stop_bindings_watch();
        if (leader) {
            (void)co_await store.release_lease(std::string(lease_name), options.instance_id);
            leader = false;
        }
        running = false;
        stopped_signal.cancel();
    }

    asio::awaitable<void> drain_outbox() {
        auto claimed = co_await store.claim_outbox(options.instance_id, outbox_batch,
                                                   options.karmada_timeout * 3);
        if (!claimed) {
            count("broker_reconciler_errors_total", "claim_outbox");
            co_return;
        }
        for (const auto& entry : *claimed) {
            if (stopping) {
                co_return;
            }
            auto job = co_await store.get_job(entry.job_id);
            if (!job) {
                count("broker_reconciler_errors_total", "get_job");
                continue;
            }
            std::optional<proxy::kube_error> failure;
            if (entry.op == store::outbox_op::create) {
                if (job->state != store::job_state::submitting &&
                    job->state != store::job_state::running) {
                    // Cancelled (a cancel drops the pending create too) or ended meanwhile.
                    (void)co_await store.complete_outbox(entry.id, entry.attempts);
                    continue;
                }
                // Even for a Running job: its request may have created the objects while this
                // entry was claimed; repeating the creation finds them and closes the entry.
                auto created = co_await create_job_objects(karmada, job->manifests, job->id,
                                                           options.karmada_timeout);
                if (!created && created.error().reason == name_conflict_reason) {
                    // Permanent: fail the job, remove what of ours exists, drop the entry.
                    store::status_update update;
                    update.state = store::job_state::failed;
                    update.reason = std::string(name_conflict_reason);
                    update.message = created.error().message +
                                     "; delete that job or choose another name, then submit again";
                    (void)co_await store.update_status(job->id, std::move(update));
                    (void)co_await delete_job_objects(karmada, job->manifests, job->id,
                                                      options.karmada_timeout);
                    (void)co_await store.complete_outbox(entry.id, entry.attempts);
                    count("broker_karmada_errors_total", "name_conflict");
                    continue;
                }
                if (created) {
                    // The status loop makes the job Running once it sees this template bound.
                    // Unrecorded, the claim runs out and the creation is repeated.
                    (void)co_await store.record_created(
                        job->id, *created, store::store::outbox_claim{entry.id, entry.attempts});
                    count("broker_karmada_operations_total", store::to_string(entry.op));
                    continue;
                }
                failure = created.error();
            } else {
                auto removed = co_await delete_job_objects(karmada, job->manifests, job->id,
                                                           options.karmada_timeout);
                if (removed) {
                    count("broker_karmada_operations_total", store::to_string(entry.op));
                    (void)co_await store.complete_outbox(entry.id, entry.attempts);
                    continue;
                }
                failure = removed.error();
            }
            count("broker_karmada_errors_total", store::to_string(entry.op));
            const auto delay = retry_delay(entry.attempts, options.backoff_initial,
                                           options.backoff_max);
            spdlog::warn("reconciler: {} of job {} failed (attempt {}), retrying in {} ms: {}",
                         store::to_string(entry.op), entry.job_id, entry.attempts, delay.count(),
                         failure->message);
            // A repeated create of a Running job (whose objects exist) is not worth an event.
            if (entry.attempts == 1 && (entry.op != store::outbox_op::create ||
                                        job->state == store::job_state::submitting)) {
                (void)co_await store.append_event(
                    entry.job_id, "KarmadaUnavailable",
                    std::string(store::to_string(entry.op)) + " in Karmada failed: " +
                        failure->message + "; retrying with backoff");
            }
            (void)co_await store.fail_outbox(entry.id, entry.attempts, failure->message, delay);
        }
    }

    asio::awaitable<void> place_queued() {
        auto queued = co_await store.list_queued_jobs(queue_batch);
        if (!queued || queued->empty()) {
            co_return;
        }
        auto snapshot = members.snapshot();
        bool placed_any = false;
        for (const auto& job : *queued) {
            if (stopping) {
                co_return;
            }
            auto parsed = form::parse_job_form(job.form);
            if (!parsed) {
                store::status_update update;
                update.state = store::job_state::failed;
                update.reason = "Invalid";
                update.message = "the recorded form is no longer valid: " + parsed.error().message;
                (void)co_await store.update_status(job.id, std::move(update));
                continue;
            }
            auto f = std::make_shared<const form::job_form>(std::move(*parsed));
            auto result = co_await store.place_queued_job(
                job.id, job_service::make_placement_fn(f, snapshot, jobs.snapshot_options()));
            if (result && result->state == store::job_state::submitting) {
                placed_any = true;
                count("broker_queue_placements_total");
            }
        }
        if (placed_any) {
            co_await drain_outbox();
        }
    }

    void start_bindings_watch() {
        proxy::reflector_options o;
        o.path = std::string(bindings_path);
        o.list_call.timeout = options.karmada_timeout;
        // Thousands of bindings: the handler consumes changes, nobody reads a snapshot.
        o.publish_snapshots = false;
        // ...and the cache keeps what a binding that disappears during a relist is matched by.
        o.cache_transform = [](const json& binding) {
            const auto& meta = jsa::child(binding, "metadata");
            json slim = {{"metadata",
                          {{"name", jsa::text(meta, "name")},
                           {"namespace", jsa::text(meta, "namespace")},
                           {"resourceVersion", jsa::text(meta, "resourceVersion")}}}};
            const auto& resource = jsa::child(jsa::child(binding, "spec"), "resource");
            slim["spec"]["resource"] = resource.is_null() ? json::object() : resource;
            return slim;
        };
        std::weak_ptr<state> weak = weak_from_this();
        auto watch = std::make_unique<proxy::reflector>(
            karmada, std::move(o),
            [weak](const std::vector<proxy::cache_change>& changes,
                   const std::shared_ptr<const proxy::object_cache>&) {
                auto self = weak.lock();
                if (!self) {
                    return;
                }
                std::lock_guard lock(self->changed_mu);
                for (const auto& c : changes) {
                    if (!c.object) {
                        continue;
                    }
                    self->changed[path_of_binding(*c.object)] =
                        changed_binding{c.object, c.type == proxy::change_type::deleted, 0};
                }
            });
        watch->start();
        std::lock_guard lock(changed_mu);
        bindings = std::move(watch);
    }

    void stop_bindings_watch() {
        std::unique_ptr<proxy::reflector> watch;
        {
            std::lock_guard lock(changed_mu);
            watch = std::move(bindings);
            changed.clear();
            if (watch) {
                add_stats(past_watch_stats, watch->stats());
            }
        }
        if (watch) {
            watch->stop();
        }
    }

    /// Derives the state of every job whose ResourceBinding changed since the last pass.
    asio::awaitable<void> refresh_status() {
        std::map<std::string, changed_binding> batch;
        {
            std::lock_guard lock(changed_mu);
            batch.swap(changed);
        }
        std::vector<std::pair<store::job_record, changed_binding>> work;
        std::map<std::string, changed_binding> retry;
        std::map<std::string, changed_binding> waiting;
        auto it = batch.begin();
        while (it != batch.end() && !stopping) {
            std::vector<store::workload_name> names;
            std::map<std::string, changed_binding*> by_path;
            for (; it != batch.end() && names.size() < status_lookup_batch; ++it) {
                const auto& resource =
                    jsa::child(jsa::child(*it->second.object, "spec"), "resource");
                names.push_back({std::string(jsa::text(resource, "namespace")),
                                 std::string(jsa::text(resource, "name"))});
                by_path[it->first] = &it->second;
            }
            auto jobs_found = co_await store.find_active_jobs(std::move(names));
            if (!jobs_found) {
                count("broker_reconciler_errors_total", "find_active_jobs");
                for (auto& [path, c] : by_path) {
                    retry.emplace(path, std::move(*c));
                }
                continue;
            }
            for (auto& job : *jobs_found) {
                // The store does not read the manifests back: the workload is named after
                // the job, its kind follows from the job type.
                const auto type = form::parse_job_type(job.job_type);
                if (!type) {
                    continue;
                }
                auto found = by_path.find(binding_path(
                    job.namespace_, job.name, propagation::manifest::workload_kind(*type)));
                if (found == by_path.end()) {
                    continue;  // a namesake of another kind
                }
                const auto& resource =
                    jsa::child(jsa::child(*found->second->object, "spec"), "resource");
                switch (use_of_binding(job.state, job.template_uid, jsa::text(resource, "uid"),
                                       found->second->deleted)) {
                    case binding_use::apply:
                        work.emplace_back(std::move(job), *found->second);
                        break;
                    case binding_use::wait:
                        // Whose binding this is, is known once the template's uid is. Looked
                        // at again each pass until then: the job leaves Submitting only through
                        // it, or by failing or being cancelled, which ends the lookups.
                        waiting.emplace(path_of_binding(*found->second->object), *found->second);
                        count("broker_status_bindings_waiting_total", "creation_unrecorded");
                        break;
                    case binding_use::ignore:
                        if (!found->second->deleted) {
                            // An earlier job's, or someone else's object's, of the same name.
                            count("broker_status_bindings_ignored_total", "other_template");
                        }
                        break;
                }
            }
        }
        if (!retry.empty() || !waiting.empty()) {
            std::lock_guard lock(changed_mu);
            for (auto* again : {&retry, &waiting}) {
                for (auto& [path, c] : *again) {
                    changed.emplace(path, std::move(c));  // a newer change wins
                }
            }
        }
        // Updates group-commit in the store: keep many in flight instead of one at a time.
        std::size_t next = 0;
        std::size_t running_count = 0;
        asio::steady_timer all_done(strand, std::chrono::steady_clock::time_point::max());
        auto self = shared_from_this();
        while (next < work.size() || running_count > 0) {
            while (next < work.size() && running_count < status_updates_in_flight && !stopping) {
                ++running_count;
                auto* item = &work[next++];
                asio::co_spawn(
                    strand,
                    [self, item]() -> asio::awaitable<void> {
                        static const json gone;  // a deleted binding reports nothing
                        const json& doc = item->second.deleted ? gone : *item->second.object;
                        if (!co_await self->apply_binding(item->first, doc) &&
                            ++item->second.retries < binding_retry_passes) {
                            // Not recorded (and so no reservation released): look again
                            // next pass unless a newer change of the binding came in.
                            std::lock_guard lock(self->changed_mu);
                            self->changed.emplace(path_of_binding(*item->second.object),
                                                  item->second);
                        }
                    },
                    [&running_count, &all_done](std::exception_ptr) {
                        --running_count;
                        all_done.cancel();
                    });
            }
            if (running_count == 0) {
                break;
            }
            co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }

    /// False when the derived status could not be recorded (the store refused or failed).
    asio::awaitable<bool> apply_binding(const store::job_record& job, const json& binding_doc) {
        const auto type = form::parse_job_type(job.job_type);
        if (!type) {
            co_return true;
        }
        const auto derived = status::derive(*type, binding_doc, planned_clusters(job));
        json clusters = json::object();
        std::vector<std::string> release;
        for (const auto& c : derived.clusters) {
            const bool accounted = c.state != status::cluster_state::pending;
            bool released = false;
            if (job.cluster_status.is_object()) {
                if (auto old = job.cluster_status.find(c.name); old != job.cluster_status.end()) {
                    released = old->value("reservationReleased", false);
                }
            }
            if (accounted && !released) {
                // The member's own resource summary now counts these pods: the reservation
                // ends in the status update's transaction, so "released" is recorded exactly
                // when it happened.
                release.push_back(c.name);
                released = true;
            }
            clusters[c.name] = {{"replicas", c.replicas},
                                {"state", status::to_string(c.state)},
                                {"message", c.message},
                                {"reservationReleased", released}};
        }
        const auto new_state = to_store_state(derived.state);
        if (new_state == job.state && clusters == job.cluster_status && derived.message == job.message) {
            co_return true;
        }
        store::status_update update;
        if (new_state != job.state) {
            update.state = new_state;
            update.reason = new_state == store::job_state::succeeded    ? "Succeeded"
                            : new_state == store::job_state::failed       ? "Failed"
                            : job.state == store::job_state::submitting ? "Propagated"
                                                                          : "StatusChanged";
        }
        update.message = derived.message;
        update.cluster_status = std::move(clusters);
        update.expected_generation = job.generation;
        update.release_clusters = std::move(release);
        auto recorded = co_await store.update_status(job.id, std::move(update));
        co_return static_cast<bool>(recorded);
    }
};

reconciler::reconciler(proxy::net::any_io_executor executor, store::store& store,
                       proxy::kube_client& karmada, proxy::member_registry& members,
                       job_service& jobs, reconciler_options options,
                       std::shared_ptr<server::metrics_registry> metrics)
    : state_(std::make_shared<state>(std::move(executor), store, karmada, members, jobs,
                                     std::move(options), std::move(metrics))) {}

reconciler::~reconciler() { stop(); }

bool reconciler::is_leader() const { return state_->leader.load(); }

proxy::reflector_stats reconciler::binding_watch_stats() const {
    std::lock_guard lock(state_->changed_mu);
    auto total = state_->past_watch_stats;
    if (state_->bindings) {
        add_stats(total, state_->bindings->stats());
    }
    return total;
}

void reconciler::start() {
    auto s = state_;
    asio::co_spawn(s->strand, [s]() { return s->loop(); }, [](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("reconciler stopped by an exception: {}", ex.what());
            }
        }
    });
}

void reconciler::stop() {
    state_->stopping = true;
    wake();
}

void reconciler::wake() {
    auto s = state_;
    asio::post(s->strand, [s] { s->timer.cancel(); });
}

proxy::net::awaitable<void> reconciler::wait_stopped() {
    auto s = state_;
    co_await asio::post(s->strand, asio::use_awaitable);
    while (s->running) {
        co_await s->stopped_signal.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

}  // namespace broker::service
