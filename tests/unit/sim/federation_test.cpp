// Karmada behaviour of the fedsim model: policy matching, scheduling a Job over three clusters,
// member pods and status aggregation, Pending pods, Cluster status and faults.
#include "sim/model/federation.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace fedsim::model {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* three_clusters = R"(
seed: 7
clusters:
  - name: a
    labels: {gpu.model: A100}
    resourceModels:
      - grade: 0
        ranges: [{name: cpu, min: "0", max: "8"}, {name: nvidia.com/gpu, min: "0", max: "2"}]
      - grade: 1
        ranges: [{name: cpu, min: "8", max: "9223372036854775807"}, {name: nvidia.com/gpu, min: "2", max: "9223372036854775807"}]
    nodes: [{count: 1, namePrefix: a-node, cpu: "16", memory: 64Gi, gpus: 4, gpuModel: A100}]
    workload: {startSeconds: 1, runSeconds: 10}
  - name: b
    labels: {gpu.model: H100}
    nodes: [{count: 1, namePrefix: b-node, cpu: "16", memory: 64Gi, gpus: 4, gpuModel: H100}]
    workload: {startSeconds: 1, runSeconds: 10}
  - name: c
    labels: {gpu.model: L40S}
    nodes: [{count: 2, namePrefix: c-node, cpu: "8", memory: 32Gi, gpus: 2, gpuModel: L40S}]
    workload: {startSeconds: 1, runSeconds: 10}
)";

