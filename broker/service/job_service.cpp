#include "broker/service/job_service.hpp"

#include "broker/service/error_mapping.hpp"
#include "broker/service/job_view.hpp"
#include "broker/service/karmada_objects.hpp"
#include "propagation/form/job_form.hpp"
#include "propagation/manifest/manifest_builder.hpp"
#include "propagation/render/render_job.hpp"

#include <openssl/evp.h>

#include <cctype>

namespace broker::service {
namespace {

using nlohmann::json;
namespace form = propagation::form;
namespace placement = propagation::placement;
namespace render = propagation::render;

}  // namespace

bool is_job_id(std::string_view id) {
    if (id.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < id.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (id[i] == '-') || (!dash && !std::isxdigit(static_cast<unsigned char>(id[i])))) {
            return false;
        }
    }
    return true;
}

namespace {

api_reply job_not_found(const std::string& id) {
    return api_reply::fail(server::not_found_status("jobs.broker.gpufed.io", id));
}

std::string describe_split(const placement::placement& p) {
    std::string out;
    for (const auto& c : p.clusters) {
        out += (out.empty() ? "" : ", ") + c.name + " (" + std::to_string(c.replicas) + ")";
    }
    return out;
}

}  // namespace

std::string sha256_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

namespace {

/// The state part of `updated` (update_status does not read the documents back).
void adopt_status(store::job_record& job, store::job_record&& updated) {
    job.state = updated.state;
    job.message = std::move(updated.message);
    job.cluster_status = std::move(updated.cluster_status);
    job.updated_at = updated.updated_at;
    job.generation = updated.generation;
}

}  // namespace

job_service::job_service(store::store& store, proxy::kube_client& karmada,
                         proxy::member_registry& members, job_service_options options,
                         std::function<void()> wake_reconciler)
    : store_(store),
      karmada_(karmada),
      members_(members),
      options_(std::move(options)),
      wake_reconciler_(std::move(wake_reconciler)) {
    auto snapshot = std::make_shared<placement::snapshot_options>();
    snapshot->admin_weights = options_.admin_weights;
    snapshot_options_ = std::move(snapshot);
}

std::optional<std::string> job_service::owner_filter(const auth::principal& who) const {
    if (who.is_admin()) {
        return std::nullopt;
    }
    return who.user;
}

store::placement_fn job_service::make_placement_fn(
    std::shared_ptr<const form::job_form> f, std::shared_ptr<const proxy::member_list> members,
    std::shared_ptr<const placement::snapshot_options> options) {
    return [f, members, options](const std::string& job_id, const store::reserved_map& reserved) {
        std::vector<placement::cluster_state> clusters;
        clusters.reserve(members->size());
        for (const auto& m : *members) {
            placement::reserved_resources r;
            if (auto it = reserved.find(m.name); it != reserved.end()) {
                r = {it->second.gpus, it->second.cpu_milli, it->second.memory_bytes};
            }
            clusters.push_back(placement::to_cluster_state(*m.object, *f, r, *options));
        }
        store::placement_decision decision;
        auto rendered = render::render_job(*f, job_id, std::move(clusters));
        if (rendered) {
            decision.placed = true;
            decision.placement = render::to_json(rendered->placement);
            decision.manifests = rendered->manifests;
            for (const auto& c : rendered->placement.clusters) {
                const auto r = placement::replica_resources(*f, c.replicas);
                decision.reservations[c.name] = {r.gpus, r.cpu_milli, r.memory_bytes};
            }
            decision.reason = "Placed";
            decision.message = "placed on " + describe_split(rendered->placement);
            return decision;
        }
        const auto& e = rendered.error();
        json rejected = json::array();
        std::string reasons;
        for (const auto& c : e.causes) {
            rejected.push_back({{"name", c.field}, {"reason", c.message}});
            reasons += (reasons.empty() ? "" : "; ") + c.field + ": " + c.message;
        }
        decision.placed = false;
        decision.placement = {{"strategy", form::to_string(f->effective_strategy())},
                               {"clusters", json::array()},
                               {"rejected", std::move(rejected)}};
        decision.reason = e.code == propagation::errc::unschedulable ? "Unschedulable" : "Invalid";
        decision.message = e.message + (reasons.empty() ? "" : " (" + reasons + ")");
        return decision;
    };
}

