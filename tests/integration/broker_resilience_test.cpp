// The broker under stress and failure (CONTRACTS.md §6 reservations, §9 lifecycle): concurrent
// submissions beyond capacity, a Karmada outage, SIGKILL between pipeline steps, a PostgreSQL
// restart under load, and leader takeover between two brokers.
#include "tests/integration/broker_test_support.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

namespace {

using broker_test::call;
using broker_test::job_form;
using broker_test::json;
using broker_test::wait_until;

/// GPUs per cluster over the jobs that hold a placement (not Queued, not finished).
std::map<std::string, int> booked_gpus(const json& jobs)
{
    std::map<std::string, int> out;
    for (const auto& j : jobs) {
        const auto state = j.value("state", std::string());
        if (state != "Submitting" && state != "Running") {
            continue;
        }
        for (const auto& c : j["placement"]["clusters"]) {
            out[c["name"].get<std::string>()] += c.value("gpus", 0);
        }
    }
    return out;
}

json all_jobs(std::uint16_t port, const std::string& token)
{
    return call(port, "GET", "/api/v1/jobs?limit=1000", token).doc["items"];
}

int count_state(const json& jobs, const std::string& state)
{
    int n = 0;
    for (const auto& j : jobs) {
        n += j.value("state", std::string()) == state ? 1 : 0;
    }
    return n;
}

TEST(broker_resilience, concurrent_submissions_beyond_capacity_never_overbook_and_queue_the_rest)
{
    // Three 8-GPU clusters; nine 4-GPU single-cluster jobs: six fit, three wait.
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo"});
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    std::vector<std::thread> clients;
    std::mutex mutex;
    std::vector<unsigned> codes;
    for (int i = 0; i < 9; ++i) {
        clients.emplace_back([&, i] {
            auto r = call(b->port(), "POST", "/api/v1/jobs", alice,
                          job_form("burst-" + std::to_string(i)));
            std::lock_guard lock(mutex);
            codes.push_back(r.status);
        });
    }
    for (auto& t : clients) {
        t.join();
    }
    EXPECT_EQ(codes, std::vector<unsigned>(9, 201u));
    auto jobs = all_jobs(b->port(), alice);
    ASSERT_EQ(jobs.size(), 9u);
    EXPECT_EQ(count_state(jobs, "Queued"), 3) << jobs.dump();
    for (const auto& [cluster, gpus] : booked_gpus(jobs)) {
        EXPECT_LE(gpus, 8) << cluster << " over-booked: " << jobs.dump();
    }
    for (const auto& j : jobs) {
        if (j["state"] == "Queued") {
            EXPECT_FALSE(j.value("message", std::string()).empty());
        }
    }

    // Freeing two placements lets two queued jobs run, in submission order, automatically.
    int freed = 0;
    for (const auto& j : jobs) {
        if (j["state"] != "Queued" && freed < 2) {
            ASSERT_EQ(call(b->port(), "DELETE", "/api/v1/jobs/" + j["id"].get<std::string>(), alice)
                          .status,
                      200u);
            ++freed;
        }
    }
    ASSERT_TRUE(wait_until(
        [&] { return count_state(all_jobs(b->port(), alice), "Queued") == 1; },
        std::chrono::seconds(60)))
        << all_jobs(b->port(), alice).dump();
    jobs = all_jobs(b->port(), alice);
    for (const auto& [cluster, gpus] : booked_gpus(jobs)) {
        EXPECT_LE(gpus, 8) << cluster << " over-booked: " << jobs.dump();
    }
    for (const auto& j : jobs) {
        const auto state = j["state"].get<std::string>();
        const auto expected = state == "Running" || state == "Submitting" ? 1u : 0u;
        if (state != "Cancelled" && state != "Queued") {
            EXPECT_TRUE(wait_until([&] {
                return fed.karmada_objects(broker_test::pytorchjobs, j["id"]) == expected;
            })) << j.dump();
        }
    }
}

TEST(broker_resilience, karmada_outage_leaves_jobs_submitting_then_propagates_each_once)
{
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo"});
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    ASSERT_TRUE(wait_until([&] { return call(b->port(), "GET", "/readyz").status == 200; }));
    ASSERT_EQ(fed.controlplane_fault({{"unavailable", true}}), 200u);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        auto r = call(b->port(), "POST", "/api/v1/jobs", alice, job_form("outage-" + std::to_string(i), 1));
        ASSERT_EQ(r.status, 201u) << r.body;
        EXPECT_EQ(r.doc["state"], "Submitting") << r.body;
        ids.push_back(r.doc["id"]);
    }
    ASSERT_EQ(fed.controlplane_fault(nullptr), 200u);
    for (const auto& id : ids) {
        EXPECT_TRUE(wait_until([&] {
            const auto s = broker_test::job_state(b->port(), alice, id);
            return s == "Running" || s == "Succeeded";
        })) << id;
        EXPECT_EQ(fed.karmada_objects(broker_test::pytorchjobs, id), 1u);
        EXPECT_EQ(fed.karmada_objects(broker_test::policies, id), 1u);
        auto events = call(b->port(), "GET", "/api/v1/jobs/" + id + "/events", alice);
        EXPECT_NE(events.body.find("KarmadaUnavailable"), std::string::npos) << events.body;
    }
    EXPECT_EQ(all_jobs(b->port(), alice).size(), 3u);
}

