#pragma once
/// The job pipeline behind `/api/v1/jobs` (CONTRACTS.md §5–§9):
///
/// submit: validate the form → render it once without a placement (builder errors are form
/// errors) → in ONE serialised store transaction, place against current capacity minus the
/// outstanding reservations and record job + reservation + outbox entry (or the job as Queued
/// with the reasons) → create the Karmada objects → record the workload template's uid (closing
/// the outbox entry) → 201 with the job Submitting. The status loop (reconciler.hpp) makes it
/// Running once Karmada has bound that template. A Karmada outage leaves the job Submitting; the
/// reconciler retries it from the outbox until all of its objects exist.
///
/// Every reply is a value: an HTTP status with a JSON body, or a Status error from the one
/// mapping (error_mapping.hpp).
///
/// Thread safety: safe to call concurrently from any number of sessions; it holds references to
/// internally synchronised collaborators and immutable options.

#include "broker/auth/jwt.hpp"
#include "broker/server/status_error.hpp"
#include "broker/store/store.hpp"
#include "propagation/placement/cluster_snapshot.hpp"
#include "proxy/kube_client.hpp"
#include "proxy/member_registry.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace broker::service {

/// What a service call answers: `status` + `body`, or `error`.
struct api_reply {
    unsigned status = 200;
    nlohmann::json body;
    std::optional<server::status_error> error;

    static api_reply ok(unsigned status, nlohmann::json body) { return {status, std::move(body), {}}; }
    static api_reply fail(server::status_error e) { return {e.code, nullptr, std::move(e)}; }
};

struct job_service_options {
    std::map<std::string, std::int64_t> admin_weights;  ///< per cluster, from config
    std::chrono::milliseconds karmada_timeout{10000};   ///< creating/deleting one job's objects
    std::size_t max_form_bytes = 1 << 20;
};

struct submit_request {
    std::string body;             ///< the JobForm JSON as posted
    std::string idempotency_key;  ///< header Idempotency-Key, may be empty
    bool dry_run = false;
};

struct list_request {
    std::optional<std::string> status, namespace_, job_type;
    std::int32_t limit = 100;
    std::string continue_token;
};

class job_service {
public:
    job_service(store::store& store, proxy::kube_client& karmada, proxy::member_registry& members,
                job_service_options options, std::function<void()> wake_reconciler);

    proxy::net::awaitable<api_reply> submit(const auth::principal& who, submit_request request);
    proxy::net::awaitable<api_reply> list(const auth::principal& who, list_request request);
    proxy::net::awaitable<api_reply> get(const auth::principal& who, std::string id);
    proxy::net::awaitable<api_reply> status(const auth::principal& who, std::string id);
    proxy::net::awaitable<api_reply> events(const auth::principal& who, std::string id);
    /// DELETE: Cancelled in the store first (reservations released, a delete queued), then the
    /// objects removed from Karmada right away when it answers; repeating it is harmless.
    proxy::net::awaitable<api_reply> cancel(const auth::principal& who, std::string id);

    /// The placement function the store runs inside its serialised transaction, for a form and
    /// the member snapshot taken when the request arrived. Also used for Queued jobs.
    static store::placement_fn make_placement_fn(
        std::shared_ptr<const propagation::form::job_form> form,
        std::shared_ptr<const proxy::member_list> members,
        std::shared_ptr<const propagation::placement::snapshot_options> options);

    const std::shared_ptr<const propagation::placement::snapshot_options>& snapshot_options() const {
        return snapshot_options_;
    }

private:
    std::optional<std::string> owner_filter(const auth::principal& who) const;
    /// Loads job `id` into `out` when `who` may see it; otherwise the reply saying why not (404
    /// for malformed, missing or someone else's ids; the store's error otherwise).
    proxy::net::awaitable<std::optional<api_reply>> load_visible(const auth::principal& who,
                                                                 const std::string& id,
                                                                 store::job_record& out);

    store::store& store_;
    proxy::kube_client& karmada_;
    proxy::member_registry& members_;
    job_service_options options_;
    std::shared_ptr<const propagation::placement::snapshot_options> snapshot_options_;
    std::function<void()> wake_reconciler_;
};

/// True for a syntactically valid job id (a UUID, as the store issues them).
bool is_job_id(std::string_view id);

/// SHA-256 of `text`, lower-case hex (idempotency request hashes).
std::string sha256_hex(std::string_view text);

}  // namespace broker::service
