#include "broker/service/error_mapping.hpp"

namespace broker::service {

server::status_error to_status(const propagation::error& e) {
    switch (e.code) {
        case propagation::errc::bad_input:
            return server::make_status(400, e.message, "BadRequest");
        case propagation::errc::invalid:
        case propagation::errc::unschedulable: {
            server::status_error s = server::make_status(
                422, e.message, e.code == propagation::errc::invalid ? "Invalid" : "Unschedulable");
            server::status_details details;
            details.kind = "Job";
            details.group = "broker.gpufed.io";
            for (const auto& c : e.causes) {
                details.causes.push_back({c.reason, c.message, c.field});
            }
            s.details = std::move(details);
            return s;
        }
    }
    return server::make_status(500, "internal error");
}

server::status_error to_status(const store::store_error& e) {
    using store::store_errc;
    switch (e.code) {
        case store_errc::unavailable: {
            auto s = server::make_status(503, "the job database is unavailable; retry shortly",
                                         "ServiceUnavailable");
            s.details = server::status_details{};
            s.details->retry_after_seconds = 1;
            return s;
        }
        case store_errc::timeout:
            return server::make_status(504, "the job database did not answer in time", "Timeout");
        case store_errc::not_found:
            return server::make_status(404, e.message.empty() ? "job not found" : e.message,
                                       "NotFound");
        case store_errc::conflict:
        case store_errc::idempotency_mismatch:
            return server::make_status(409, e.message, "Conflict");
        case store_errc::invalid:
            return server::make_status(400, e.message, "BadRequest");
        case store_errc::internal:
            break;
    }
    return server::make_status(500, "internal error", "InternalError");
}

server::status_error to_status(const proxy::kube_error& e, std::string_view what) {
    using proxy::kube_errc;
    const std::string prefix = std::string(what) + ": ";
    switch (e.code) {
        case kube_errc::timeout:
            return server::make_status(504, prefix + "Karmada did not answer in time", "Timeout");
        case kube_errc::cancelled:
            // The broker is shutting down or the client left; nobody reads this answer.
            return server::make_status(503, prefix + "cancelled", "ServiceUnavailable");
        case kube_errc::http_status:
            if (e.http_status == 429) {
                return server::make_status(429, prefix + e.message, "TooManyRequests");
            }
            return server::make_status(502, prefix + "Karmada answered " +
                                                std::to_string(e.http_status) + " " + e.reason +
                                                ": " + e.message,
                                       "BadGateway");
        case kube_errc::invalid_argument:
        case kube_errc::connect_failed:
        case kube_errc::tls_failed:
        case kube_errc::connection_lost:
        case kube_errc::response_too_large:
        case kube_errc::bad_response:
            return server::make_status(502, prefix + e.message, "BadGateway");
    }
    return server::make_status(502, prefix + e.message, "BadGateway");
}

}  // namespace broker::service
