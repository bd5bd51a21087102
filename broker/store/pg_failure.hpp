#pragma once
/// How the PostgreSQL store interprets libpqxx failures: which are "the database is
/// unavailable" (drop the connection, reconnect with backoff, answer 503), which are a statement
/// timeout, which a transient serialisation failure worth retrying, and which are bugs.
///
/// Thread safety: pure functions.

#include "broker/store/store_error.hpp"

#include <chrono>
#include <exception>
#include <string>

namespace broker::store {

struct pg_failure {
    store_error error;
    bool connection_lost = false;  ///< the connection must be discarded
    bool retryable = false;        ///< serialisation failure / deadlock: run the transaction again
};

/// Classifies an exception thrown by libpqxx (or anything else) during a store call.
pg_failure classify_exception(std::exception_ptr e);

/// Adds `connect_timeout` (seconds, at least 1) to a libpq connection string in either form
/// (`postgresql://...` URI or `key=value` pairs) unless it already names one, so that a
/// connection attempt to an unreachable host is bounded.
std::string with_connect_timeout(const std::string& database_url, std::chrono::milliseconds t);

}  // namespace broker::store
