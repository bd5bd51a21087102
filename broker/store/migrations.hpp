#pragma once
/// The database schema as an ordered list of versioned migrations, and the runner that applies
/// the missing ones (`broker migrate`, or `broker serve` with migrate-on-start).
///
/// Each migration runs in its own transaction together with its row in `schema_migrations`, so
/// it is applied entirely or not at all; running the runner again applies nothing. The runner
/// holds a session-level advisory lock while it works, so two brokers starting together take
/// turns instead of racing (the second finds everything applied).
///
/// Thread safety: `migrate_database` may be called concurrently from any number of threads or
/// processes; `all_migrations` returns immutable data.

#include "broker/store/store_error.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace broker::store {

struct migration {
    int version = 0;        ///< strictly increasing, never reused
    std::string_view name;  ///< short description, recorded with the version
    std::string_view sql;   ///< one or more statements
};

/// The schema, oldest first. Append new versions; never edit an applied one.
const std::vector<migration>& all_migrations();

struct migration_report {
    std::vector<int> applied;  ///< versions applied by this call (empty: already up to date)
    int current_version = 0;   ///< the schema version afterwards
};

/// Connects to `database_url`, applies the missing migrations under the advisory lock and
/// disconnects. Waiting for another runner's lock is bounded by `lock_timeout`.
/// Errors: `unavailable` (cannot connect), `timeout` (lock wait), `internal` (bad SQL).
store_result<migration_report> migrate_database(
    const std::string& database_url,
    std::chrono::milliseconds lock_timeout = std::chrono::seconds(60));

}  // namespace broker::store
