#pragma once
/// The broker's background loops (CONTRACTS.md §9), run by exactly one broker process at a time:
/// the holder of the `reconciler` lease in PostgreSQL. Another process takes over when the
/// holder stops renewing (it died) or releases the lease (graceful shutdown).
///
/// Each pass, as leader:
/// 1. outbox: claim due entries; `create` makes the job's Karmada objects (idempotently) and
///    records its workload template's uid; `delete` removes them. A failure is retried with
///    exponential backoff, so a job recorded during a Karmada outage is created once it
///    returns — never lost, never created twice (names are deterministic, AlreadyExists of our
///    own object is success).
/// 2. queue: Queued jobs, in priority then submission order, are placed again against current
///    capacity minus reservations (same serialised transaction as a submission).
/// 3. status: each Submitting or Running job's ResourceBinding is read and its per-cluster
///    state derived (propagation/status); transitions become events. A binding counts only
///    when it binds the job's recorded template uid (a namesake's binding names the same
///    workload), so a Submitting job becomes Running (event Propagated) once all of its objects
///    were created (whoever created them recorded the uid) and Karmada bound them. A cluster's
///    reservation is released once that cluster's own status accounts for the job's pods.
///
/// Thread safety: `start`, `stop` and `wake` may be called from any thread; the loop runs on its
/// own strand.

#include "broker/server/metrics.hpp"
#include "broker/service/job_service.hpp"
#include "broker/store/store.hpp"
#include "proxy/kube_client.hpp"
#include "proxy/member_registry.hpp"
#include "proxy/reflector.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace broker::service {

struct reconciler_options {
    std::string instance_id;  ///< this process (lease holder name)
    std::chrono::milliseconds outbox_interval{1000};
    std::chrono::milliseconds queue_interval{2000};
    std::chrono::milliseconds status_interval{1000};
    std::chrono::milliseconds backoff_initial{500};
    std::chrono::milliseconds backoff_max{30000};
    std::chrono::milliseconds lease_ttl{15000};
    /// The lease is renewed at least this often (each pass renews it; idle passes are spaced by
    /// min(outbox_interval, lease_renew_interval)).
    std::chrono::milliseconds lease_renew_interval{5000};
    std::chrono::milliseconds karmada_timeout{10000};
};

class reconciler {
public:
    reconciler(proxy::net::any_io_executor executor, store::store& store,
               proxy::kube_client& karmada, proxy::member_registry& members, job_service& jobs,
               reconciler_options options, std::shared_ptr<server::metrics_registry> metrics);
    ~reconciler();
    reconciler(const reconciler&) = delete;
    reconciler& operator=(const reconciler&) = delete;

    void start();
    /// Stops the loop and releases the lease (bounded by the lease call's own deadline).
    void stop();
    /// Runs a pass now instead of at the next interval.
    void wake();
    bool is_leader() const;
    /// The ResourceBinding watch's completed lists and applied events, summed over every time
    /// this process led (for /metrics: the status source is live once a list completed).
    proxy::reflector_stats binding_watch_stats() const;
    /// Completes when the loop has ended after stop().
    proxy::net::awaitable<void> wait_stopped();

    struct state;

private:
    std::shared_ptr<state> state_;
};

/// What the status loop does with a changed ResourceBinding that names a job's workload.
enum class binding_use {
    apply,   ///< derive the job's status from it
    wait,    ///< look at it again next pass: the job's creation is not recorded yet
    ignore,  ///< not the job's (a namesake's), or a deletion that says nothing about it
};

/// `template_uid` is the job's recorded one (empty: none yet), `bound_uid` the binding's
/// `spec.resource.uid`. A job with a recorded uid takes only bindings of that uid; a Submitting
/// job without one waits for it; a Running job without one (recorded before uids were) takes
/// bindings by name.
binding_use use_of_binding(store::job_state state, std::string_view template_uid,
                           std::string_view bound_uid, bool deleted);

/// The delay before retry `attempt` (1-based): initial × 2^(attempt−1), capped at `max`.
std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds initial,
                                      std::chrono::milliseconds max);

}  // namespace broker::service
