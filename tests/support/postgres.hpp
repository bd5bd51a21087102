#pragma once
/// PostgreSQL for tests: `$DATABASE_URL` when it is set, else a private throwaway server that
/// scripts/pg.sh starts in a temporary directory the first time a test asks for it and stops
/// when the test binary exits. Each suite gets a fresh database of its own.
///
/// When neither works (no PostgreSQL binaries), `available()` is false and `unavailable_reason()`
/// says why, so tests can GTEST_SKIP with a visible reason.
///
/// Thread safety: `instance()` is safe to call from any thread; the other methods are meant for
/// a test's main thread (SetUp / SetUpTestSuite).

#include <string>
#include <string_view>

namespace test_support {

class postgres_server {
public:
    /// The binary's one server, started on first use.
    static postgres_server& instance();

    bool available() const { return !admin_url_.empty(); }
    const std::string& unavailable_reason() const { return reason_; }

    /// True when the server is the private one (so it can be stopped and started).
    bool is_private() const { return !dir_.empty(); }

    /// Creates an empty database named `<prefix>_<pid>_<n>` and returns its connection URL.
    /// Returns an empty string (and sets unavailable_reason) on failure.
    std::string create_database(std::string_view prefix);

    /// Stops / starts the private server (data kept). False when not private or on failure.
    bool stop();
    bool start();

    ~postgres_server();
    postgres_server(const postgres_server&) = delete;
    postgres_server& operator=(const postgres_server&) = delete;

private:
    postgres_server();

    std::string admin_url_;
    std::string dir_;
    std::string reason_;
    int counter_ = 0;
};

/// Replaces the database of a libpq connection string (URI or key=value form).
std::string url_with_database(const std::string& url, const std::string& database);

}  // namespace test_support
