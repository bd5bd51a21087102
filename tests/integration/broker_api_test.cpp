// The broker's REST API end to end (CONTRACTS.md §5–§9): real PostgreSQL, fedsim --demo and
// `broker serve` as child processes on port 0.
#include "tests/integration/broker_test_support.hpp"

#include <set>

namespace {

using broker_test::call;
using broker_test::job_form;
using broker_test::json;
using broker_test::wait_until;

TEST(broker_api, seed_example_is_placed_propagated_runs_and_succeeds_with_logs_and_events)
{
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo", "--time-scale", "20"});
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");

    auto created = call(b->port(), "POST", "/api/v1/jobs", alice, broker_test::seed_example());
    ASSERT_EQ(created.status, 201u) << created.body;
    const auto id = created.doc["id"].get<std::string>();
    EXPECT_EQ(created.doc["owner"], "alice");
    EXPECT_EQ(created.doc["jobType"], "pytorch");
    EXPECT_EQ(created.doc["placement"]["strategy"], "single");
    ASSERT_EQ(created.doc["placement"]["clusters"].size(), 1u);
    const auto cluster = created.doc["placement"]["clusters"][0]["name"].get<std::string>();
    EXPECT_TRUE(cluster == "cluster-1" || cluster == "cluster-2") << cluster;
    EXPECT_EQ(created.doc["placement"]["clusters"][0]["replicas"], 4);
    // Created in Karmada before the reply; Running comes from the status loop once the job's
    // ResourceBinding is seen (no status update of its own on the request path).
    EXPECT_EQ(created.doc["state"], "Submitting") << created.body;
    EXPECT_EQ(fed.karmada_objects(broker_test::pytorchjobs, id), 1u);
    EXPECT_EQ(fed.karmada_objects(broker_test::policies, id), 1u);

    // Once its pods run, follow the whole log: the stream ends when every pod has finished.
    ASSERT_TRUE(wait_until([&] {
        auto s = call(b->port(), "GET", "/api/v1/jobs/" + id + "/status", alice);
        return s.status == 200 && !s.doc["clusters"].empty() &&
               s.doc["clusters"][0].value("state", std::string()) != "Pending";
    }));
    auto logs = call(b->port(), "GET", "/api/v1/jobs/" + id + "/logs?follow=true", alice);
    EXPECT_EQ(logs.status, 200u) << logs.body;
    EXPECT_NE(logs.body.find(cluster + "/pytorch-training-master-0 "), std::string::npos)
        << logs.body;
    EXPECT_NE(logs.body.find("Training finished"), std::string::npos) << logs.body;

    ASSERT_TRUE(wait_until([&] { return broker_test::job_state(b->port(), alice, id) == "Succeeded"; },
                           std::chrono::seconds(60)));
    auto status = call(b->port(), "GET", "/api/v1/jobs/" + id + "/status", alice);
    ASSERT_EQ(status.status, 200u);
    EXPECT_EQ(status.doc["clusters"][0]["state"], "Succeeded") << status.body;

    auto events = call(b->port(), "GET", "/api/v1/jobs/" + id + "/events", alice);
    ASSERT_EQ(events.status, 200u);
    std::vector<std::string> reasons;
    for (const auto& e : events.doc["items"]) {
        reasons.push_back(e["reason"]);
        EXPECT_FALSE(e.value("time", std::string()).empty());
    }
    ASSERT_GE(reasons.size(), 3u) << events.body;
    EXPECT_EQ(reasons[0], "Placed");
    EXPECT_EQ(reasons[1], "Propagated") << events.body;
    EXPECT_EQ(reasons.back(), "Succeeded");

    // Tail of every pod, prefixed with cluster/pod; one pod alone without a prefix.
    auto tail = call(b->port(), "GET", "/api/v1/jobs/" + id + "/logs?tailLines=1", alice);
    ASSERT_EQ(tail.status, 200u);
    std::istringstream lines(tail.body);
    std::string line, first_pod;
    int count = 0;
    while (std::getline(lines, line)) {
        ++count;
        EXPECT_EQ(line.rfind(cluster + "/pytorch-training-", 0), 0u) << line;
        if (first_pod.empty()) {
            first_pod = line.substr(cluster.size() + 1, line.find(' ') - cluster.size() - 1);
        }
    }
    EXPECT_EQ(count, 4) << tail.body;  // master + 3 workers, one line each
    auto one = call(b->port(), "GET",
                    "/api/v1/jobs/" + id + "/logs?tailLines=2&pod=" + first_pod, alice);
    ASSERT_EQ(one.status, 200u);
    EXPECT_EQ(one.body.find(cluster + "/"), std::string::npos) << one.body;
    EXPECT_EQ(call(b->port(), "GET", "/api/v1/jobs/" + id + "/logs?pod=nope", alice).status, 404u);
}

TEST(broker_api, dry_run_returns_placement_and_manifests_and_creates_nothing)
{
    BROKER_FEDERATION_OR_SKIP(fed);
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    auto r = call(b->port(), "POST", "/api/v1/jobs?dryRun=true", alice, job_form("dry"));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.doc["dryRun"], true);
    EXPECT_EQ(r.doc["placement"]["clusters"].size(), 1u);
    std::set<std::string> kinds;
    for (const auto& m : r.doc["manifests"]) {
        kinds.insert(m["kind"].get<std::string>());
    }
    EXPECT_TRUE(kinds.count("PyTorchJob"));
    EXPECT_TRUE(kinds.count("PropagationPolicy"));
    auto list = call(b->port(), "GET", "/api/v1/jobs", alice);
    ASSERT_EQ(list.status, 200u);
    EXPECT_TRUE(list.doc["items"].empty()) << list.body;
    auto in_karmada = call(fed.fedsim_port(), "GET", broker_test::pytorchjobs);
    EXPECT_TRUE(in_karmada.doc["items"].empty()) << in_karmada.body;
}

