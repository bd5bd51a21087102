// GET /api/v1/proxy/resources and /api/v1/proxy/clusters/{c}/resources against the real fedsim:
// lists across members, duplicates, paging, selectors, the allow-list, namespace access, and
// members that are slow, NotReady or down.
#include "tests/integration/proxy_support.hpp"

namespace {

using namespace proxy_test_support;
using nlohmann::json;

const std::string annotation = "resource.karmada.io/cached-from-cluster";

std::vector<std::string> item_keys(const json& list)
{
    std::vector<std::string> out;
    for (const auto& i : list["items"]) {
        out.push_back(i["metadata"]["annotations"][annotation].get<std::string>() + "/" +
                      i["metadata"].value("namespace", "") + "/" +
                      i["metadata"]["name"].get<std::string>());
    }
    return out;
}

std::map<std::string, std::string> failure_reasons(const json& list)
{
    std::map<std::string, std::string> out;
    for (const auto& f : list["failures"]) {
        out[f["cluster"]] = f["reason"];
    }
    return out;
}

class proxy_resources : public ::testing::Test {
protected:
    void SetUp() override
    {
        fedsim_ = fedsim_test::start_fedsim({"--demo", "--time-scale", "20"});
        if (!fedsim_) {
            GTEST_SKIP() << "fedsim executable not built: " << fedsim_test::fedsim_exe();
        }
        create_job(fedsim_->port(), "dup-job", "a", json::array({"cluster-1", "cluster-2"}));
        create_job(fedsim_->port(), "solo-job", "b", json::array({"cluster-3"}));
        broker::routes::proxy_route_options o;
        o.reader.member_timeout = 5s;
        o.user_namespaces["alice"] = {"team-a"};
        broker_ = std::make_unique<broker_under_test>(fedsim_->url(), false, o);
        ASSERT_TRUE(broker_->wait_synced(3));
        // The workloads reach the members asynchronously: wait until all three Jobs are there.
        ASSERT_TRUE(eventually([&] {
            auto r = broker_->get("/api/v1/proxy/resources?kind=jobs");
            return r.status == 200 && json::parse(r.body)["items"].size() == 3;
        }));
    }

