#include "proxy/member_registry.hpp"

#include "tests/support/fake_apiserver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;
using test_support::fake_apiserver;
using test_support::fake_reply;
using test_support::recorded_request;

/// A Cluster as Karmada serves it (shape of karmada/SPEC.md §b).
json cluster(const std::string& name, const std::string& ready, const std::string& rv,
             json spec_extra = json::object())
{
    json spec{{"syncMode", "Push"}, {"apiEndpoint", "https://10.0.0.10:6443"}};
    spec.update(spec_extra);
    return {{"apiVersion", "cluster.karmada.io/v1alpha1"},
            {"kind", "Cluster"},
            {"metadata", {{"name", name}, {"resourceVersion", rv}, {"labels", {{"gpu", "A100"}}}}},
            {"spec", spec},
            {"status",
             {{"kubernetesVersion", "v1.33.2"},
              {"conditions",
               {{{"type", "CompleteAPIEnablements"}, {"status", "True"}},
                {{"type", "Ready"}, {"status", ready}, {"reason", "ClusterReady"},
                 {"message", "cluster is healthy and ready to accept workloads"}}}},
              {"resourceSummary", {{"allocatable", {{"nvidia.com/gpu", "8"}}}}}}}};
}

TEST(parse_member_cluster, full_cluster_object)
{
    auto object = std::make_shared<const json>(cluster(
        "gpu-a", "True", "7",
        {{"provider", "onprem"},
         {"region", "eu-west"},
         {"zones", {"eu-west-1a", "eu-west-1b"}},
         {"taints", {{{"key", "dedicated"}, {"value", "training"}, {"effect", "NoSchedule"}}}}}));
    auto m = proxy::parse_member_cluster(object);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->name, "gpu-a");
    EXPECT_TRUE(m->ready);
    EXPECT_EQ(m->ready_status, "True");
    EXPECT_EQ(m->ready_reason, "ClusterReady");
    EXPECT_EQ(m->kubernetes_version, "v1.33.2");
    EXPECT_EQ(m->labels.at("gpu"), "A100");
    EXPECT_EQ(m->provider, "onprem");
    EXPECT_EQ(m->region, "eu-west");
    EXPECT_EQ(m->zones, (std::vector<std::string>{"eu-west-1a", "eu-west-1b"}));
    ASSERT_EQ(m->taints.size(), 1u);
    EXPECT_EQ(m->taints[0], (proxy::cluster_taint{"dedicated", "training", "NoSchedule"}));
    EXPECT_EQ(m->sync_mode, "Push");
    EXPECT_EQ(m->resource_version, "7");
    EXPECT_EQ(m->object.get(), object.get()) << "the raw object is shared, not copied";
    EXPECT_EQ((*m->object)["status"]["resourceSummary"]["allocatable"]["nvidia.com/gpu"], "8");
}

struct parse_case {
    std::string name;
    json object;
    bool ok;
    std::string ready_status;       // when ok
    std::string error_field;        // when not ok

    friend void PrintTo(const parse_case& c, std::ostream* os) { *os << c.name; }
};

class parse_member_cluster_table : public testing::TestWithParam<parse_case> {};

TEST_P(parse_member_cluster_table, outcome)
{
    const auto& c = GetParam();
    auto m = proxy::parse_member_cluster(std::make_shared<const json>(c.object));
    ASSERT_EQ(m.has_value(), c.ok);
    if (c.ok) {
        EXPECT_EQ(m->ready_status, c.ready_status);
        EXPECT_EQ(m->ready, c.ready_status == "True");
    } else if (!c.error_field.empty()) {
        ASSERT_FALSE(m.error().causes.empty());
        EXPECT_EQ(m.error().causes[0].field, c.error_field);
    }
}

