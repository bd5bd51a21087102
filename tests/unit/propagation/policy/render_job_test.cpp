#include "propagation/policy/render_job.hpp"

#include "tests/unit/propagation/manifest/manifest_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace propagation;

TEST(render_job, seed_with_storage_policy_first_then_pvc_then_workload) {
    auto f = manifest_test::seed_form();
    f.storage_size = quantity::parse("10Gi").value();
    const auto p = manifest_test::single_cluster("cluster-1", 4);
    auto r = policy::render_job({.form = f, .job_id = manifest_test::job_id, .placement = &p});
    ASSERT_TRUE(r) << r.error().message;
    const auto order = r->creation_order();
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order[0]["kind"], "PropagationPolicy");
    EXPECT_EQ(order[1]["kind"], "PersistentVolumeClaim");
    EXPECT_EQ(order[2]["kind"], "PyTorchJob");
    EXPECT_EQ(order[0]["spec"]["resourceSelectors"].size(), 2u);
}

TEST(render_job, without_placement_is_an_error_on_placement) {
    const auto f = manifest_test::seed_form();
    auto r = policy::render_job({.form = f, .job_id = manifest_test::job_id});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().causes.at(0).field, "placement");
}

TEST(render_job, builder_errors_pass_through) {
    auto f = manifest_test::seed_form(form::job_type::ray);
    f.name = std::string(50, 'r');
    const auto p = manifest_test::single_cluster("cluster-1", 4);
    auto r = policy::render_job({.form = f, .job_id = manifest_test::job_id, .placement = &p});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().causes.at(0).field, "name");
}

}  // namespace
