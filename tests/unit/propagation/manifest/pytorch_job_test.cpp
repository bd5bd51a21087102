#include "propagation/manifest/pytorch_job.hpp"

#include "tests/unit/propagation/manifest/manifest_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace propagation;
using nlohmann::json;

struct replica_case {
    std::int32_t replicas;
    bool has_worker;
    std::int32_t workers;
};

TEST(pytorch_job, master_is_one_and_workers_are_the_rest) {
    SKIP_WITHOUT_SHARED();
    const replica_case cases[] = {{1, false, 0}, {2, true, 1}, {4, true, 3}};
    for (const auto& c : cases) {
        auto f = manifest_test::seed_form();
        f.replicas = c.replicas;
        auto job = manifest::build_pytorch_job({.form = f, .job_id = manifest_test::job_id});
        ASSERT_TRUE(job) << c.replicas;
        const json& specs = (*job)["spec"]["pytorchReplicaSpecs"];
        EXPECT_EQ(specs["Master"]["replicas"], 1) << c.replicas;
        EXPECT_EQ(specs.contains("Worker"), c.has_worker) << c.replicas;
        if (c.has_worker) {
            EXPECT_EQ(specs["Worker"]["replicas"], c.workers) << c.replicas;
            EXPECT_EQ(manifest_test::containers(specs["Worker"]["template"])[0]["name"], "pytorch");
        }
        EXPECT_EQ(manifest_test::containers(specs["Master"]["template"])[0]["name"], "pytorch");
        EXPECT_EQ(specs["Master"]["restartPolicy"], "OnFailure");
        EXPECT_EQ(manifest_test::schema_problems({*job}), "") << c.replicas;
    }
}

TEST(pytorch_job, nproc_per_node_and_run_policy) {
    SKIP_WITHOUT_SHARED();
    auto f = manifest_test::seed_form();
    f.workers_per_node = 8;
    f.backoff_limit = 3;
    f.active_deadline_seconds = 7200;
    f.ttl_seconds_after_finished = 60;
    auto job = manifest::build_pytorch_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_TRUE(job);
    EXPECT_EQ((*job)["spec"]["nprocPerNode"], "8");
    EXPECT_EQ((*job)["spec"]["runPolicy"],
              json::parse(R"({"backoffLimit":3,"activeDeadlineSeconds":7200,
                              "ttlSecondsAfterFinished":60})"));
    EXPECT_EQ(manifest_test::schema_problems({*job}), "");
}

TEST(pytorch_job, no_run_policy_when_nothing_to_say) {
    const auto f = manifest_test::seed_form();
    auto job = manifest::build_pytorch_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_TRUE(job);
    EXPECT_FALSE((*job)["spec"].contains("runPolicy"));
    EXPECT_EQ((*job)["spec"]["nprocPerNode"], "1");
}

}  // namespace
