#include "propagation/manifest/batch_job.hpp"

#include "tests/unit/propagation/manifest/manifest_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace propagation;
using nlohmann::json;

TEST(batch_job, seed_form_4_replicas_total_parallelism_and_completions) {
    SKIP_WITHOUT_SHARED();
    const auto f = manifest_test::seed_form(form::job_type::job);
    auto job = manifest::build_batch_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_TRUE(job) << job.error().message;
    EXPECT_EQ((*job)["apiVersion"], "batch/v1");
    EXPECT_EQ((*job)["kind"], "Job");
    EXPECT_EQ((*job)["metadata"]["name"], "pytorch-training");
    EXPECT_EQ((*job)["spec"]["parallelism"], 4);
    EXPECT_EQ((*job)["spec"]["completions"], 4);
    EXPECT_EQ((*job)["spec"]["template"]["spec"]["restartPolicy"], "Never");
    EXPECT_EQ((*job)["spec"]["template"]["metadata"]["labels"]["broker.gpufed.io/job-id"],
              manifest_test::job_id);
    EXPECT_FALSE((*job)["spec"].contains("backoffLimit"));
    EXPECT_FALSE((*job)["spec"].contains("ttlSecondsAfterFinished"));
    EXPECT_EQ(manifest_test::schema_problems({*job}), "");
}

TEST(batch_job, backoff_ttl_deadline_copied_when_given) {
    SKIP_WITHOUT_SHARED();
    auto f = manifest_test::seed_form(form::job_type::job);
    f.backoff_limit = 2;
    f.ttl_seconds_after_finished = 600;
    f.active_deadline_seconds = 86400;
    auto job = manifest::build_batch_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_TRUE(job);
    EXPECT_EQ((*job)["spec"]["backoffLimit"], 2);
    EXPECT_EQ((*job)["spec"]["ttlSecondsAfterFinished"], 600);
    EXPECT_EQ((*job)["spec"]["activeDeadlineSeconds"], 86400);
    EXPECT_EQ(manifest_test::schema_problems({*job}), "");
}

}  // namespace