struct bad_request_case {
    const char* name;
    std::string body;
    std::string content_type;
    unsigned status;
    std::vector<std::string> cause_fields;
};

TEST(broker_api, malformed_invalid_and_oversized_forms_are_refused_with_status_objects)
{
    BROKER_FEDERATION_OR_SKIP(fed);
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    json unknown = json::parse(job_form("unknown-field"));
    unknown["gpuCount"] = 2;
    json invalid = json::parse(job_form("Bad_Name"));
    invalid["replicas"] = -1;
    const std::vector<bad_request_case> cases = {
        {"malformed JSON", "{\"name\": ", "application/json", 400, {}},
        {"not an object", "[1, 2]", "application/json", 400, {}},
        {"unknown field gpuCount", unknown.dump(), "application/json", 422, {"gpuCount"}},
        {"invalid name and negative replicas", invalid.dump(), "application/json", 422,
         {"name", "replicas"}},
        {"2 MiB body over the 1 MiB limit", std::string(2 << 20, ' '), "application/json", 413,
         {}},
        {"text/plain body", job_form("plain"), "text/plain", 415, {}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = call(b->port(), "POST", "/api/v1/jobs", alice, c.body,
                      {{"Content-Type", c.content_type}});
        EXPECT_EQ(r.status, c.status) << r.body;
        if (r.status == 413 && r.doc.is_null()) {
            continue;  // the server may close before answering a body it will not read
        }
        EXPECT_EQ(r.doc["kind"], "Status") << r.body;
        EXPECT_EQ(r.doc["code"], c.status);
        std::set<std::string> fields;
        if (r.doc.contains("details") && r.doc["details"].contains("causes")) {
            for (const auto& cause : r.doc["details"]["causes"]) {
                fields.insert(cause.value("field", std::string()));
            }
        }
        for (const auto& f : c.cause_fields) {
            EXPECT_TRUE(fields.count(f)) << f << " not among the causes of " << r.body;
        }
    }
    EXPECT_TRUE(call(b->port(), "GET", "/api/v1/jobs", alice).doc["items"].empty());
}

TEST(broker_api, idempotency_key_replays_the_first_job_and_refuses_another_body)
{
    BROKER_FEDERATION_OR_SKIP(fed);
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    const auto bob = fed.token("bob");
    const std::map<std::string, std::string> key = {{"Idempotency-Key", "retry-1"}};
    auto first = call(b->port(), "POST", "/api/v1/jobs", alice, job_form("idem", 1), key);
    ASSERT_EQ(first.status, 201u) << first.body;
    auto again = call(b->port(), "POST", "/api/v1/jobs", alice, job_form("idem", 1), key);
    ASSERT_LT(again.status, 300u) << again.body;
    EXPECT_EQ(again.doc["id"], first.doc["id"]);
    auto other = call(b->port(), "POST", "/api/v1/jobs", alice, job_form("idem-2", 1), key);
    EXPECT_EQ(other.status, 409u) << other.body;
    // Keys are per user: bob's "retry-1" is his own.
    auto bobs = call(b->port(), "POST", "/api/v1/jobs", bob, job_form("idem-2", 1), key);
    EXPECT_EQ(bobs.status, 201u) << bobs.body;
    EXPECT_NE(bobs.doc["id"], first.doc["id"]);
    auto list = call(b->port(), "GET", "/api/v1/jobs", alice);
    EXPECT_EQ(list.doc["items"].size(), 1u) << list.body;
    EXPECT_EQ(fed.karmada_objects(broker_test::pytorchjobs, first.doc["id"]), 1u);
}

TEST(broker_api, every_route_needs_a_valid_token_and_users_see_only_their_jobs)
{
    BROKER_FEDERATION_OR_SKIP(fed);
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    const auto bob = fed.token("bob");
    const auto admin = fed.token("root", {"admin"});
    auto created = call(b->port(), "POST", "/api/v1/jobs", alice, job_form("mine", 1));
    ASSERT_EQ(created.status, 201u) << created.body;
    const auto id = created.doc["id"].get<std::string>();

    // A token signed by another key, and one that expired an hour ago.
    auto gen = test_support::run_command({"openssl", "ecparam", "-name", "prime256v1", "-genkey",
                                          "-noout"},
                                         std::chrono::seconds(30));
    broker::auth::sign_request forge;
    forge.user = "alice";
    forge.issued_at = std::time(nullptr);
    const auto forged = broker::auth::sign_token(gen.out, forge).token.value_or("x.y.z");
    const auto expired = fed.token("alice", {}, std::time(nullptr) - 7200, 60);

    const std::vector<std::pair<std::string, std::string>> routes = {
        {"GET", "/api/v1/jobs"},
        {"POST", "/api/v1/jobs"},
        {"GET", "/api/v1/jobs/" + id},
        {"GET", "/api/v1/jobs/" + id + "/status"},
        {"GET", "/api/v1/jobs/" + id + "/events"},
        {"GET", "/api/v1/jobs/" + id + "/logs"},
        {"DELETE", "/api/v1/jobs/" + id},
        {"GET", "/api/v1/proxy/clusters"},
    };
    const std::vector<std::pair<std::string, std::map<std::string, std::string>>> credentials = {
        {"no token", {}},
        {"bad signature", {{"Authorization", "Bearer " + forged}}},
        {"expired", {{"Authorization", "Bearer " + expired}}},
        {"garbage", {{"Authorization", "Bearer not.a.jwt"}}},
        {"dev header without the flag", {{"X-Debug-Username", "alice"}}},
    };
    for (const auto& [method, path] : routes) {
        for (const auto& [what, headers] : credentials) {
            SCOPED_TRACE(method + " " + path + " with " + what);
            auto r = call(b->port(), method, path, {}, method == "POST" ? job_form("x") : "",
                          headers);
            EXPECT_EQ(r.status, 401u) << r.body;
            EXPECT_EQ(r.doc.value("reason", std::string()), "Unauthorized");
        }
    }
    // Another user's job does not exist for them; an admin sees every job.
    for (const auto& suffix : {"", "/status", "/events", "/logs"}) {
        EXPECT_EQ(call(b->port(), "GET", "/api/v1/jobs/" + id + suffix, bob).status, 404u)
            << suffix;
    }
    EXPECT_EQ(call(b->port(), "DELETE", "/api/v1/jobs/" + id, bob).status, 404u);
    EXPECT_TRUE(call(b->port(), "GET", "/api/v1/jobs", bob).doc["items"].empty());
    EXPECT_EQ(call(b->port(), "GET", "/api/v1/jobs/" + id, admin).status, 200u);
    EXPECT_EQ(call(b->port(), "GET", "/api/v1/jobs", admin).doc["items"].size(), 1u);
    EXPECT_NE(broker_test::job_state(b->port(), alice, id), "Cancelled");

    // With --insecure-dev-auth the development headers are trusted.
    auto* dev = fed.start_broker({"--insecure-dev-auth"});
    ASSERT_TRUE(dev);
    EXPECT_EQ(call(dev->port(), "GET", "/api/v1/jobs/" + id, {}, {},
                   {{"X-Debug-Username", "alice"}})
                  .status,
              200u);
    EXPECT_EQ(call(dev->port(), "GET", "/api/v1/jobs/" + id, {}, {}, {{"X-Debug-Username", "bob"}})
                  .status,
              404u);
    EXPECT_EQ(call(dev->port(), "GET", "/api/v1/jobs", {}, {},
                   {{"X-Debug-Username", "ops"}, {"X-Debug-Roles", "admin"}})
                  .doc["items"]
                  .size(),
              1u);
    EXPECT_EQ(call(dev->port(), "GET", "/api/v1/jobs").status, 401u);
}

TEST(broker_api, list_filters_and_pages_newest_first)
{
    BROKER_FEDERATION_OR_SKIP(fed);
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        auto r = call(b->port(), "POST", "/api/v1/jobs", alice,
                      job_form("page-" + std::to_string(i), 1, 1, i % 2 ? "job" : "pytorch"));
        ASSERT_EQ(r.status, 201u) << r.body;
        ids.push_back(r.doc["id"]);
    }
    std::vector<std::string> seen;
    std::string cont;
    for (int page = 0; page < 10; ++page) {
        auto r = call(b->port(), "GET", "/api/v1/jobs?limit=2" + (cont.empty() ? "" : "&continue=" + cont),
                      alice);
        ASSERT_EQ(r.status, 200u) << r.body;
        for (const auto& j : r.doc["items"]) {
            seen.push_back(j["id"]);
        }
        cont = r.doc["metadata"].value("continue", std::string());
        if (cont.empty()) {
            break;
        }
    }
    EXPECT_EQ(seen, std::vector<std::string>(ids.rbegin(), ids.rend()));
    EXPECT_EQ(call(b->port(), "GET", "/api/v1/jobs?jobType=job", alice).doc["items"].size(), 2u);
    EXPECT_EQ(call(b->port(), "GET", "/api/v1/jobs?status=Queued", alice).doc["items"].size(), 0u);
    EXPECT_EQ(call(b->port(), "GET", "/api/v1/jobs?status=Nope", alice).status, 400u);
    EXPECT_EQ(call(b->port(), "GET", "/api/v1/jobs?limit=0", alice).status, 400u);
    EXPECT_EQ(call(b->port(), "GET", "/api/v1/jobs?continue=garbage", alice).status / 100, 4u);
}

