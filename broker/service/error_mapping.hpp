#pragma once
/// The one mapping from the broker's internal errors to HTTP Status errors (STYLE.md principle
/// 5, CONTRACTS.md §8): 400 malformed, 401/403 auth, 404, 409 conflict, 422 invalid form, 429
/// overload, 502/504 upstream, 503 database unavailable. Every error source the service sees
/// has exactly one function here; a new error code must be added here or it falls back to 500.
///
/// Thread safety: pure functions.

#include "broker/server/status_error.hpp"
#include "broker/store/store_error.hpp"
#include "propagation/error.hpp"
#include "proxy/kube_error.hpp"

namespace broker::service {

server::status_error to_status(const propagation::error& e);
server::status_error to_status(const store::store_error& e);
/// An error talking to Karmada (or a member through it) on the broker's own behalf: the
/// gateway codes 502/504; `what` says what the broker was doing ("creating jobs.batch/x").
server::status_error to_status(const proxy::kube_error& e, std::string_view what);

}  // namespace broker::service
