#include "propagation/manifest/volcano_job.hpp"

#include "tests/unit/propagation/manifest/manifest_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace propagation;
using nlohmann::json;

TEST(volcano_job, pytorch_framework_4_replicas_master_and_3_workers_all_gangs_explicit) {
    SKIP_WITHOUT_SHARED();
    const auto f = manifest_test::seed_form(form::job_type::volcano);
    auto job = manifest::build_volcano_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_TRUE(job) << job.error().message;
    const json& spec = (*job)["spec"];
    EXPECT_EQ(spec["minAvailable"], 4);
    ASSERT_EQ(spec["tasks"].size(), 2u);
    EXPECT_EQ(spec["tasks"][0]["name"], "master");
    EXPECT_EQ(spec["tasks"][0]["replicas"], 1);
    EXPECT_EQ(spec["tasks"][0]["minAvailable"], 1);
    EXPECT_EQ(spec["tasks"][1]["name"], "worker");
    EXPECT_EQ(spec["tasks"][1]["replicas"], 3);
    EXPECT_EQ(spec["tasks"][1]["minAvailable"], 3);
    EXPECT_TRUE(spec["plugins"].contains("pytorch"));
    EXPECT_TRUE(spec["plugins"].contains("svc"));
    EXPECT_EQ(spec["schedulerName"], "volcano");
    EXPECT_EQ(manifest_test::schema_problems({*job}), "");
}

TEST(volcano_job, other_framework_one_task_with_every_replica) {
    SKIP_WITHOUT_SHARED();
    auto f = manifest_test::seed_form(form::job_type::volcano);
    f.framework = "tensorflow";
    f.backoff_limit = 5;
    f.active_deadline_seconds = 3600;
    auto job = manifest::build_volcano_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_TRUE(job);
    const json& spec = (*job)["spec"];
    ASSERT_EQ(spec["tasks"].size(), 1u);
    EXPECT_EQ(spec["tasks"][0]["replicas"], 4);
    EXPECT_EQ(spec["tasks"][0]["minAvailable"], 4);
    EXPECT_EQ(spec["maxRetry"], 5);
    EXPECT_EQ(spec["tasks"][0]["template"]["spec"]["activeDeadlineSeconds"], 3600);
    EXPECT_FALSE(spec["plugins"].contains("pytorch"));
    EXPECT_EQ(manifest_test::schema_problems({*job}), "");
}

TEST(volcano_job, name_that_makes_pod_names_over_63_characters_rejected) {
    auto f = manifest_test::seed_form(form::job_type::volcano);
    f.replicas = 10;                // last pod: <name>-worker-8
    f.name = std::string(54, 'a');  // 54 + 8 + 1 = 63: fits
    EXPECT_TRUE(manifest::build_volcano_job({.form = f, .job_id = manifest_test::job_id}));
    f.name = std::string(55, 'a');
    auto bad = manifest::build_volcano_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().causes.at(0).field, "name");
}

}  // namespace
