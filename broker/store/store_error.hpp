#pragma once
/// Errors of the job store, returned as values (STYLE.md principle 5).
///
/// The codes are protocol-neutral; the broker's single error mapping turns them into HTTP
/// statuses (`unavailable` → 503, `timeout` → 504, `not_found` → 404, `conflict` and
/// `idempotency_mismatch` → 409, `invalid` → 400/422, `internal` → 500). `message` is safe to
/// show to a client; `detail` (SQLSTATE, server text) is for the log only.
///
/// Thread safety: plain values.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace broker::store {

enum class store_errc {
    unavailable,           ///< PostgreSQL unreachable or restarting; nothing was written
    timeout,               ///< the per-query deadline (statement_timeout) expired; rolled back
    not_found,             ///< no such job (or not visible to this owner)
    conflict,              ///< optimistic update lost (generation changed) or forbidden transition
    idempotency_mismatch,  ///< the same Idempotency-Key was used with a different request body
    invalid,               ///< an argument the store cannot accept (bad continue token, bad uuid)
    internal,              ///< anything else (a bug or an unexpected SQL error)
};

std::string_view to_string(store_errc code);

struct store_error {
    store_errc code = store_errc::internal;
    std::string message;  ///< client-visible
    std::string detail;   ///< internal: SQLSTATE and server text, for logs only
};

/// Required by boost::system::result when `.value()` is called on an error: throws
/// `std::runtime_error`. Code that handles errors checks `has_error()` first and never calls it.
[[noreturn]] void throw_exception_from_error(const store_error& e,
                                             const boost::source_location& loc);

template <class T>
using store_result = boost::system::result<T, store_error>;

/// Shorthand constructors.
store_error make_error(store_errc code, std::string message, std::string detail = {});

}  // namespace broker::store
