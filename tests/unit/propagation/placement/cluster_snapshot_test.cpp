#include "propagation/placement/cluster_snapshot.hpp"

#include <gtest/gtest.h>

namespace propagation::placement {
namespace {

using nlohmann::json;

json cluster(const char* name, json allocatable, json allocated = json::object()) {
    return {{"apiVersion", "cluster.karmada.io/v1alpha1"},
            {"kind", "Cluster"},
            {"metadata", {{"name", name}, {"labels", {{"gpu.model", "A100"}}}}},
            {"spec", {{"syncMode", "Push"}}},
            {"status",
             {{"conditions", {{{"type", "Ready"}, {"status", "True"}, {"reason", "ClusterReady"}}}},
              {"resourceSummary", {{"allocatable", allocatable}, {"allocated", allocated}}}}}};
}

form::job_form gpu_form(std::int32_t gpus, const char* cpu = "4", const char* memory = "16Gi") {
    form::job_form f;
    f.name = "train";
    f.replicas = 4;
    f.gpu_request = gpus;
    f.cpu_request = quantity::parse(cpu).value();
    f.memory_request = quantity::parse(memory).value();
    return f;
}

const json eight_gpus = {{"cpu", "64"}, {"memory", "512Gi"}, {"pods", "110"}, {"nvidia.com/gpu", "8"}};

TEST(to_cluster_state, summary_path_counts_replicas_that_fit_and_free_gpus) {
    auto c = to_cluster_state(cluster("a", eight_gpus, {{"nvidia.com/gpu", "3"}}), gpu_form(1), {}, {});
    EXPECT_EQ(c.name, "a");
    EXPECT_TRUE(c.ready);
    EXPECT_EQ(c.gpu_model, "A100");
    EXPECT_EQ(c.fit, 5);
    EXPECT_EQ(c.free_gpus, 5);
    EXPECT_EQ(c.largest_node_gpus, -1);  // no resource models: per-node shape unknown
}

TEST(to_cluster_state, reservations_count_as_allocated) {
    reserved_resources held{4, 8000, 0};
    auto c = to_cluster_state(cluster("a", eight_gpus), gpu_form(1), held, {});
    EXPECT_EQ(c.fit, 4);
    EXPECT_EQ(c.free_gpus, 4);
    // CPU can bind too: 64 cores, 56 reserved, 4 per replica.
    held = {0, 56000, 0};
    EXPECT_EQ(to_cluster_state(cluster("a", eight_gpus), gpu_form(1), held, {}).fit, 2);
}

TEST(to_cluster_state, not_ready_taints_and_admin_weight) {
    auto obj = cluster("b", eight_gpus);
    obj["status"]["conditions"][0]["status"] = "False";
    obj["status"]["conditions"][0]["reason"] = "ClusterNotReachable";
    obj["spec"]["taints"] = {{{"key", "dedicated"}, {"value", "infer"}, {"effect", "NoSchedule"}},
                             {{"key", "soft"}, {"effect", "PreferNoSchedule"}}};
    snapshot_options options;
    options.admin_weights["b"] = 3;
    auto c = to_cluster_state(obj, gpu_form(1), {}, options);
    EXPECT_FALSE(c.ready);
    EXPECT_EQ(c.not_ready_reason, "NotReady (ClusterNotReachable)");
    EXPECT_EQ(c.blocking_taints, std::vector<std::string>{"dedicated=infer:NoSchedule"});
    EXPECT_EQ(c.admin_weight, 3);
}

TEST(to_cluster_state, gpu_models_use_the_model_path_and_report_the_largest_node) {
    auto obj = cluster("m", eight_gpus);
    obj["spec"]["resourceModels"] = {
        {{"grade", 0}, {"ranges", {{{"name", "nvidia.com/gpu"}, {"min", "0"}, {"max", "2"}}}}},
        {{"grade", 1}, {"ranges", {{{"name", "nvidia.com/gpu"}, {"min", "2"}, {"max", "4"}}}}},
        {{"grade", 2},
         {"ranges", {{{"name", "nvidia.com/gpu"}, {"min", "4"}, {"max", "9223372036854775807"}}}}}};
    obj["status"]["resourceSummary"]["allocatableModelings"] = {
        {{"grade", 0}, {"count", 1}}, {{"grade", 1}, {"count", 1}}, {{"grade", 2}, {"count", 0}}};
    form::job_form f = gpu_form(2);
    f.cpu_request.reset();
    f.memory_request.reset();
    auto c = to_cluster_state(obj, f, {}, {});
    // One node with at least 2 free GPUs: one 2-GPU replica fits, although 8 GPUs are free.
    EXPECT_EQ(c.fit, 1);
    EXPECT_EQ(c.free_gpus, 8);
    EXPECT_EQ(c.largest_node_gpus, 2);
}

TEST(to_cluster_state, cpu_memory_only_models_do_not_hide_gpus) {
    auto obj = cluster("t", eight_gpus);
    obj["spec"]["resourceModels"] = {
        {{"grade", 0}, {"ranges", {{{"name", "cpu"}, {"min", "0"}, {"max", "9223372036854775807"}}}}}};
    obj["status"]["resourceSummary"]["allocatableModelings"] = {{{"grade", 0}, {"count", 2}}};
    // Karmada's estimator would answer 0 here (the GPU trap); the broker uses the summary.
    EXPECT_EQ(to_cluster_state(obj, gpu_form(1), {}, {}).fit, 8);
}

TEST(to_cluster_state, an_unusable_status_makes_the_cluster_ineligible_with_the_reason) {
    auto obj = cluster("x", {{"cpu", "lots"}});
    auto c = to_cluster_state(obj, gpu_form(1), {}, {});
    EXPECT_FALSE(c.ready);
    EXPECT_NE(c.not_ready_reason.find("unusable Cluster status"), std::string::npos);
}

TEST(replica_resources, multiplies_requests_and_falls_back_to_limits) {
    auto f = gpu_form(2, "500m", "1Gi");
    auto r = replica_resources(f, 3);
    EXPECT_EQ(r.gpus, 6);
    EXPECT_EQ(r.cpu_milli, 1500);
    EXPECT_EQ(r.memory_bytes, 3LL << 30);
    f.cpu_request.reset();
    f.cpu_limit = quantity::parse("2").value();
    EXPECT_EQ(replica_resources(f, 1).cpu_milli, 2000);
    EXPECT_EQ(replica_request(f).count("cpu"), 1U);
}

}  // namespace
}  // namespace propagation::placement