proxy::net::awaitable<api_reply> job_service::submit(const auth::principal& who,
                                                     submit_request request) {
    form::form_limits limits;
    if (request.body.size() > options_.max_form_bytes) {
        co_return api_reply::fail(server::make_status(
            413, "the job form is larger than " + std::to_string(options_.max_form_bytes) + " bytes",
            "RequestEntityTooLarge"));
    }
    auto parsed = form::parse_job_form_text(request.body, limits);
    if (!parsed) {
        co_return api_reply::fail(to_status(parsed.error()));
    }
    auto f = std::make_shared<const form::job_form>(std::move(*parsed));
    // Builder rules the form validation does not know (e.g. a RayJob name's length) are form
    // errors too: find them before anything is recorded.
    if (auto check = propagation::manifest::build_manifests({*f, render::offline_job_id(*f)});
        !check) {
        co_return api_reply::fail(to_status(check.error()));
    }
    auto place = make_placement_fn(f, members_.snapshot(), snapshot_options_);

    if (request.dry_run) {
        auto reserved = co_await store_.outstanding_reservations();
        auto decision = place(render::offline_job_id(*f), reserved ? *reserved : store::reserved_map{});
        co_return api_reply::ok(
            200, {{"dryRun", true},
                  {"state", decision.placed ? "Submitting" : "Queued"},
                  {"message", decision.message},
                  {"placement", decision.placement},
                  {"manifests", decision.placed ? decision.manifests : json::array()}});
    }

    store::new_job job;
    job.owner = who.user;
    job.name = f->name;
    job.namespace_ = f->namespace_;
    job.job_type = std::string(form::to_string(f->type));
    job.form = form::to_json(*f);
    job.priority = f->priority;
    if (!request.idempotency_key.empty()) {
        job.idempotency_key = request.idempotency_key;
        job.request_hash = sha256_hex(job.form.dump());
    }
    job.create_delay = options_.karmada_timeout;
    auto recorded = co_await store_.reserve_and_record_job(std::move(job), std::move(place));
    if (!recorded) {
        co_return api_reply::fail(to_status(recorded.error()));
    }
    store::job_record record = std::move(recorded->job);
    if (recorded->replayed || record.state != store::job_state::submitting) {
        co_return api_reply::ok(recorded->replayed ? 200 : 201, job_json(record));
    }
    auto created = co_await create_job_objects(karmada_, record.manifests, record.id,
                                               options_.karmada_timeout);
    if (created) {
        // The job stays Submitting here: the status loop makes it Running (event Propagated)
        // once Karmada has bound this template, within the status update it writes for the
        // binding anyway (a Running update of its own here cost the database more than
        // recording the job). Unrecorded (the database failed), the pending create is left to
        // the reconciler, which repeats the idempotent creation.
        auto recorded_uid = co_await store_.record_created(record.id, *created);
        if (recorded_uid && *recorded_uid == store::job_state::cancelled) {
            // Cancelled while its objects were being created: the cancel's delete may have run
            // before they existed.
            (void)co_await delete_job_objects(karmada_, record.manifests, record.id,
                                              options_.karmada_timeout);
        }
    } else if (created.error().reason == name_conflict_reason) {
        // Retrying cannot help: the name belongs to another job's objects. Fail the job (its
        // reservations are released) and remove whatever of ours was created before the clash.
        store::status_update update;
        update.state = store::job_state::failed;
        update.reason = std::string(name_conflict_reason);
        update.message = created.error().message +
                         "; delete that job or choose another name, then submit again";
        if (auto updated = co_await store_.update_status(record.id, std::move(update))) {
            adopt_status(record, std::move(*updated));
        }
        (void)co_await delete_job_objects(karmada_, record.manifests, record.id,
                                          options_.karmada_timeout);
    } else {
        // Recorded and reserved: the reconciler creates the objects once Karmada answers
        // (those this request did create are found to exist).
        const auto message = "Karmada objects not created yet (" + created.error().message +
                             "); retrying in the background";
        (void)co_await store_.append_event(record.id, "KarmadaUnavailable", message);
        (void)co_await store_.make_create_due(record.id);
        record.message = message;
        if (wake_reconciler_) {
            wake_reconciler_();
        }
    }
    co_return api_reply::ok(201, job_json(record));
}

