// fedsim's HTTP surface end to end: the real executable on port 0, plain HTTP from the test.
#include "tests/integration/fedsim_test_support.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <thread>

namespace {

using fedsim_test::http;
using nlohmann::json;

const std::string job_json = R"({
  "apiVersion": "batch/v1", "kind": "Job",
  "metadata": {"name": "api-test-job", "namespace": "default"},
  "spec": {"parallelism": 1, "completions": 1, "template": {"spec": {
    "restartPolicy": "Never",
    "containers": [{"name": "main", "image": "busybox", "command": ["true"]}]}}}})";

TEST(fedsim_api, version_health_and_discovery)
{
    FEDSIM_START_OR_SKIP(fs, {"--demo"});
    auto v = http(fs->port(), "GET", "/version");
    ASSERT_EQ(v.status, 200u) << v.body;
    EXPECT_EQ(json::parse(v.body)["minor"], "32");
    EXPECT_EQ(http(fs->port(), "GET", "/healthz").body, "ok");

    auto api = http(fs->port(), "GET", "/api");
    ASSERT_EQ(api.status, 200u);
    EXPECT_EQ(json::parse(api.body)["kind"], "APIVersions");
    auto apis = json::parse(http(fs->port(), "GET", "/apis").body);
    std::vector<std::string> groups;
    for (const auto& g : apis["groups"]) {
        groups.push_back(g["name"]);
    }
    for (const char* g : {"batch", "policy.karmada.io", "cluster.karmada.io", "work.karmada.io"}) {
        EXPECT_NE(std::find(groups.begin(), groups.end(), g), groups.end()) << g;
    }
    auto agg = http(fs->port(), "GET", "/apis", {},
                    {{"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;"
                                "as=APIGroupDiscoveryList,application/json"}});
    ASSERT_EQ(agg.status, 200u);
    EXPECT_NE(agg.head.find("as=APIGroupDiscoveryList"), std::string::npos);
    EXPECT_EQ(json::parse(agg.body)["kind"], "APIGroupDiscoveryList");
    auto batch = json::parse(http(fs->port(), "GET", "/apis/batch/v1").body);
    EXPECT_EQ(batch["kind"], "APIResourceList");
    auto oa = json::parse(http(fs->port(), "GET", "/openapi/v3").body);
    ASSERT_TRUE(oa["paths"].contains("apis/batch/v1"));
    auto doc_url = oa["paths"]["apis/batch/v1"]["serverRelativeURL"].get<std::string>();
    auto doc = http(fs->port(), "GET", doc_url);
    ASSERT_EQ(doc.status, 200u);
    EXPECT_TRUE(json::parse(doc.body)["paths"].contains(
        "/apis/batch/v1/namespaces/{namespace}/jobs/{name}"));
    EXPECT_EQ(http(fs->port(), "GET", "/apis/nope.example.com/v1").status, 404u);
}

TEST(fedsim_api, demo_has_three_clusters_and_unknown_cluster_is_404)
{
    FEDSIM_START_OR_SKIP(fs, {"--demo"});
    auto list = http(fs->port(), "GET", "/apis/cluster.karmada.io/v1alpha1/clusters");
    ASSERT_EQ(list.status, 200u) << list.body;
    std::vector<std::string> names;
    const auto parsed = json::parse(list.body);
    for (const auto& c : parsed["items"]) {
        names.push_back(c["metadata"]["name"]);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"cluster-1", "cluster-2", "cluster-3"}));

    auto table = http(fs->port(), "GET", "/apis/cluster.karmada.io/v1alpha1/clusters", {},
                      {{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}});
    auto t = json::parse(table.body);
    ASSERT_EQ(t["kind"], "Table");
    std::vector<std::string> cols;
    for (const auto& c : t["columnDefinitions"]) {
        if (c["priority"] == 0) {
            cols.push_back(c["name"]);
        }
    }
    EXPECT_EQ(cols, (std::vector<std::string>{"Name", "Version", "Mode", "Ready", "Age"}));

    auto missing = http(fs->port(), "GET",
                        "/apis/cluster.karmada.io/v1alpha1/clusters/nope/proxy/api/v1/pods");
    EXPECT_EQ(missing.status, 404u);
    EXPECT_EQ(json::parse(missing.body)["message"],
              "clusters.cluster.karmada.io \"nope\" not found");

    auto nodes = http(fs->port(), "GET",
                      "/apis/cluster.karmada.io/v1alpha1/clusters/cluster-1/proxy/api/v1/nodes");
    ASSERT_EQ(nodes.status, 200u) << nodes.body;
    EXPECT_FALSE(json::parse(nodes.body)["items"].empty());
}