class federation_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto cfg = parse_federation_config(three_clusters);
        ASSERT_TRUE(cfg) << cfg.error().message;
        auto f = federation::create(*cfg, t0_);
        ASSERT_TRUE(f);
        fed_ = std::move(*f);
        const auto& reg = fed_->registry();
        jobs_ = reg.find("batch", "v1", "jobs");
        pods_ = reg.find("", "v1", "pods");
        pps_ = reg.find("policy.karmada.io", "v1alpha1", "propagationpolicies");
        cpps_ = reg.find("policy.karmada.io", "v1alpha1", "clusterpropagationpolicies");
        rbs_ = reg.find("work.karmada.io", "v1alpha2", "resourcebindings");
        clusters_ = reg.find("cluster.karmada.io", "v1alpha1", "clusters");
        events_ = reg.find("", "v1", "events");
        auto ns = fed_->control_plane().create(*reg.find("", "v1", "namespaces"), "",
                                               json{{"metadata", {{"name", "ml"}}}});
        ASSERT_TRUE(ns);
        step(0s);
    }

    void step(std::chrono::seconds d) {
        now_ += d;
        fed_->advance(now_);
    }

    static json job(const std::string& name, int parallelism, int gpus,
                    json annotations = json::object()) {
        return {{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata", {{"name", name}, {"annotations", annotations}}},
                {"spec",
                 {{"parallelism", parallelism},
                  {"completions", parallelism},
                  {"backoffLimit", 0},
                  {"template",
                   {{"spec",
                     {{"restartPolicy", "Never"},
                      {"containers",
                       json::array({{{"name", "trainer"},
                                     {"image", "pytorch/pytorch:2.0.0"},
                                     {"resources",
                                      {{"limits", {{"nvidia.com/gpu", gpus}}},
                                       {"requests", {{"cpu", "1"}, {"memory", "1Gi"}}}}}}})}}}}}}}};
    }

    static json weighted_policy(const std::string& name, const std::string& target,
                                std::map<std::string, int> weights) {
        json list = json::array();
        json names = json::array();
        for (const auto& [c, w] : weights) {
            list.push_back({{"targetCluster", {{"clusterNames", {c}}}}, {"weight", w}});
            names.push_back(c);
        }
        return {{"metadata", {{"name", name}}},
                {"spec",
                 {{"resourceSelectors",
                   json::array({{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", target}}})},
                  {"placement",
                   {{"clusterAffinity", {{"clusterNames", names}}},
                    {"replicaScheduling",
                     {{"replicaSchedulingType", "Divided"},
                      {"replicaDivisionPreference", "Weighted"},
                      {"weightPreference", {{"staticWeightList", list}}}}}}}}}};
    }

    object_ptr member_job(const std::string& cluster, const std::string& name) {
        return fed_->member(cluster)->find(*jobs_, "ml", name);
    }

    std::vector<object_ptr> member_pods(const std::string& cluster) {
        std::vector<object_ptr> out;
        fed_->member(cluster)->for_each(*pods_, "ml",
                                        [&](const object_ptr& p) { out.push_back(p); });
        return out;
    }

    time_point t0_ = time_point(std::chrono::seconds(1790000000));
    time_point now_ = t0_;
    std::unique_ptr<federation> fed_;
    const resource_info* jobs_ = nullptr;
    const resource_info* pods_ = nullptr;
    const resource_info* pps_ = nullptr;
    const resource_info* cpps_ = nullptr;
    const resource_info* rbs_ = nullptr;
    const resource_info* clusters_ = nullptr;
    const resource_info* events_ = nullptr;
};

TEST_F(federation_test, job_divided_over_three_clusters_completes) {
    auto& cp = fed_->control_plane();
    ASSERT_TRUE(cp.create(*pps_, "ml",
                          weighted_policy("train-pp", "train", {{"a", 2}, {"b", 1}, {"c", 1}})));
    ASSERT_TRUE(cp.create(*jobs_, "ml", job("train", 8, 1)));
    step(0s);

    auto binding = cp.find(*rbs_, "ml", "train-job");
    ASSERT_TRUE(binding);
    const json& b = *binding;
    EXPECT_EQ(b["spec"]["replicas"], 8);
    EXPECT_EQ(b["spec"]["clusters"], (json::array({{{"name", "a"}, {"replicas", 4}},
                                                   {{"name", "b"}, {"replicas", 2}},
                                                   {{"name", "c"}, {"replicas", 2}}})));
    EXPECT_EQ(b["status"]["schedulerObservedGeneration"], b["metadata"]["generation"]);
    EXPECT_EQ(b["spec"]["replicaRequirements"]["resourceRequest"]["nvidia.com/gpu"], "1");
    bool scheduled = false;
    for (const auto& c : b["status"]["conditions"]) {
        if (c["type"] == "Scheduled")
            scheduled = c["status"] == "True" && c["reason"] == "Success";
    }
    EXPECT_TRUE(scheduled);

    auto ja = member_job("a", "train");
    ASSERT_TRUE(ja);
    EXPECT_EQ((*ja)["spec"]["parallelism"], 4);
    EXPECT_EQ((*ja)["spec"]["completions"], 4);
    EXPECT_EQ((*ja)["metadata"]["labels"]["karmada.io/managed"], "true");
    EXPECT_EQ(member_pods("a").size(), 4u);
    EXPECT_EQ(member_pods("b").size(), 2u);
    for (const auto& p : member_pods("a")) {
        const std::string name = (*p)["metadata"]["name"];
        EXPECT_EQ(name.rfind("train-", 0), 0u);
        EXPECT_EQ(name.size(), std::string("train-").size() + 5);
        EXPECT_EQ((*p)["metadata"]["labels"]["batch.kubernetes.io/job-name"], "train");
        EXPECT_EQ((*p)["metadata"]["labels"]["job-name"], "train");
        EXPECT_EQ((*p)["spec"]["nodeName"], "a-node-0");
    }

    step(2s);
    for (const auto& p : member_pods("c"))
        EXPECT_EQ((*p)["status"]["phase"], "Running");
    auto tmpl = cp.find(*jobs_, "ml", "train");
    EXPECT_EQ((*tmpl)["status"]["active"], 8);

    step(20s);
    tmpl = cp.find(*jobs_, "ml", "train");
    const json& st = (*tmpl)["status"];
    EXPECT_EQ(st["succeeded"], 8);
    EXPECT_FALSE(st.contains("active"));
    ASSERT_TRUE(st.contains("conditions"));
    bool complete = false;
    for (const auto& c : st["conditions"])
        complete = complete || (c["type"] == "Complete" && c["status"] == "True");
    EXPECT_TRUE(complete) << st.dump();
    EXPECT_TRUE(st.contains("completionTime"));
    binding = cp.find(*rbs_, "ml", "train-job");
    const json& agg = (*binding)["status"]["aggregatedStatus"];
    ASSERT_EQ(agg.size(), 3u);
    EXPECT_EQ(agg[0]["clusterName"], "a");
    EXPECT_EQ(agg[0]["applied"], true);
    EXPECT_EQ(agg[0]["health"], "Healthy");
    EXPECT_EQ(agg[0]["status"]["succeeded"], 4);

    // Deleting the template removes the binding and every member copy.
    ASSERT_TRUE(cp.remove(*jobs_, "ml", "train", delete_options{"Background", {}, {}, {}, false}));
    step(1s);
    EXPECT_FALSE(cp.find(*rbs_, "ml", "train-job"));
    EXPECT_FALSE(member_job("a", "train"));
    EXPECT_TRUE(member_pods("a").empty());
}

TEST_F(federation_test, a_failing_part_fails_the_template) {
    auto& cp = fed_->control_plane();
    ASSERT_TRUE(cp.create(*pps_, "ml", weighted_policy("p", "bad", {{"a", 1}, {"b", 1}})));
    ASSERT_TRUE(cp.create(*jobs_, "ml", job("bad", 2, 1, {{"fedsim.io/outcome", "fail"}})));
    step(0s);
    step(30s);
    auto tmpl = cp.find(*jobs_, "ml", "bad");
    const json& st = (*tmpl)["status"];
    bool failed = false;
    for (const auto& c : st.value("conditions", json::array())) {
        if (c["type"] == "Failed" && c["status"] == "True") {
            failed = true;
            EXPECT_EQ(c["message"], "Job executed failed in member clusters a,b");
        }
    }
    EXPECT_TRUE(failed) << st.dump();
    EXPECT_EQ(st["failed"], 2);
}

TEST_F(federation_test, pod_pending_when_nothing_fits_and_summary_follows_pods) {
    auto& cp = fed_->control_plane();
    ASSERT_TRUE(cp.create(*pps_, "ml", weighted_policy("p", "big", {{"c", 1}})));
    ASSERT_TRUE(cp.create(*jobs_, "ml", job("big", 1, 4)));
    ASSERT_TRUE(cp.create(*pps_, "ml", weighted_policy("q", "small", {{"a", 1}})));
    ASSERT_TRUE(cp.create(*jobs_, "ml", job("small", 1, 3)));
    step(0s);

    auto pods = member_pods("c");
    ASSERT_EQ(pods.size(), 1u);
    const json& pod = *pods.front();
    EXPECT_EQ(pod["status"]["phase"], "Pending");
    EXPECT_FALSE(pod["spec"].contains("nodeName"));
    EXPECT_EQ(pod["status"]["conditions"][0]["reason"], "Unschedulable");
    EXPECT_EQ(pod["status"]["conditions"][0]["message"],
              "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes are "
              "available: 2 No preemption victims found for incoming pod.");
    bool event = false;
    fed_->member("c")->for_each(*events_, "ml", [&](const object_ptr& e) {
        event = event || (*e)["reason"] == "FailedScheduling";
    });
    EXPECT_TRUE(event);

    auto cluster_c = cp.find(*clusters_, "", "c");
    const json& rc = (*cluster_c)["status"]["resourceSummary"];
    EXPECT_EQ(rc["allocating"]["pods"], "1");
    EXPECT_EQ(rc["allocating"]["nvidia.com/gpu"], "4");
    EXPECT_EQ(rc["allocatable"]["nvidia.com/gpu"], "4");

    auto cluster_a = cp.find(*clusters_, "", "a");
    const json& ra = (*cluster_a)["status"]["resourceSummary"];
    EXPECT_EQ(ra["allocated"]["nvidia.com/gpu"], "3");
    EXPECT_EQ(ra["allocated"]["pods"], "1");
    EXPECT_EQ(ra["allocatableModelings"],
              (json::array({{{"grade", 0}, {"count", 1}}, {{"grade", 1}, {"count", 0}}})));
    EXPECT_EQ((*cluster_a)["status"]["nodeSummary"], (json{{"totalNum", 1}, {"readyNum", 1}}));

    step(20s);  // the small job ran and finished: capacity is free again
    cluster_a = cp.find(*clusters_, "", "a");
    EXPECT_EQ((*cluster_a)["status"]["resourceSummary"]["allocated"]["pods"], "0");
    EXPECT_EQ((*cluster_a)["status"]["resourceSummary"]["allocatableModelings"][1]["count"], 1);
}

TEST_F(federation_test, policy_priority_and_match_kind) {
    auto& cp = fed_->control_plane();
    auto kind_only = [](const std::string& name, int priority) {
        return json{
            {"metadata", {{"name", name}}},
            {"spec",
             {{"priority", priority},
              {"resourceSelectors", json::array({{{"apiVersion", "batch/v1"}, {"kind", "Job"}}})},
              {"placement", {{"clusterAffinity", {{"clusterNames", {"b"}}}}}}}}};
    };
    json by_name = {
        {"metadata", {{"name", "z-by-name"}}},
        {"spec",
         {{"resourceSelectors",
           json::array({{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", "j1"}}})},
          {"placement", {{"clusterAffinity", {{"clusterNames", {"a"}}}}}}}}};
    ASSERT_TRUE(cp.create(*pps_, "ml", kind_only("a-kind", 0)));
    ASSERT_TRUE(cp.create(*pps_, "ml", by_name));
    json cpp = kind_only("cluster-wide", 100);
    ASSERT_TRUE(cp.create(*cpps_, "", cpp));
    ASSERT_TRUE(cp.create(*jobs_, "ml", job("j1", 1, 0)));
    ASSERT_TRUE(cp.create(*jobs_, "ml", job("j2", 1, 0)));
    step(0s);
    auto j1 = cp.find(*jobs_, "ml", "j1");
    EXPECT_EQ((*j1)["metadata"]["annotations"]["propagationpolicy.karmada.io/name"], "z-by-name");
    auto j2 = cp.find(*jobs_, "ml", "j2");
    EXPECT_EQ((*j2)["metadata"]["annotations"]["propagationpolicy.karmada.io/name"], "a-kind");
    EXPECT_TRUE(member_job("a", "j1"));
    EXPECT_TRUE(member_job("b", "j2"));

    // A higher priority wins over a better match for a new template.
    ASSERT_TRUE(cp.create(*pps_, "ml", kind_only("high", 5)));
    json j3 = job("j1-copy", 1, 0);
    ASSERT_TRUE(cp.create(*jobs_, "ml", j3));
    step(0s);
    auto c = cp.find(*jobs_, "ml", "j1-copy");
    EXPECT_EQ((*c)["metadata"]["annotations"]["propagationpolicy.karmada.io/name"], "high");
    // Claimed templates stay with their policy (no preemption).
    j1 = cp.find(*jobs_, "ml", "j1");
    EXPECT_EQ((*j1)["metadata"]["annotations"]["propagationpolicy.karmada.io/name"], "z-by-name");
}

TEST_F(federation_test, faults_flip_ready_and_taint) {
    auto& cp = fed_->control_plane();
    auto ready = [&](const std::string& name) {
        auto c = cp.find(*clusters_, "", name);
        for (const auto& cond : (*c)["status"]["conditions"]) {
            if (cond["type"] == "Ready")
                return cond["status"].get<std::string>();
        }
        return std::string("missing");
    };
    EXPECT_EQ(ready("b"), "True");
    auto f = fed_->set_fault("b", json{{"ready", false}, {"latencyMs", 50}});
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->ready);
    EXPECT_EQ(f->latency_ms, 50);
    EXPECT_EQ(ready("b"), "False");
    auto cb = cp.find(*clusters_, "", "b");
    EXPECT_EQ((*cb)["spec"]["taints"][0]["key"], "cluster.karmada.io/not-ready");
    EXPECT_EQ((*cb)["spec"]["taints"][0]["effect"], "NoSchedule");

    // A not-ready cluster is filtered by its taint.
    ASSERT_TRUE(cp.create(*pps_, "ml", weighted_policy("p", "t", {{"b", 1}})));
    ASSERT_TRUE(cp.create(*jobs_, "ml", job("t", 1, 0)));
    step(0s);
    auto binding = cp.find(*rbs_, "ml", "t-job");
    ASSERT_TRUE(binding);
    const json& sc = (*binding)["status"]["conditions"][0];
    EXPECT_EQ(sc["status"], "False");
    EXPECT_EQ(sc["reason"], "NoClusterFit");
    EXPECT_EQ(sc["message"],
              "0/3 clusters are available: 2 cluster(s) did not match the placement cluster "
              "affinity constraint, 1 cluster(s) had untolerated taint "
              "{cluster.karmada.io/not-ready: }.");

    ASSERT_TRUE(fed_->clear_fault("b"));
    EXPECT_EQ(ready("b"), "True");
    cb = cp.find(*clusters_, "", "b");
    EXPECT_FALSE((*cb)["spec"].contains("taints"));
    step(0s);
    EXPECT_TRUE(member_job("b", "t"));  // rescheduled once the cluster is back

    auto bad = fed_->set_fault("b", json{{"ready", "no"}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, 400);
    auto unknown = fed_->set_fault("zz", json::object());
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "clusters.cluster.karmada.io \"zz\" not found");
    fed_->set_fault("", json{{"failNextRequests", 2}});
    EXPECT_TRUE(fed_->consume_failure(""));
    EXPECT_TRUE(fed_->consume_failure(""));
    EXPECT_FALSE(fed_->consume_failure(""));
}

TEST_F(federation_test, pod_logs_follow_the_pod) {
    auto& cp = fed_->control_plane();
    ASSERT_TRUE(cp.create(*pps_, "ml", weighted_policy("p", "logs", {{"a", 1}})));
    ASSERT_TRUE(cp.create(*jobs_, "ml", job("logs", 1, 0)));
    step(0s);
    auto pods = member_pods("a");
    ASSERT_EQ(pods.size(), 1u);
    std::string pod = (*pods.front())["metadata"]["name"];
    auto waiting = fed_->pod_log("a", "ml", pod, {});
    ASSERT_FALSE(waiting);
    EXPECT_EQ(waiting.error().message, "container \"trainer\" in pod \"" + pod +
                                           "\" is waiting to start: ContainerCreating");
    step(5s);
    auto first = fed_->pod_log("a", "ml", pod, {});
    ASSERT_TRUE(first);
    EXPECT_FALSE(first->finished);
    EXPECT_GE(first->next_line, 2);
    log_options tail;
    tail.tail_lines = 1;
    auto last = fed_->pod_log("a", "ml", pod, tail);
    ASSERT_TRUE(last);
    EXPECT_EQ(std::count(last->text.begin(), last->text.end(), '\n'), 1);
    step(20s);
    log_options follow;
    follow.from_line = first->next_line;
    auto rest = fed_->pod_log("a", "ml", pod, follow);
    ASSERT_TRUE(rest);
    EXPECT_TRUE(rest->finished);
    EXPECT_NE(rest->text.find("Training finished: status=success"), std::string::npos);
    auto bad = fed_->pod_log("a", "ml", pod, log_options{"nope", {}, false, {}, false, {}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "container nope is not valid for pod " + pod);
}

TEST_F(federation_test, rayjob_is_copied_whole_and_worst_status_wins) {
    auto& cp = fed_->control_plane();
    const auto* rayjobs = fed_->registry().find("ray.io", "v1", "rayjobs");
    json pod_template = {{"spec",
                          {{"containers", json::array({{{"name", "ray-head"},
                                                        {"image", "rayproject/ray:2.9.0"}}})}}}};
    json rj = {
        {"apiVersion", "ray.io/v1"},
        {"kind", "RayJob"},
        {"metadata", {{"name", "ray"}, {"annotations", {{"fedsim.io/run-seconds", "5"}}}}},
        {"spec",
         {{"entrypoint", "python train.py"},
          {"shutdownAfterJobFinishes", true},
          {"rayClusterSpec",
           {{"headGroupSpec", {{"rayStartParams", json::object()}, {"template", pod_template}}},
            {"workerGroupSpecs",
             json::array(
                 {{{"groupName", "gpu"}, {"replicas", 1}, {"template", pod_template}}})}}}}}};
    json pp = {
        {"metadata", {{"name", "ray-pp"}}},
        {"spec",
         {{"resourceSelectors",
           json::array({{{"apiVersion", "ray.io/v1"}, {"kind", "RayJob"}, {"name", "ray"}}})},
          {"placement", {{"clusterAffinity", {{"clusterNames", {"a", "b"}}}}}}}}};
    ASSERT_TRUE(cp.create(*pps_, "ml", pp));
    ASSERT_TRUE(cp.create(*rayjobs, "ml", rj));
    step(0s);
    auto binding = cp.find(*rbs_, "ml", "ray-rayjob");
    ASSERT_TRUE(binding);
    EXPECT_EQ((*binding)["spec"]["clusters"], (json::array({{{"name", "a"}}, {{"name", "b"}}})));
    for (const char* c : {"a", "b"}) {
        auto copy = fed_->member(c)->find(*rayjobs, "ml", "ray");
        ASSERT_TRUE(copy) << c;
        EXPECT_EQ((*copy)["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["replicas"], 1);
        EXPECT_EQ(member_pods(c).size(), 2u) << c;  // head + one worker
    }
    step(3s);
    auto tmpl = cp.find(*rayjobs, "ml", "ray");
    EXPECT_EQ((*tmpl)["status"]["jobDeploymentStatus"], "Running");
    step(10s);
    tmpl = cp.find(*rayjobs, "ml", "ray");
    EXPECT_EQ((*tmpl)["status"]["jobDeploymentStatus"], "Complete");
    EXPECT_EQ((*tmpl)["status"]["jobStatus"], "SUCCEEDED");
    EXPECT_TRUE(member_pods("a").empty());  // shutdownAfterJobFinishes removed the cluster
}

TEST_F(federation_test, deployment_replicas_are_revised_and_summed) {
    auto& cp = fed_->control_plane();
    const auto* deploys = fed_->registry().find("apps", "v1", "deployments");
    json d = {
        {"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"metadata", {{"name", "web"}}},
        {"spec",
         {{"replicas", 4},
          {"selector", {{"matchLabels", {{"app", "web"}}}}},
          {"template",
           {{"metadata", {{"labels", {{"app", "web"}}}}},
            {"spec",
             {{"containers", json::array({{{"name", "web"}, {"image", "nginx:1.27"}}})}}}}}}}};
    json pp = weighted_policy("web-pp", "web", {{"a", 1}, {"b", 1}});
    pp["spec"]["resourceSelectors"][0]["apiVersion"] = "apps/v1";
    pp["spec"]["resourceSelectors"][0]["kind"] = "Deployment";
    ASSERT_TRUE(cp.create(*pps_, "ml", pp));
    ASSERT_TRUE(cp.create(*deploys, "ml", d));
    step(0s);
    for (const char* c : {"a", "b"}) {
        auto copy = fed_->member(c)->find(*deploys, "ml", "web");
        ASSERT_TRUE(copy) << c;
        EXPECT_EQ((*copy)["spec"]["replicas"], 2) << c;
        auto pods = member_pods(c);
        ASSERT_EQ(pods.size(), 2u) << c;
        const std::string hash = (*pods[0])["metadata"]["labels"]["pod-template-hash"];
        EXPECT_EQ((*pods[0])["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
        EXPECT_EQ((*pods[0])["metadata"]["ownerReferences"][0]["name"], "web-" + hash);
    }
    step(5s);
    auto tmpl = cp.find(*deploys, "ml", "web");
    EXPECT_EQ((*tmpl)["status"]["replicas"], 4);
    EXPECT_EQ((*tmpl)["status"]["readyReplicas"], 4);
    auto binding = cp.find(*rbs_, "ml", "web-deployment");
    ASSERT_TRUE(binding);
    EXPECT_EQ((*binding)["status"]["aggregatedStatus"][1]["health"], "Healthy");
}

TEST(federation_config, demo_file_matches_the_builtin_demo) {
    std::ifstream in(std::string(BROKER_SOURCE_DIR) + "/sim/examples/demo.yaml");
    ASSERT_TRUE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), std::string(demo_config_yaml()));
    auto cfg = parse_federation_config(ss.str());
    ASSERT_TRUE(cfg) << cfg.error().message;
    ASSERT_EQ(cfg->clusters.size(), 3u);
    EXPECT_EQ(cfg->clusters[0].name, "cluster-1");
    EXPECT_EQ(cfg->clusters[2].name, "cluster-3");
}

TEST(federation_config, reports_every_problem_with_its_path) {
    auto cfg = parse_federation_config(R"(
clusters:
  - name: Bad_Name
    nodes: [{count: 0, cpu: lots, gpus: 1, colour: red}]
  - name: ok
    nodes: []
extra: 1
)");
    ASSERT_FALSE(cfg);
    std::vector<std::string> fields;
    for (const auto& c : cfg.error().causes)
        fields.push_back(c.field);
    for (const char* want :
         {"extra", "clusters[0].name", "clusters[0].nodes[0].count", "clusters[0].nodes[0].cpu",
          "clusters[0].nodes[0].colour", "clusters[1].nodes"}) {
        EXPECT_NE(std::find(fields.begin(), fields.end(), want), fields.end()) << want;
    }
}

TEST_F(federation_test, huge_workload_creates_pods_in_bursts_across_ticks) {
    // A member Job wanting 1,200 pods: the Job controller creates 500 per sync and leaves the
    // rest for the next ticks, so one advance never holds the server for the whole workload.
    auto* member = fed_->member("c");
    ASSERT_NE(member, nullptr);
    (void)member->create(*fed_->registry().find("", "v1", "namespaces"), "",
                         json{{"metadata", {{"name", "ml"}}}});
    ASSERT_TRUE(member->create(*jobs_, "ml", job("wide", 1200, 0)));
    struct tick_case {
        std::chrono::milliseconds after;
        std::size_t pods;
    };
    const std::vector<tick_case> ticks = {{0ms, 500}, {1ms, 1000}, {1ms, 1200}, {1ms, 1200}};
    for (const auto& t : ticks) {
        now_ += t.after;
        fed_->advance(now_);
        EXPECT_EQ(member_pods("c").size(), t.pods) << "after +" << t.after.count() << "ms";
        auto wake = fed_->next_wakeup();
        if (t.pods < 1200) {
            ASSERT_TRUE(wake.has_value());
            EXPECT_LE(*wake, now_);  // more work is due at once
        }
    }
}

}  // namespace
}  // namespace fedsim::model