TEST(broker_api, delete_cancels_removes_the_karmada_objects_and_is_idempotent)
{
    BROKER_FEDERATION_OR_SKIP(fed, {"--demo"});
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    const auto alice = fed.token("alice");
    auto created = call(b->port(), "POST", "/api/v1/jobs", alice, job_form("to-delete"));
    ASSERT_EQ(created.status, 201u) << created.body;
    const auto id = created.doc["id"].get<std::string>();
    ASSERT_EQ(fed.karmada_objects(broker_test::pytorchjobs, id), 1u);
    for (int i = 0; i < 2; ++i) {
        auto r = call(b->port(), "DELETE", "/api/v1/jobs/" + id, alice);
        ASSERT_EQ(r.status, 200u) << r.body;
        EXPECT_EQ(r.doc["state"], "Cancelled");
    }
    EXPECT_TRUE(wait_until([&] {
        return fed.karmada_objects(broker_test::pytorchjobs, id) == 0 &&
               fed.karmada_objects(broker_test::policies, id) == 0;
    }));
    EXPECT_EQ(broker_test::job_state(b->port(), alice, id), "Cancelled");

    // The name again: the old binding going away must not move the new job, which becomes
    // Running once its own binding is seen, with the same events as any job.
    auto again = call(b->port(), "POST", "/api/v1/jobs", alice, job_form("to-delete"));
    ASSERT_EQ(again.status, 201u) << again.body;
    const auto again_id = again.doc["id"].get<std::string>();
    EXPECT_NE(again_id, id);
    EXPECT_EQ(again.doc["state"], "Submitting") << again.body;
    EXPECT_EQ(fed.karmada_objects(broker_test::pytorchjobs, again_id), 1u);
    ASSERT_TRUE(wait_until(
        [&] { return broker_test::job_state(b->port(), alice, again_id) == "Running"; }));
    auto events = call(b->port(), "GET", "/api/v1/jobs/" + again_id + "/events", alice);
    ASSERT_EQ(events.status, 200u);
    ASSERT_GE(events.doc["items"].size(), 2u) << events.body;
    EXPECT_EQ(events.doc["items"][0]["reason"], "Placed");
    EXPECT_EQ(events.doc["items"][1]["reason"], "Propagated");
    EXPECT_EQ(events.doc["items"][1]["from"], "Submitting") << events.body;
    EXPECT_EQ(broker_test::job_state(b->port(), alice, id), "Cancelled");

    EXPECT_EQ(call(b->port(), "DELETE", "/api/v1/jobs/00000000-0000-0000-0000-000000000000", alice)
                  .status,
              404u);
    EXPECT_EQ(call(b->port(), "DELETE", "/api/v1/jobs/not-a-uuid", alice).status, 404u);
}