TEST(fedsim_api, create_get_conflict_delete_and_status_errors)
{
    FEDSIM_START_OR_SKIP(fs, {"--demo"});
    const std::string jobs = "/apis/batch/v1/namespaces/default/jobs";
    auto created = http(fs->port(), "POST", jobs, job_json);
    ASSERT_EQ(created.status, 201u) << created.body;
    EXPECT_FALSE(json::parse(created.body)["metadata"]["uid"].get<std::string>().empty());

    auto again = http(fs->port(), "POST", jobs, job_json);
    EXPECT_EQ(again.status, 409u);
    auto st = json::parse(again.body);
    EXPECT_EQ(st["kind"], "Status");
    EXPECT_EQ(st["reason"], "AlreadyExists");

    auto got = http(fs->port(), "GET", jobs + "/api-test-job");
    ASSERT_EQ(got.status, 200u);
    EXPECT_EQ(json::parse(got.body)["kind"], "Job");

    auto patched = http(fs->port(), "PATCH", jobs + "/api-test-job",
                        R"({"metadata":{"labels":{"team":"ml"}}})",
                        {{"Content-Type", "application/merge-patch+json"}});
    ASSERT_EQ(patched.status, 200u) << patched.body;
    EXPECT_EQ(json::parse(patched.body)["metadata"]["labels"]["team"], "ml");

    auto bad = http(fs->port(), "POST", jobs, "{not json");
    EXPECT_EQ(bad.status, 400u);
    auto bad_patch = http(fs->port(), "PATCH", jobs + "/api-test-job", "{}",
                          {{"Content-Type", "text/csv"}});
    EXPECT_EQ(bad_patch.status, 415u);

    auto removed = http(fs->port(), "DELETE", jobs + "/api-test-job");
    EXPECT_EQ(removed.status, 200u) << removed.body;
    // Deletion may finish asynchronously (finalizers); it ends with a 404.
    unsigned code = 0;
    for (int i = 0; i < 100 && code != 404; ++i) {
        code = http(fs->port(), "GET", jobs + "/api-test-job").status;
        if (code != 404) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    EXPECT_EQ(code, 404u);
}

TEST(fedsim_api, watch_streams_events_and_ends_at_timeout)
{
    FEDSIM_START_OR_SKIP(fs, {"--demo"});
    const std::string jobs = "/apis/batch/v1/namespaces/default/jobs";
    int fd = fedsim_test::connect_loopback(fs->port());
    ASSERT_GE(fd, 0);
    fedsim_test::send_all(fd, "GET " + jobs +
                                  "?watch=true&timeoutSeconds=3&allowWatchBookmarks=true "
                                  "HTTP/1.1\r\nHost: x\r\n\r\n");
    auto head = fedsim_test::read_some(fd, "\r\n\r\n");
    ASSERT_NE(head.find("200 OK"), std::string::npos) << head;
    ASSERT_EQ(http(fs->port(), "POST", jobs, job_json).status, 201u);
    // Reads until the server ends the body (timeoutSeconds), bounded by our own deadline.
    auto rest = fedsim_test::read_some(fd, "\r\n0\r\n\r\n");
    ::close(fd);
    auto raw = head.substr(head.find("\r\n\r\n") + 4) + rest;
    auto body = fedsim_test::dechunk(raw);
    EXPECT_NE(body.find("\"type\":\"ADDED\""), std::string::npos) << body;
    EXPECT_NE(body.find("api-test-job"), std::string::npos);
    EXPECT_NE(raw.find("\r\n0\r\n\r\n"), std::string::npos) << "the watch did not end";

    auto gone = http(fs->port(), "GET", jobs + "?watch=true&resourceVersion=1&timeoutSeconds=1");
    ASSERT_EQ(gone.status, 200u);
    // Either events since RV 1 or a 410 ERROR event when that RV left the history.
    EXPECT_TRUE(gone.body.find("\"type\"") != std::string::npos) << gone.body;
}

TEST(fedsim_api, faults_make_the_proxy_fail_and_stats_count)
{
    FEDSIM_START_OR_SKIP(fs, {"--demo"});
    const std::string pods = "/apis/cluster.karmada.io/v1alpha1/clusters/cluster-2/proxy/api/v1/pods";
    ASSERT_EQ(http(fs->port(), "GET", pods).status, 200u);

    auto set = http(fs->port(), "POST", "/fedsim/v1/clusters/cluster-2/fault",
                    R"({"unavailable": true})");
    ASSERT_EQ(set.status, 200u) << set.body;
    auto down = http(fs->port(), "GET", pods);
    EXPECT_GE(down.status, 500u);
    EXPECT_EQ(json::parse(down.body)["kind"], "Status");
    ASSERT_EQ(http(fs->port(), "DELETE", "/fedsim/v1/clusters/cluster-2/fault").status, 200u);
    EXPECT_EQ(http(fs->port(), "GET", pods).status, 200u);

    ASSERT_EQ(http(fs->port(), "POST", "/fedsim/v1/controlplane/fault",
                   R"({"failNextRequests": 2})")
                  .status,
              200u);
    EXPECT_EQ(http(fs->port(), "GET", "/api/v1/namespaces").status, 500u);
    EXPECT_EQ(http(fs->port(), "GET", "/api/v1/namespaces").status, 500u);
    EXPECT_EQ(http(fs->port(), "GET", "/api/v1/namespaces").status, 200u);

    auto bad = http(fs->port(), "POST", "/fedsim/v1/clusters/cluster-1/fault", R"({"bogus": 1})");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_EQ(http(fs->port(), "POST", "/fedsim/v1/clusters/nope/fault", "{}").status, 404u);

    auto stats = http(fs->port(), "GET", "/fedsim/v1/stats");
    ASSERT_EQ(stats.status, 200u);
    EXPECT_NE(stats.body.find("requests.proxy.cluster-2"), std::string::npos) << stats.body;
}

TEST(fedsim_api, token_is_required_when_configured)
{
    FEDSIM_START_OR_SKIP(fs, {"--demo", "--token", "s3cret"});
    auto denied = http(fs->port(), "GET", "/api/v1/namespaces");
    EXPECT_EQ(denied.status, 401u);
    EXPECT_EQ(json::parse(denied.body)["reason"], "Unauthorized");
    EXPECT_EQ(http(fs->port(), "GET", "/api/v1/namespaces", {}, {{"Authorization", "Bearer nope"}})
                  .status,
              401u);
    EXPECT_EQ(http(fs->port(), "GET", "/api/v1/namespaces", {},
                   {{"Authorization", "Bearer s3cret"}})
                  .status,
              200u);
    EXPECT_EQ(http(fs->port(), "GET", "/healthz").status, 200u);
}

TEST(fedsim_api, oversized_body_is_rejected_with_413)
{
    FEDSIM_START_OR_SKIP(fs, {"--demo"});
    std::string huge(4 * 1024 * 1024, ' ');
    auto r = http(fs->port(), "POST", "/apis/batch/v1/namespaces/default/jobs", huge);
    EXPECT_EQ(r.status, 413u);
}

TEST(fedsim_api, sigterm_stops_cleanly)
{
    FEDSIM_START_OR_SKIP(fs, {"--demo"});
    // An open watch must not keep the process alive.
    int fd = fedsim_test::connect_loopback(fs->port());
    fedsim_test::send_all(fd, "GET /api/v1/namespaces?watch=true HTTP/1.1\r\nHost: x\r\n\r\n");
    fedsim_test::read_some(fd, "\r\n\r\n");
    EXPECT_EQ(fs->stop(), 0);
    ::close(fd);
}

struct bad_flags_case {
    const char* name;
    std::vector<std::string> args;
};

class fedsim_bad_flags : public ::testing::TestWithParam<bad_flags_case> {};

TEST_P(fedsim_bad_flags, exit_2_with_a_message)
{
    auto exe = fedsim_test::fedsim_exe();
    if (exe.empty() || !std::filesystem::exists(exe)) {
        GTEST_SKIP() << "fedsim executable not built";
    }
    std::vector<std::string> argv = {exe};
    argv.insert(argv.end(), GetParam().args.begin(), GetParam().args.end());
    auto r = test_support::run_command(argv, std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("fedsim: "), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    cli, fedsim_bad_flags,
    ::testing::Values(bad_flags_case{"unknown_flag", {"--listen", "127.0.0.1:0", "--demo", "--x"}},
                      bad_flags_case{"no_listen", {"--demo"}},
                      bad_flags_case{"demo_and_config",
                                     {"--listen", "127.0.0.1:0", "--demo", "--config", "f"}},
                      bad_flags_case{"bad_port", {"--listen", "127.0.0.1:99999", "--demo"}},
                      bad_flags_case{"cert_without_key",
                                     {"--listen", "127.0.0.1:0", "--demo", "--tls-cert", "c"}},
                      bad_flags_case{"bad_time_scale",
                                     {"--listen", "127.0.0.1:0", "--demo", "--time-scale", "-1"}},
                      bad_flags_case{"missing_config_file",
                                     {"--listen", "127.0.0.1:0", "--config", "/nonexistent.yaml"}}),
    [](const auto& tc) { return std::string(tc.param.name); });

} // namespace