    std::unique_ptr<test_support::child_process> fedsim_;
    std::unique_ptr<broker_under_test> broker_;
};

TEST_F(proxy_resources, jobs_across_members_are_sorted_marked_and_duplicates_kept_apart)
{
    auto r = broker_->get("/api/v1/proxy/resources?kind=jobs&namespace=default");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto list = json::parse(r.body);
    EXPECT_EQ(list["kind"], "JobList");
    EXPECT_EQ(item_keys(list),
              (std::vector<std::string>{"cluster-1/default/dup-job", "cluster-2/default/dup-job",
                                        "cluster-3/default/solo-job"}));
    EXPECT_TRUE(list["failures"].empty());
}

TEST_F(proxy_resources, one_cluster_route_reads_only_that_member)
{
    auto r = broker_->get("/api/v1/proxy/clusters/cluster-2/resources?kind=jobs");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(item_keys(json::parse(r.body)),
              (std::vector<std::string>{"cluster-2/default/dup-job"}));
    EXPECT_EQ(broker_->get("/api/v1/proxy/clusters/nope/resources?kind=jobs").status, 404u);
}

TEST_F(proxy_resources, label_selector_is_applied_by_every_member)
{
    auto a = json::parse(broker_->get("/api/v1/proxy/resources?kind=jobs&labelSelector=team%3Da").body);
    EXPECT_EQ(item_keys(a), (std::vector<std::string>{"cluster-1/default/dup-job",
                                                      "cluster-2/default/dup-job"}));
    auto b = json::parse(broker_->get("/api/v1/proxy/resources?kind=jobs&labelSelector=team%3Db").body);
    EXPECT_EQ(item_keys(b), (std::vector<std::string>{"cluster-3/default/solo-job"}));
}

TEST_F(proxy_resources, paging_with_limit_2_visits_every_node_once_in_order)
{
    auto all = json::parse(broker_->get("/api/v1/proxy/resources?kind=nodes").body);
    const auto expected = item_keys(all);
    ASSERT_EQ(expected.size(), 7u);  // demo: 2 + 1 + 4 nodes
    std::vector<std::string> seen;
    std::string token;
    for (int page = 0; page < 10; ++page) {
        auto r = broker_->get("/api/v1/proxy/resources?kind=nodes&limit=2" +
                              (token.empty() ? "" : "&continue=" + token));
        ASSERT_EQ(r.status, 200u) << r.body;
        auto list = json::parse(r.body);
        EXPECT_LE(list["items"].size(), 2u);
        for (const auto& k : item_keys(list)) {
            seen.push_back(k);
        }
        token = list["metadata"].value("continue", "");
        if (token.empty()) {
            break;
        }
    }
    EXPECT_EQ(seen, expected);
    auto bad = broker_->get("/api/v1/proxy/resources?kind=pods&continue=" +
                            std::string("garbage!"));
    EXPECT_EQ(bad.status, 400u);
}

TEST_F(proxy_resources, kinds_outside_the_allow_list_are_forbidden)
{
    for (const char* kind : {"secrets", "configmaps", "Secret", "pods%2Flog"}) {
        auto r = broker_->get(std::string("/api/v1/proxy/resources?kind=") + kind);
        EXPECT_EQ(r.status, 403u) << kind;
        EXPECT_EQ(json::parse(r.body)["reason"], "Forbidden") << kind;
    }
    EXPECT_EQ(broker_->get("/api/v1/proxy/resources").status, 400u);
    EXPECT_EQ(broker_->get("/api/v1/proxy/resources?kind=pods&namespace=..%2Fx").status, 400u);
}

TEST_F(proxy_resources, non_admins_read_only_their_namespaces)
{
    EXPECT_EQ(broker_->get("/api/v1/proxy/resources?kind=jobs&namespace=default", "alice", "")
                  .status,
              403u);
    auto own = broker_->get("/api/v1/proxy/resources?kind=jobs&namespace=team-a", "alice", "");
    EXPECT_EQ(own.status, 200u) << own.body;
    auto all = broker_->get("/api/v1/proxy/resources?kind=jobs", "alice", "");
    ASSERT_EQ(all.status, 200u);
    EXPECT_TRUE(json::parse(all.body)["items"].empty());  // nothing in team-a
    auto nodes = broker_->get("/api/v1/proxy/resources?kind=nodes", "alice", "");
    EXPECT_EQ(json::parse(nodes.body)["items"].size(), 7u);
}

TEST_F(proxy_resources, slow_member_beyond_its_500ms_deadline_is_listed_in_failures)
{
    set_fault(fedsim_->port(), "cluster-2", {{"latencyMs", 2000}});
    auto r = broker_->get("/api/v1/proxy/resources?kind=jobs&timeout=500ms");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto list = json::parse(r.body);
    EXPECT_EQ(item_keys(list), (std::vector<std::string>{"cluster-1/default/dup-job",
                                                         "cluster-3/default/solo-job"}));
    EXPECT_EQ(failure_reasons(list), (std::map<std::string, std::string>{{"cluster-2", "Timeout"}}));
}

TEST_F(proxy_resources, not_ready_member_is_a_failure_and_the_others_answer)
{
    set_fault(fedsim_->port(), "cluster-3", {{"ready", false}});
    json list;
    ASSERT_TRUE(eventually([&] {
        auto r = broker_->get("/api/v1/proxy/resources?kind=jobs");
        list = json::parse(r.body);
        return r.status == 200 && list["failures"].size() == 1;
    }));
    EXPECT_EQ(list["failures"][0]["cluster"], "cluster-3");
    EXPECT_EQ(item_keys(list), (std::vector<std::string>{"cluster-1/default/dup-job",
                                                         "cluster-2/default/dup-job"}));
}

TEST_F(proxy_resources, all_members_down_is_502_and_all_timed_out_is_504)
{
    for (const char* c : {"cluster-1", "cluster-2", "cluster-3"}) {
        set_fault(fedsim_->port(), c, {{"unavailable", true}});
    }
    auto down = broker_->get("/api/v1/proxy/resources?kind=pods");
    EXPECT_EQ(down.status, 502u) << down.body;
    EXPECT_EQ(json::parse(down.body)["failures"].size(), 3u);
    for (const char* c : {"cluster-1", "cluster-2", "cluster-3"}) {
        set_fault(fedsim_->port(), c, {{"unavailable", false}, {"latencyMs", 2000}});
    }
    // The members were NotReady while unavailable: wait until the broker's watch of the
    // Cluster objects has seen them Ready again, so that every failure is a timeout.
    decltype(broker_->get("")) slow;
    EXPECT_TRUE(eventually([&] {
        slow = broker_->get("/api/v1/proxy/resources?kind=pods&timeout=300ms");
        return slow.body.find("ClusterNotReady") == std::string::npos;
    })) << slow.body;
    EXPECT_EQ(slow.status, 504u) << slow.body;
    EXPECT_EQ(failure_reasons(json::parse(slow.body)).size(), 3u);
}

TEST_F(proxy_resources, members_answering_out_of_order_are_written_in_name_order_failures_last)
{
    // cluster-1 answers last of those that answer; cluster-2 misses its deadline.
    set_fault(fedsim_->port(), "cluster-1", {{"latencyMs", 300}});
    set_fault(fedsim_->port(), "cluster-2", {{"latencyMs", 3000}});
    auto r = broker_->get("/api/v1/proxy/resources?kind=jobs&timeout=1s");
    ASSERT_EQ(r.status, 200u) << r.body;
    auto list = json::parse(r.body);
    EXPECT_EQ(item_keys(list), (std::vector<std::string>{"cluster-1/default/dup-job",
                                                         "cluster-3/default/solo-job"}));
    EXPECT_EQ(failure_reasons(list), (std::map<std::string, std::string>{{"cluster-2", "Timeout"}}));
    // `failures` is written after `items`, as the last member of the object.
    const auto items_at = r.body.find("\"items\":");
    const auto failures_at = r.body.rfind("\"failures\":");
    ASSERT_NE(items_at, std::string::npos);
    ASSERT_NE(failures_at, std::string::npos);
    EXPECT_LT(items_at, failures_at);
}

}  // namespace
