#include "tests/support/postgres.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include <unistd.h>

namespace test_support {

namespace {

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

/// Runs a shell command; returns its exit status and stdout (stderr goes to the test log).
int run(const std::string& command, std::string* out = nullptr) {
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) {
        return -1;
    }
    std::array<char, 4096> buf{};
    std::string text;
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) {
        text += buf.data();
    }
    const int status = ::pclose(p);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    if (out != nullptr) {
        *out = text;
    }
    return status;
}

std::string pg_script() {
    if (const char* env = std::getenv("BROKER_PG_SCRIPT"); env != nullptr && *env != '\0') {
        return env;
    }
#ifdef BROKER_SOURCE_DIR
    return std::string(BROKER_SOURCE_DIR) + "/scripts/pg.sh";
#else
    // test_support's own sources do not get the test defines; this file lives at
    // <repo>/tests/support/postgres.cpp and CMake compiles it by absolute path.
    std::string here = __FILE__;
    for (int up = 0; up < 3; ++up) {
        here = here.substr(0, here.find_last_of('/'));
    }
    return here + "/scripts/pg.sh";
#endif
}

}  // namespace

std::string url_with_database(const std::string& url, const std::string& database) {
    const bool uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
    if (!uri) {
        // In key=value form a later key overrides an earlier one.
        return url + (url.empty() ? "" : " ") + "dbname=" + database;
    }
    const auto scheme_end = url.find("://") + 3;
    const auto query = url.find('?', scheme_end);
    const auto path = url.find('/', scheme_end);
    const std::string head = url.substr(0, std::min(path, query));
    const std::string tail = query == std::string::npos ? "" : url.substr(query);
    return head + "/" + database + tail;
}

postgres_server& postgres_server::instance() {
    static postgres_server server;
    return server;
}

postgres_server::postgres_server() {
    if (const char* env = std::getenv("DATABASE_URL"); env != nullptr && *env != '\0') {
        admin_url_ = env;
        return;
    }
    std::string tmpl = "/tmp/broker-test-pg-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
        reason_ = "cannot create a temporary directory for PostgreSQL";
        return;
    }
    dir_ = tmpl;
    std::string url;
    const std::string up = pg_script() + " up " + shell_quote(dir_) + " --owner-pid " +
                           std::to_string(::getpid());
    if (run(up, &url) != 0 || url.empty()) {
        reason_ = "scripts/pg.sh could not start a private PostgreSQL (is postgresql installed?)";
        run(pg_script() + " down " + shell_quote(dir_) + " >/dev/null 2>&1");
        dir_.clear();
        return;
    }
    admin_url_ = url;
}

postgres_server::~postgres_server() {
    if (!dir_.empty()) {
        run(pg_script() + " down " + shell_quote(dir_) + " >/dev/null 2>&1");
    }
}

std::string postgres_server::create_database(std::string_view prefix) {
    if (!available()) {
        return {};
    }
    const std::string name =
        std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter_);
    const std::string cmd = "psql " + shell_quote(admin_url_) + " -v ON_ERROR_STOP=1 -Atq -c " +
                            shell_quote("CREATE DATABASE " + name) + " >/dev/null";
    if (run(cmd) != 0) {
        reason_ = "CREATE DATABASE " + name + " failed";
        return {};
    }
    return url_with_database(admin_url_, name);
}

bool postgres_server::stop() {
    return is_private() && run(pg_script() + " stop " + shell_quote(dir_)) == 0;
}

bool postgres_server::start() {
    return is_private() && run(pg_script() + " start " + shell_quote(dir_)) == 0;
}

}  // namespace test_support
