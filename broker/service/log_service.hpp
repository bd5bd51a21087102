#pragma once
/// Job logs through Karmada's cluster proxy (CONTRACTS.md §8, karmada/SPEC.md §d.1): the job's
/// pods are found in each of its clusters by the job-id label, and every pod's log is read from
/// `/apis/cluster.karmada.io/v1alpha1/clusters/{c}/proxy/api/v1/namespaces/{ns}/pods/{p}/log`.
/// Without `pod`, every pod of the job across its clusters is read and each line is prefixed
/// with `cluster/pod `. With `follow=true` the answer is streamed: all pods at once, lines
/// written as they arrive, until every pod's log ends or the client goes away (which cancels
/// every member stream).
///
/// Thread safety: like job_service.

#include "broker/auth/jwt.hpp"
#include "broker/server/response.hpp"
#include "broker/store/store.hpp"
#include "proxy/kube_client.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace broker::service {

struct log_request {
    std::string job_id;
    std::string cluster;    ///< only this cluster (optional)
    std::string pod;        ///< only this pod (optional; then no prefix)
    std::string container;  ///< optional
    std::optional<std::int64_t> tail_lines;
    bool follow = false;
    bool timestamps = false;
};

struct log_service_options {
    std::chrono::milliseconds member_timeout{5000};  ///< listing pods, reading a whole log
    std::size_t max_log_bytes = 8 << 20;             ///< per non-follow answer
    std::size_t max_buffered_bytes = 4 << 20;        ///< follow: lines queued for a slow client
};

class log_service {
public:
    log_service(store::store& store, proxy::kube_client& karmada, log_service_options options);

    proxy::net::awaitable<server::response> logs(const auth::principal& who, log_request request);

private:
    store::store& store_;
    proxy::kube_client& karmada_;
    log_service_options options_;
};

}  // namespace broker::service
