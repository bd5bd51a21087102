#include "propagation/policy/propagation_policy.hpp"

#include "propagation/manifest/manifest_builder.hpp"
#include "tests/unit/propagation/manifest/manifest_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace propagation;
using nlohmann::json;

json render_policy(const form::job_form& f, const placement::placement& p) {
    auto objects = manifest::build_manifests({.form = f, .job_id = manifest_test::job_id});
    EXPECT_TRUE(objects);
    auto policy = policy::build_propagation_policy(
        {.form = f, .job_id = manifest_test::job_id, .placement = p, .objects = *objects});
    EXPECT_TRUE(policy) << (policy ? "" : policy.error().message);
    return policy ? *policy : json();
}

TEST(propagation_policy, single_cluster_names_one_cluster_and_no_replica_scheduling) {
    SKIP_WITHOUT_SHARED();
    const auto f = manifest_test::seed_form();
    const json pp = render_policy(f, manifest_test::single_cluster("cluster-2", 4));
    EXPECT_EQ(pp["metadata"]["name"], "pytorch-training-propagation");
    EXPECT_EQ(pp["metadata"]["namespace"], "default");
    EXPECT_EQ(pp["metadata"]["labels"]["broker.gpufed.io/job-id"], manifest_test::job_id);
    EXPECT_EQ(
        pp["spec"]["resourceSelectors"],
        json::parse(
            R"([{"apiVersion":"kubeflow.org/v1","kind":"PyTorchJob","name":"pytorch-training"}])"));
    EXPECT_EQ(pp["spec"]["placement"],
              json::parse(R"({"clusterAffinity":{"clusterNames":["cluster-2"]}})"));
    EXPECT_EQ(manifest_test::schema_problems({pp}), "");
}

TEST(propagation_policy, divided_job_3_1_static_weights_equal_replica_counts) {
    SKIP_WITHOUT_SHARED();
    auto f = manifest_test::seed_form(form::job_type::job);
    f.storage_size = quantity::parse("1Gi").value();
    placement::placement p;
    p.strategy = form::placement_strategy::spread;
    p.clusters = {{"cluster-1", 3, 3}, {"cluster-2", 1, 1}};
    const json pp = render_policy(f, p);
    EXPECT_EQ(pp["spec"]["resourceSelectors"], json::parse(R"([
        {"apiVersion":"v1","kind":"PersistentVolumeClaim","name":"pytorch-training-data"},
        {"apiVersion":"batch/v1","kind":"Job","name":"pytorch-training"}])"));
    EXPECT_EQ(pp["spec"]["placement"], json::parse(R"({
        "clusterAffinity": {"clusterNames": ["cluster-1", "cluster-2"]},
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": [
                {"targetCluster": {"clusterNames": ["cluster-1"]}, "weight": 3},
                {"targetCluster": {"clusterNames": ["cluster-2"]}, "weight": 1}]}}})"));
    EXPECT_EQ(manifest_test::schema_problems({pp}), "");
}

TEST(propagation_policy, duplicate_over_two_clusters) {
    SKIP_WITHOUT_SHARED();
    const auto f = manifest_test::seed_form(form::job_type::ray);
    placement::placement p;
    p.strategy = form::placement_strategy::duplicate;
    p.clusters = {{"a", 4, 4}, {"b", 4, 4}};
    const json pp = render_policy(f, p);
    EXPECT_EQ(pp["spec"]["placement"]["replicaScheduling"],
              json::parse(R"({"replicaSchedulingType":"Duplicated"})"));
    EXPECT_EQ(pp["spec"]["placement"]["clusterAffinity"]["clusterNames"], json({"a", "b"}));
    EXPECT_EQ(manifest_test::schema_problems({pp}), "");
}

TEST(propagation_policy, bad_inputs_are_errors_not_policies) {
    const auto f = manifest_test::seed_form();
    const auto p = manifest_test::single_cluster("a", 4);
    const std::vector<json> none;
    EXPECT_FALSE(policy::build_propagation_policy(
        {.form = f, .job_id = manifest_test::job_id, .placement = p, .objects = none}));
    const std::vector<json> nameless = {json::parse(R"({"apiVersion":"v1","kind":"Service"})")};
    EXPECT_FALSE(policy::build_propagation_policy(
        {.form = f, .job_id = manifest_test::job_id, .placement = p, .objects = nameless}));
    placement::placement split;
    split.strategy = form::placement_strategy::spread;
    split.clusters = {{"a", 2, 2}, {"b", 2, 2}};
    auto objects = manifest::build_manifests({.form = f, .job_id = manifest_test::job_id});
    ASSERT_TRUE(objects);
    EXPECT_FALSE(policy::build_propagation_policy(
        {.form = f, .job_id = manifest_test::job_id, .placement = split, .objects = *objects}));
}

}  // namespace