TEST(broker_resilience, sigkill_after_recording_before_creating_rolls_forward_on_restart)
{
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo"});
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    ASSERT_EQ(fed.controlplane_fault({{"unavailable", true}}), 200u);
    auto r = call(b->port(), "POST", "/api/v1/jobs", alice, job_form("killed-before-create", 1));
    ASSERT_EQ(r.status, 201u) << r.body;
    ASSERT_EQ(r.doc["state"], "Submitting");
    const auto id = r.doc["id"].get<std::string>();
    ::kill(b->pid(), SIGKILL);
    b->stop();
    ASSERT_EQ(fed.controlplane_fault(nullptr), 200u);
    EXPECT_EQ(fed.karmada_objects(broker_test::pytorchjobs, id), 0u);

    auto* again = fed.start_broker();
    ASSERT_TRUE(again);
    EXPECT_TRUE(wait_until([&] {
        const auto s = broker_test::job_state(again->port(), alice, id);
        return s == "Running" || s == "Succeeded";
    }));
    EXPECT_EQ(fed.karmada_objects(broker_test::pytorchjobs, id), 1u);
    EXPECT_EQ(all_jobs(again->port(), alice).size(), 1u);
}

TEST(broker_resilience, sigkill_while_creating_in_karmada_rolls_forward_without_duplicates)
{
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo"});
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    // Every Karmada call now takes 2 s: the submission is recorded and stuck creating.
    ASSERT_EQ(fed.controlplane_fault({{"latencyMs", 2000}}), 200u);
    std::thread submitter([&] {
        (void)call(b->port(), "POST", "/api/v1/jobs", alice, job_form("killed-mid-create", 1));
    });
    std::string id;
    const bool recorded = wait_until([&] {
        auto jobs = all_jobs(b->port(), alice);
        if (jobs.size() == 1) {
            id = jobs[0]["id"];
        }
        return !id.empty();
    });
    ::kill(b->pid(), SIGKILL);
    submitter.join();
    b->stop();
    ASSERT_TRUE(recorded);
    ASSERT_EQ(fed.controlplane_fault(nullptr), 200u);

    auto* again = fed.start_broker();
    ASSERT_TRUE(again);
    EXPECT_TRUE(wait_until([&] {
        const auto s = broker_test::job_state(again->port(), alice, id);
        return s == "Running" || s == "Succeeded";
    }));
    EXPECT_EQ(fed.karmada_objects(broker_test::pytorchjobs, id), 1u);
    EXPECT_EQ(fed.karmada_objects(broker_test::policies, id), 1u);
    EXPECT_EQ(all_jobs(again->port(), alice).size(), 1u);
}

