#pragma once
// Shared by the broker_*_test.cpp files: a whole federation for one test — a fresh database on
// the test PostgreSQL (tests/support/postgres.hpp), fedsim --demo and one or more `broker serve`
// processes, all children on port 0 and all stopped by destructors — plus tokens, a JSON HTTP
// helper and a bounded poll. Nothing here sleeps for a fixed time: waits poll with a deadline.

#include "broker/auth/jwt.hpp"
#include "tests/integration/fedsim_test_support.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/process.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace broker_test {

using nlohmann::json;

inline std::string broker_exe()
{
#ifdef BROKER_EXE
    return BROKER_EXE;
#else
    return "";
#endif
}

inline std::string read_text(const std::filesystem::path& file)
{
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::string seed_example()
{
    return read_text(std::filesystem::path(BROKER_SOURCE_DIR) / "config/examples/seed-job.json");
}

/// Polls `done` every 50 ms until it is true or `deadline` passes; returns its last answer.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds deadline = std::chrono::seconds(30))
{
    const auto end = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        if (done()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= end) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

/// A reply with its body parsed when it is JSON (null otherwise).
struct api_reply {
    unsigned status = 0;
    std::string head;
    std::string body;
    json doc;
};

inline api_reply call(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& token = {}, const std::string& body = {},
                      std::map<std::string, std::string> headers = {})
{
    if (!token.empty()) {
        headers["Authorization"] = "Bearer " + token;
    }
    auto r = fedsim_test::http(port, method, target, body, headers);
    api_reply out{r.status, r.head, r.body, json()};
    out.doc = json::parse(r.body, nullptr, false);
    if (out.doc.is_discarded()) {
        out.doc = json();
    }
    return out;
}

/// A job form like the seed's example with another name (and optionally other GPU needs).
inline std::string job_form(const std::string& name, int replicas = 4, int gpus = 1,
                            const std::string& type = "pytorch")
{
    json f = json::parse(seed_example());
    f["name"] = name;
    f["replicas"] = replicas;
    f["gpuRequest"] = gpus;
    f["jobType"] = type;
    if (type != "pytorch") {
        f.erase("framework");
    }
    f.erase("targetClusters");
    return f.dump();
}

/// One test's federation. Start fedsim and the database with `start()`, then brokers with
/// `start_broker()`; everything is stopped (SIGTERM, then SIGKILL) by the destructor.
class federation {
public:
    federation() = default;
    federation(const federation&) = delete;
    federation& operator=(const federation&) = delete;

    ~federation()
    {
        brokers.clear();
        fedsim.reset();
    }

    /// False (with `skip_reason`) when a prerequisite is missing: then GTEST_SKIP.
    bool start(std::vector<std::string> fedsim_args = {"--demo", "--time-scale", "20"})
    {
        if (broker_exe().empty() || !std::filesystem::exists(broker_exe()) ||
            !std::filesystem::exists(fedsim_test::fedsim_exe())) {
            skip_reason = "broker or fedsim executable not built";
            return false;
        }
        auto& pg = test_support::postgres_server::instance();
        if (!pg.available()) {
            skip_reason = "no PostgreSQL: " + pg.unavailable_reason();
            return false;
        }
        database_url = pg.create_database("broker_it");
        if (database_url.empty()) {
            skip_reason = "cannot create a database: " + pg.unavailable_reason();
            return false;
        }
        auto migrate = test_support::run_command(
            {broker_exe(), "migrate", "--database-url", database_url}, std::chrono::seconds(60));
        EXPECT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;

        kubeconfig = (dir.path / "karmada.kubeconfig").string();
        fedsim_args.insert(fedsim_args.end(), {"--kubeconfig-out", kubeconfig});
        fedsim = fedsim_test::start_fedsim(fedsim_args);
        if (!fedsim) {
            return false;
        }
        const auto key = (dir.path / "jwt.key").string();
        const auto pub = (dir.path / "jwt.pub").string();
        auto gen = test_support::run_command(
            {"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key},
            std::chrono::seconds(30));
        auto out = test_support::run_command({"openssl", "ec", "-in", key, "-pubout", "-out", pub},
                                             std::chrono::seconds(30));
        EXPECT_EQ(gen.exit_code, 0) << gen.err;
        EXPECT_EQ(out.exit_code, 0) << out.err;
        private_key = read_text(key);
        public_key_file = pub;
        return migrate.exit_code == 0 && gen.exit_code == 0 && out.exit_code == 0;
    }

    /// The arguments of a broker on this federation (port 0, fast reconciler intervals).
    /// The brokers' --log-level: BROKER_TEST_LOG_LEVEL, else warn.
    static std::string log_level()
    {
        const char* level = std::getenv("BROKER_TEST_LOG_LEVEL");
        return level != nullptr && *level != '\0' ? level : "warn";
    }

    std::vector<std::string> broker_args(std::vector<std::string> extra = {}) const
    {
        std::vector<std::string> args = {"serve",
                                         "--address",
                                         "127.0.0.1",
                                         "--port",
                                         "0",
                                         "--karmada-kubeconfig",
                                         kubeconfig,
                                         "--database-url",
                                         database_url,
                                         "--jwt-public-key",
                                         public_key_file,
                                         "--outbox-interval",
                                         "200ms",
                                         "--queue-interval",
                                         "200ms",
                                         "--status-interval",
                                         "300ms",
                                         "--backoff-initial",
                                         "100ms",
                                         "--backoff-max",
                                         "1s",
                                         // A restarted or second broker takes over quickly.
                                         "--lease-ttl",
                                         "2s",
                                         "--lease-renew-interval",
                                         "500ms",
                                         "--log-level",
                                         log_level()};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }

    /// Starts one more broker; returns it (also kept in `brokers`), null on failure.
    test_support::child_process* start_broker(std::vector<std::string> extra = {})
    {
        std::string error;
        auto child = test_support::child_process::start(broker_exe(), broker_args(extra), error);
        EXPECT_TRUE(child) << error;
        if (!child) {
            return nullptr;
        }
        // Ready: the database answers and the member clusters have been listed (before that,
        // every submission would be Queued for want of clusters).
        const auto port = child->port();
        EXPECT_TRUE(wait_until([&] { return call(port, "GET", "/readyz").status == 200; }))
            << "broker not ready";
        brokers.push_back(std::move(child));
        return brokers.back().get();
    }

    /// A token for `user` (roles as given) valid from `issued_at` for `ttl` seconds.
    std::string token(const std::string& user, std::vector<std::string> roles = {},
                      std::int64_t issued_at = 0, std::int64_t ttl = 3600) const
    {
        broker::auth::sign_request r;
        r.user = user;
        r.roles = std::move(roles);
        r.issued_at = issued_at != 0 ? issued_at : static_cast<std::int64_t>(std::time(nullptr));
        r.ttl_seconds = ttl;
        auto t = broker::auth::sign_token(private_key, r);
        EXPECT_TRUE(t.token) << t.error;
        return t.token.value_or("");
    }

    std::uint16_t fedsim_port() const { return fedsim->port(); }

    /// Objects of a collection in fedsim's control plane carrying the job's id label.
    std::size_t karmada_objects(const std::string& collection, const std::string& job_id) const
    {
        auto r = call(fedsim->port(), "GET",
                      collection + "?labelSelector=broker.gpufed.io%2Fjob-id%3D" + job_id);
        if (r.status != 200 || !r.doc.contains("items")) {
            return static_cast<std::size_t>(-1);
        }
        return r.doc["items"].size();
    }

    /// A request counter of fedsim's /fedsim/v1/stats ("requests.verb.create"); 0 when absent.
    std::uint64_t fedsim_counter(const std::string& name) const
    {
        auto r = call(fedsim->port(), "GET", "/fedsim/v1/stats");
        const auto& counters = r.doc.is_object() ? r.doc.value("counters", json::object()) : json();
        return counters.is_object() ? counters.value(name, std::uint64_t{0}) : 0;
    }

    /// Sets (or with an empty body clears) a control-plane fault.
    unsigned controlplane_fault(const json& fault) const
    {
        if (fault.is_null()) {
            return call(fedsim->port(), "DELETE", "/fedsim/v1/controlplane/fault").status;
        }
        return call(fedsim->port(), "POST", "/fedsim/v1/controlplane/fault", {}, fault.dump())
            .status;
    }

    fedsim_test::temp_dir dir;
    std::string skip_reason;
    std::string database_url;
    std::string kubeconfig;
    std::string private_key;
    std::string public_key_file;
    std::unique_ptr<test_support::child_process> fedsim;
    std::vector<std::unique_ptr<test_support::child_process>> brokers;
};

/// The job's state as GET /api/v1/jobs/{id} reports it ("" when the call failed).
inline std::string job_state(std::uint16_t port, const std::string& token, const std::string& id)
{
    auto r = call(port, "GET", "/api/v1/jobs/" + id, token);
    return r.status == 200 ? r.doc.value("state", std::string()) : std::string();
}

/// The value of one series of the broker's /metrics (`name` or `name{kind="..."}`, as
/// rendered); 0 when it is absent.
inline std::uint64_t broker_metric(std::uint16_t port, const std::string& series)
{
    const auto text = call(port, "GET", "/metrics").body;
    for (std::size_t at = text.find(series); at != std::string::npos;
         at = text.find(series, at + 1)) {
        const bool line_start = at == 0 || text[at - 1] == '\n' || text[at - 1] == '_';
        const auto value_at = at + series.size();
        if (line_start && value_at < text.size() && text[value_at] == ' ') {
            return std::strtoull(text.c_str() + value_at + 1, nullptr, 10);
        }
    }
    return 0;
}

inline constexpr const char* pytorchjobs = "/apis/kubeflow.org/v1/namespaces/default/pytorchjobs";
inline constexpr const char* policies =
    "/apis/policy.karmada.io/v1alpha1/namespaces/default/propagationpolicies";

}  // namespace broker_test

#define BROKER_FEDERATION_OR_SKIP(var, ...)                                                   \
    ::broker_test::federation var;                                                            \
    if (!var.start(__VA_ARGS__)) {                                                            \
        if (!var.skip_reason.empty()) {                                                       \
            GTEST_SKIP() << var.skip_reason;                                                  \
        }                                                                                     \
        FAIL() << "the federation did not start";                                             \
    }