proxy::net::awaitable<api_reply> job_service::list(const auth::principal& who,
                                                   list_request request) {
    store::job_filter filter;
    if (request.status) {
        auto state = store::parse_job_state(*request.status);
        if (!state) {
            co_return api_reply::fail(server::make_status(
                400,
                "status: unsupported value \"" + *request.status +
                    "\": supported values: Queued, Submitting, Running, Succeeded, Failed, "
                    "Cancelled",
                "BadRequest"));
        }
        filter.state = state;
    }
    filter.namespace_ = request.namespace_;
    filter.job_type = request.job_type;
    filter.owner = owner_filter(who);
    auto page = co_await store_.list_jobs(filter, request.limit, request.continue_token);
    if (!page) {
        co_return api_reply::fail(to_status(page.error()));
    }
    json items = json::array();
    for (const auto& j : page->items) {
        items.push_back(job_json(j));
    }
    json metadata = json::object();
    if (!page->continue_token.empty()) {
        metadata["continue"] = page->continue_token;
    }
    co_return api_reply::ok(200, {{"items", std::move(items)}, {"metadata", std::move(metadata)}});
}

proxy::net::awaitable<std::optional<api_reply>> job_service::load_visible(
    const auth::principal& who, const std::string& id, store::job_record& out) {
    if (!is_job_id(id)) {
        co_return job_not_found(id);
    }
    auto job = co_await store_.get_job(id, owner_filter(who));
    if (!job) {
        if (job.error().code == store::store_errc::not_found) {
            co_return job_not_found(id);
        }
        co_return api_reply::fail(to_status(job.error()));
    }
    out = std::move(*job);
    co_return std::nullopt;
}

proxy::net::awaitable<api_reply> job_service::get(const auth::principal& who, std::string id) {
    store::job_record job;
    if (auto refused = co_await load_visible(who, id, job)) {
        co_return std::move(*refused);
    }
    co_return api_reply::ok(200, job_json(job));
}

proxy::net::awaitable<api_reply> job_service::status(const auth::principal& who, std::string id) {
    store::job_record job;
    if (auto refused = co_await load_visible(who, id, job)) {
        co_return std::move(*refused);
    }
    co_return api_reply::ok(200, status_json(job));
}

proxy::net::awaitable<api_reply> job_service::events(const auth::principal& who, std::string id) {
    store::job_record job;
    if (auto refused = co_await load_visible(who, id, job)) {
        co_return std::move(*refused);
    }
    auto events = co_await store_.list_events(id);
    if (!events) {
        co_return api_reply::fail(to_status(events.error()));
    }
    co_return api_reply::ok(200, events_json(*events));
}

proxy::net::awaitable<api_reply> job_service::cancel(const auth::principal& who, std::string id) {
    if (!is_job_id(id)) {
        co_return job_not_found(id);
    }
    auto job = co_await store_.cancel_job(id, "cancelled by " + who.user, owner_filter(who));
    if (!job) {
        co_return job.error().code == store::store_errc::not_found
            ? job_not_found(id)
            : api_reply::fail(to_status(job.error()));
    }
    // The queued `delete` makes this certain; doing it now makes it prompt.
    if (!job->manifests.is_null()) {
        auto removed = co_await delete_job_objects(karmada_, job->manifests, job->id,
                                                   options_.karmada_timeout);
        if (!removed && wake_reconciler_) {
            wake_reconciler_();
        }
    }
    co_return api_reply::ok(200, job_json(*job));
}

}  // namespace broker::service