TEST(broker_api, health_readiness_metrics_openapi_and_clusters)
{
    BROKER_FEDERATION_OR_SKIP(fed);
    auto* b = fed.start_broker();
    ASSERT_TRUE(b);
    EXPECT_EQ(call(b->port(), "GET", "/healthz").status, 200u);
    EXPECT_TRUE(wait_until([&] { return call(b->port(), "GET", "/readyz").status == 200; }));
    auto metrics = call(b->port(), "GET", "/metrics");
    EXPECT_EQ(metrics.status, 200u);
    EXPECT_NE(metrics.body.find("broker_http_requests_total"), std::string::npos);
    EXPECT_NE(metrics.body.find("broker_leader"), std::string::npos);
    for (const char* name : {"broker_store_commit_groups_total", "broker_store_grouped_writes_total",
                             "broker_store_reservation_sums_total",
                             "broker_status_binding_lists_total",
                             "broker_status_binding_events_total"}) {
        EXPECT_NE(metrics.body.find(std::string("\n") + name + " "), std::string::npos) << name;
    }
    auto openapi = call(b->port(), "GET", "/openapi.json");
    ASSERT_EQ(openapi.status, 200u);
    EXPECT_EQ(openapi.doc["openapi"].get<std::string>().substr(0, 2), "3.");
    for (const auto& p : {"/api/v1/jobs", "/api/v1/jobs/{id}", "/api/v1/jobs/{id}/logs"}) {
        EXPECT_TRUE(openapi.doc["paths"].contains(p)) << p;
    }
    auto clusters = call(b->port(), "GET", "/api/v1/proxy/clusters", fed.token("alice"));
    ASSERT_EQ(clusters.status, 200u) << clusters.body;
    std::set<std::string> names;
    for (const auto& c : clusters.doc["items"]) {
        names.insert(c["name"].get<std::string>());
        EXPECT_EQ(c["ready"], true);
    }
    EXPECT_EQ(names, (std::set<std::string>{"cluster-1", "cluster-2", "cluster-3"}));
}

}  // namespace