constexpr const char* waiting_bindings =
    "broker_status_bindings_waiting_total{kind=\"creation_unrecorded\"}";

/// Waits until the broker leads and its ResourceBinding watch has listed once: from then on it
/// sees binding changes even while Karmada refuses new requests (the open watch goes on).
bool status_source_live(std::uint16_t port)
{
    return wait_until(
        [&] { return broker_test::broker_metric(port, "broker_status_binding_lists_total") > 0; });
}

/// The reasons of a job's events, in order.
std::vector<std::string> event_reasons(std::uint16_t port, const std::string& token,
                                       const std::string& id)
{
    std::vector<std::string> out;
    const auto events = call(port, "GET", "/api/v1/jobs/" + id + "/events", token);
    EXPECT_EQ(events.status, 200u) << events.body;
    for (const auto& e : events.doc["items"]) {
        out.push_back(e.value("reason", std::string()));
    }
    return out;
}

TEST(broker_resilience, a_partly_created_job_stays_submitting_until_every_object_exists)
{
    // A notebook is a PropagationPolicy, a Deployment (the template Karmada binds), a Service
    // and an Ingress, created in that order. Karmada becomes unavailable once the Deployment
    // exists: its binding appears while the Service and the Ingress are still missing, and the
    // submitting request gives up on them.
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo"});
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    const auto before = fed.fedsim_counter("requests.verb.create");
    const auto waits_before = broker_test::broker_metric(b->port(), waiting_bindings);
    ASSERT_TRUE(status_source_live(b->port()));
    ASSERT_EQ(fed.controlplane_fault({{"latencyMs", 700}}), 200u);
    broker_test::api_reply submitted;
    std::thread submitter([&] {
        submitted = call(b->port(), "POST", "/api/v1/jobs", alice,
                         job_form("half-made", 1, 1, "notebook"));
    });
    // Creates are counted once served: two served means the Service's is waiting out its delay.
    const bool two_created =
        wait_until([&] { return fed.fedsim_counter("requests.verb.create") >= before + 2; });
    const auto outage = fed.controlplane_fault({{"unavailable", true}});
    submitter.join();
    ASSERT_TRUE(two_created);
    ASSERT_EQ(outage, 200u);
    ASSERT_EQ(submitted.status, 201u) << submitted.body;
    EXPECT_EQ(submitted.doc["state"], "Submitting") << submitted.body;
    const auto id = submitted.doc["id"].get<std::string>();

    // The status loop has seen the Deployment's binding and holds it back.
    EXPECT_TRUE(wait_until([&] {
        return broker_test::broker_metric(b->port(), waiting_bindings) > waits_before;
    })) << call(b->port(), "GET", "/metrics").body;
    EXPECT_EQ(broker_test::job_state(b->port(), alice, id), "Submitting");

    ASSERT_EQ(fed.controlplane_fault(nullptr), 200u);
    EXPECT_TRUE(wait_until([&] { return broker_test::job_state(b->port(), alice, id) == "Running"; }))
        << broker_test::job_state(b->port(), alice, id);
    for (const char* collection : {"/apis/apps/v1/namespaces/default/deployments",
                                   "/api/v1/namespaces/default/services",
                                   "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
                                   broker_test::policies}) {
        EXPECT_EQ(fed.karmada_objects(collection, id), 1u) << collection;
    }
    const auto reasons = event_reasons(b->port(), alice, id);
    EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "Propagated"), 1) << json(reasons).dump();
    EXPECT_NE(std::find(reasons.begin(), reasons.end(), "KarmadaUnavailable"), reasons.end())
        << json(reasons).dump();
}