INSTANTIATE_TEST_SUITE_P(
    cases, parse_member_cluster_table,
    testing::Values(
        parse_case{"ready_false", cluster("c", "False", "1"), true, "False", ""},
        parse_case{"ready_unknown", cluster("c", "Unknown", "1"), true, "Unknown", ""},
        parse_case{"no_status_is_unknown_not_ready",
                   {{"metadata", {{"name", "c"}}}}, true, "Unknown", ""},
        parse_case{"legacy_single_zone", cluster("c", "True", "1", {{"zone", "z1"}}), true, "True",
                   ""},
        parse_case{"missing_name", {{"metadata", json::object()}}, false, "", "metadata.name"},
        parse_case{"taints_not_an_array", cluster("c", "True", "1", {{"taints", "x"}}), false, "",
                   "spec.taints"},
        parse_case{"label_not_a_string",
                   {{"metadata", {{"name", "c"}, {"labels", {{"gpu", 8}}}}}}, false, "",
                   "metadata.labels.gpu"},
        parse_case{"not_an_object", json::array(), false, "", ""}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(member_registry, fixed_registry_is_sorted_skips_invalid_objects_and_finds_by_name)
{
    proxy::member_registry registry(std::vector<json>{
        cluster("cluster-2", "True", "1"), cluster("cluster-1", "False", "1"),
        json{{"metadata", {{"labels", 3}}}}});
    EXPECT_TRUE(registry.synced());
    const auto members = registry.snapshot();
    ASSERT_EQ(members->size(), 2u);
    EXPECT_EQ((*members)[0].name, "cluster-1");
    EXPECT_EQ((*members)[1].name, "cluster-2");
    EXPECT_EQ(registry.stats().invalid_clusters, 1u);
    ASSERT_TRUE(registry.find("cluster-2").has_value());
    EXPECT_TRUE(registry.find("cluster-2")->ready);
    EXPECT_FALSE(registry.find("cluster-9").has_value());
}

TEST(member_registry, snapshot_follows_watch_events_and_old_snapshots_stay_unchanged)
{
    std::atomic<int> watches{0};
    fake_apiserver server([&](const recorded_request& req) {
        if (req.path() != proxy::clusters_path) {
            return fake_reply::status_error(404, "NotFound", "unexpected path " + req.path());
        }
        if (req.query("watch") != "1") {
            return fake_reply::json(
                200, {{"kind", "ClusterList"},
                      {"metadata", {{"resourceVersion", "10"}}},
                      {"items",
                       {cluster("cluster-1", "True", "3"), cluster("cluster-2", "False", "4")}}});
        }
        if (++watches == 1) {
            return fake_reply::watch(
                {{"MODIFIED",
                  cluster("cluster-2", "True", "11",
                          {{"taints", {{{"key", "gpu"}, {"effect", "NoSchedule"}}}}})},
                 {"ADDED", cluster("cluster-3", "True", "12")},
                 {"BOOKMARK", {{"metadata", {{"resourceVersion", "13"}}}}},
                 {"DELETED", cluster("cluster-1", "True", "14")}},
                /*hold_open=*/true);
        }
        return fake_reply::watch({}, /*hold_open=*/true);
    });

    net::io_context ioc;
    config::api_endpoint endpoint;
    endpoint.server = server.url();
    auto client = proxy::kube_client::create(ioc.get_executor(), endpoint);
    ASSERT_TRUE(client.has_value());

    proxy::member_registry registry(*client);
    std::shared_ptr<const proxy::member_list> first;
    std::vector<std::size_t> sizes;
    net::steady_timer safety(ioc);
    bool deadline_hit = false;
    registry.subscribe([&](const std::shared_ptr<const proxy::member_list>& members) {
        if (!first) {
            first = members;
        }
        sizes.push_back(members->size());
        if (members->size() == 2 && (*members)[0].name == "cluster-2") {
            registry.stop();
            safety.cancel();
        }
    });
    safety.expires_after(10s);
    safety.async_wait([&](boost::system::error_code ec) {
        if (!ec) {
            deadline_hit = true;
            registry.stop();
        }
    });
    EXPECT_FALSE(registry.synced());
    EXPECT_TRUE(registry.snapshot()->empty());
    registry.start();
    ioc.run();

    ASSERT_FALSE(deadline_hit) << "the registry did not converge";
    EXPECT_TRUE(registry.synced());
    const auto now = registry.snapshot();
    ASSERT_EQ(now->size(), 2u);
    EXPECT_EQ((*now)[0].name, "cluster-2");
    EXPECT_TRUE((*now)[0].ready);
    ASSERT_EQ((*now)[0].taints.size(), 1u);
    EXPECT_EQ((*now)[0].taints[0].key, "gpu");
    EXPECT_EQ((*now)[1].name, "cluster-3");

    ASSERT_TRUE(first);
    ASSERT_EQ(first->size(), 2u) << "the snapshot taken after the list is immutable";
    EXPECT_EQ((*first)[0].name, "cluster-1");
    EXPECT_FALSE((*first)[1].ready);
    // list, MODIFIED, ADDED, DELETED (the bookmark changes nothing).
    EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 3, 2}));
    EXPECT_EQ(registry.stats().updates, 4u);
}

}  // namespace
