#include "propagation/manifest/ray_job.hpp"

#include "tests/unit/propagation/manifest/manifest_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace propagation;
using nlohmann::json;

TEST(ray_job, fixed_size_worker_group_and_gpu_free_head) {
    SKIP_WITHOUT_SHARED();
    const auto f = manifest_test::seed_form(form::job_type::ray);
    auto job = manifest::build_ray_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_TRUE(job) << job.error().message;
    const json& spec = (*job)["spec"];
    EXPECT_EQ(spec["entrypoint"],
              "python train.py --epochs 10 --batch_size=32 --learning_rate=0.001");
    EXPECT_EQ(spec["shutdownAfterJobFinishes"], true);
    const json& group = spec["rayClusterSpec"]["workerGroupSpecs"][0];
    EXPECT_EQ(group["replicas"], 4);
    EXPECT_EQ(group["minReplicas"], 4);
    EXPECT_EQ(group["maxReplicas"], 4);
    const json& worker = manifest_test::containers(group["template"])[0];
    EXPECT_EQ(worker["resources"]["limits"]["nvidia.com/gpu"], "1");
    EXPECT_FALSE(worker.contains("command"));
    const json& head_group = spec["rayClusterSpec"]["headGroupSpec"];
    const json& head = manifest_test::containers(head_group["template"])[0];
    EXPECT_EQ(head["name"], "ray-head");
    EXPECT_FALSE(head["resources"]["requests"].contains("nvidia.com/gpu"));
    EXPECT_FALSE(head_group["template"]["spec"].contains("tolerations"));
    EXPECT_EQ(head_group["rayStartParams"]["num-gpus"], "0");
    EXPECT_EQ(manifest_test::schema_problems({*job}), "");
}

TEST(ray_job, name_of_48_characters_rejected_47_accepted) {
    auto f = manifest_test::seed_form(form::job_type::ray);
    f.name = std::string(48, 'a');
    auto bad = manifest::build_ray_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_FALSE(bad);
    ASSERT_EQ(bad.error().causes.size(), 1u);
    EXPECT_EQ(bad.error().causes[0].field, "name");
    EXPECT_EQ(bad.error().causes[0].reason, "FieldValueTooLong");
    f.name = std::string(47, 'a');
    EXPECT_TRUE(manifest::build_ray_job({.form = f, .job_id = manifest_test::job_id}));
}

TEST(ray_job, missing_command_and_int32_overflowing_deadline_both_reported) {
    auto f = manifest_test::seed_form(form::job_type::ray);
    f.command.clear();
    f.command_is_shell = false;
    f.active_deadline_seconds = std::int64_t{1} << 31;
    auto bad = manifest::build_ray_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_FALSE(bad);
    ASSERT_EQ(bad.error().causes.size(), 2u);
    EXPECT_EQ(bad.error().causes[0].field, "command");
    EXPECT_EQ(bad.error().causes[1].field, "activeDeadlineSeconds");
}

}  // namespace