TEST(broker_resilience, a_namesakes_binding_never_moves_a_job)
{
    // Someone else's Job "twin", propagated by their own policy: its ResourceBinding names the
    // same workload as the broker's job "twin" will. Its pod finishes 3 s after it starts, which
    // changes that binding while the broker's job is Submitting (Karmada refuses requests, so the
    // job's creation can neither go on nor find the name taken; the binding watch still delivers).
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo"});
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    fedsim_test::create_job(fed.fedsim_port(), "twin", "others", json::array({"cluster-1"}),
                            {{"fedsim.io/run-seconds", "3"}, {"fedsim.io/outcome", "succeed"}});
    const std::string binding = "/apis/work.karmada.io/v1alpha2/namespaces/default/"
                                "resourcebindings/twin-job";
    ASSERT_TRUE(wait_until([&] { return call(fed.fedsim_port(), "GET", binding).status == 200; }));
    ASSERT_TRUE(status_source_live(b->port()));
    ASSERT_EQ(fed.controlplane_fault({{"unavailable", true}}), 200u);
    const auto waits_before = broker_test::broker_metric(b->port(), waiting_bindings);
    auto submitted = call(b->port(), "POST", "/api/v1/jobs", alice, job_form("twin", 1, 1, "job"));
    ASSERT_EQ(submitted.status, 201u) << submitted.body;
    ASSERT_EQ(submitted.doc["state"], "Submitting") << submitted.body;
    const auto id = submitted.doc["id"].get<std::string>();

    EXPECT_TRUE(wait_until([&] {
        return broker_test::broker_metric(b->port(), waiting_bindings) > waits_before;
    })) << call(b->port(), "GET", "/metrics").body;
    EXPECT_EQ(broker_test::job_state(b->port(), alice, id), "Submitting");

    // Karmada back: the job's own creation finds the name taken.
    ASSERT_EQ(fed.controlplane_fault(nullptr), 200u);
    EXPECT_TRUE(wait_until([&] { return broker_test::job_state(b->port(), alice, id) == "Failed"; }));
    auto job = call(b->port(), "GET", "/api/v1/jobs/" + id, alice);
    EXPECT_NE(job.doc.value("message", std::string()).find("belongs to another job"),
              std::string::npos)
        << job.body;
    const auto reasons = event_reasons(b->port(), alice, id);
    EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "Propagated"), 0) << json(reasons).dump();
    EXPECT_EQ(std::count(reasons.begin(), reasons.end(), "Succeeded"), 0) << json(reasons).dump();
    // The other Job is left alone.
    EXPECT_EQ(call(fed.fedsim_port(), "GET", "/apis/batch/v1/namespaces/default/jobs/twin").status,
              200u);
}

TEST(broker_resilience, postgres_restart_under_load_gives_503s_then_recovers_with_whole_jobs)
{
    auto& pg = test_support::postgres_server::instance();
    if (pg.available() && !pg.is_private()) {
        GTEST_SKIP() << "DATABASE_URL is set: the test cannot restart that server";
    }
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo"});
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::map<unsigned, int> codes;
    std::set<std::string> created;
    std::thread load([&] {
        // Bounded by time, not count: while the database is down the 503s come back at once.
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        for (int i = 0; !stop && std::chrono::steady_clock::now() < end; ++i) {
            auto r = call(b->port(), "POST", "/api/v1/jobs", alice,
                          job_form("load-" + std::to_string(i), 1, 0, "job"));
            std::lock_guard lock(mutex);
            ++codes[r.status];
            if (r.status == 201) {
                created.insert(r.doc["id"].get<std::string>());
            }
        }
    });
    auto count = [&](unsigned code) {
        std::lock_guard lock(mutex);
        return codes[code];
    };
    auto summary = [&] {
        std::lock_guard lock(mutex);
        std::string out;
        for (const auto& [code, n] : codes) {
            out += std::to_string(code) + "×" + std::to_string(n) + " ";
        }
        return out;
    };
    EXPECT_TRUE(wait_until([&] { return count(201) >= 5; }));
    ASSERT_TRUE(pg.stop());
    EXPECT_TRUE(wait_until([&] { return count(503) >= 3; })) << "no 503 while the database was down";
    EXPECT_TRUE(wait_until([&] { return call(b->port(), "GET", "/readyz").status == 503; }));
    ASSERT_TRUE(pg.start());
    const int before = count(201);
    EXPECT_TRUE(wait_until([&] { return count(201) >= before + 5; }, std::chrono::seconds(60)))
        << "no recovery after the database came back: " << summary()
        << " readyz: " << call(b->port(), "GET", "/readyz").body;
    stop = true;
    load.join();
    EXPECT_TRUE(wait_until([&] { return call(b->port(), "GET", "/readyz").status == 200; }));

    // Every acknowledged job is there, whole: placed or queued, with its first event.
    auto jobs = all_jobs(b->port(), alice);
    std::set<std::string> listed;
    for (const auto& j : jobs) {
        listed.insert(j["id"].get<std::string>());
        EXPECT_TRUE(j["placement"].is_object()) << j.dump();
        auto events = call(b->port(), "GET", "/api/v1/jobs/" + j["id"].get<std::string>() + "/events",
                           alice);
        ASSERT_EQ(events.status, 200u);
        EXPECT_FALSE(events.doc["items"].empty()) << j.dump();
    }
    for (const auto& id : created) {
        EXPECT_TRUE(listed.count(id)) << "acknowledged job " << id << " is missing";
    }
    std::lock_guard lock(mutex);
    for (const auto& [code, n] : codes) {
        EXPECT_TRUE(code == 201 || code == 503) << code << " x" << n;
    }
    if (HasFailure() && std::getenv("BROKER_TEST_LOG_LEVEL") != nullptr) {
        std::cerr << "---- broker output\n" << b->output() << "---- end of broker output\n";
    }
}

std::string leader_gauge(std::uint16_t port)
{
    auto m = call(port, "GET", "/metrics");
    auto at = m.body.find("\nbroker_leader ");
    return at == std::string::npos ? "" : m.body.substr(at + 15, 1);
}

TEST(broker_resilience, two_brokers_elect_one_leader_and_the_other_takes_over_after_sigkill)
{
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo"});
    auto* first = fed.start_broker();
    auto* second = fed.start_broker();
    ASSERT_TRUE(first && second);
    ASSERT_TRUE(wait_until([&] {
        const auto a = leader_gauge(first->port());
        const auto b = leader_gauge(second->port());
        return (a == "1") != (b == "1") && !a.empty() && !b.empty();
    })) << leader_gauge(first->port()) << leader_gauge(second->port());
    auto* leader = leader_gauge(first->port()) == "1" ? first : second;
    auto* follower = leader == first ? second : first;
    const auto alice = fed.token("alice");

    ::kill(leader->pid(), SIGKILL);
    leader->stop();
    EXPECT_TRUE(wait_until([&] { return leader_gauge(follower->port()) == "1"; }));

    // The new leader does the background work: a job recorded during an outage propagates.
    ASSERT_EQ(fed.controlplane_fault({{"unavailable", true}}), 200u);
    auto r = call(follower->port(), "POST", "/api/v1/jobs", alice, job_form("after-takeover", 1));
    ASSERT_EQ(r.status, 201u) << r.body;
    ASSERT_EQ(fed.controlplane_fault(nullptr), 200u);
    const auto id = r.doc["id"].get<std::string>();
    EXPECT_TRUE(wait_until([&] {
        const auto s = broker_test::job_state(follower->port(), alice, id);
        return s == "Running" || s == "Succeeded";
    }));
    EXPECT_EQ(fed.karmada_objects(broker_test::pytorchjobs, id), 1u);
}

}  // namespace
