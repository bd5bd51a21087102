#include "propagation/status/job_status.hpp"

#include <gtest/gtest.h>

namespace propagation::status {
namespace {

using nlohmann::json;
using form::job_type;

json binding_with(json aggregated) {
    return {{"status", {{"aggregatedStatus", std::move(aggregated)}}}};
}

json job_status_item(const char* cluster, json status) {
    return {{"clusterName", cluster}, {"applied", true}, {"health", "Healthy"},
            {"status", std::move(status)}};
}

const std::vector<cluster_status> two_clusters = {{"c1", 2, {}, {}}, {"c2", 1, {}, {}}};

TEST(member_state, batch_job_conditions_and_active_count) {
    EXPECT_EQ(member_state(job_type::job, json::object()), cluster_state::pending);
    EXPECT_EQ(member_state(job_type::job, {{"active", 2}}), cluster_state::running);
    EXPECT_EQ(member_state(job_type::job,
                           {{"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}),
              cluster_state::succeeded);
    std::string message;
    EXPECT_EQ(member_state(job_type::job,
                           {{"conditions",
                             {{{"type", "Failed"}, {"status", "True"},
                               {"message", "Job has reached the specified backoff limit"}}}}},
                           &message),
              cluster_state::failed);
    EXPECT_EQ(message, "Job has reached the specified backoff limit");
    EXPECT_EQ(member_state(job_type::job,
                           {{"conditions", {{{"type", "Complete"}, {"status", "False"}}}}}),
              cluster_state::pending);
}

TEST(member_state, pytorch_uses_the_newest_true_condition) {
    json s = {{"conditions",
               {{{"type", "Created"}, {"status", "True"}},
                {{"type", "Running"}, {"status", "False"}},
                {{"type", "Succeeded"}, {"status", "True"}}}}};
    EXPECT_EQ(member_state(job_type::pytorch, s), cluster_state::succeeded);
    s["conditions"][2]["type"] = "Running";
    EXPECT_EQ(member_state(job_type::pytorch, s), cluster_state::running);
}

TEST(member_state, ray_volcano_and_notebook_shapes) {
    EXPECT_EQ(member_state(job_type::ray, {{"jobDeploymentStatus", "Complete"},
                                           {"jobStatus", "SUCCEEDED"}}),
              cluster_state::succeeded);
    EXPECT_EQ(member_state(job_type::ray, {{"jobDeploymentStatus", "Complete"},
                                           {"jobStatus", "FAILED"}}),
              cluster_state::failed);
    EXPECT_EQ(member_state(job_type::ray, {{"jobDeploymentStatus", "Initializing"}}),
              cluster_state::pending);
    EXPECT_EQ(member_state(job_type::volcano, {{"state", {{"phase", "Completed"}}}}),
              cluster_state::succeeded);
    EXPECT_EQ(member_state(job_type::volcano, {{"state", {{"phase", "Aborted"}}}}),
              cluster_state::failed);
    EXPECT_EQ(member_state(job_type::notebook, {{"availableReplicas", 1}}),
              cluster_state::running);
}

TEST(derive, divided_job_succeeds_only_when_every_part_succeeded) {
    const json complete = {{"conditions", {{{"type", "Complete"}, {"status", "True"}}}}};
    auto one_done = derive(job_type::job,
                           binding_with({job_status_item("c1", complete),
                                         job_status_item("c2", {{"active", 1}})}),
                           two_clusters);
    EXPECT_EQ(one_done.state, job_state::running);
    ASSERT_EQ(one_done.clusters.size(), 2U);
    EXPECT_EQ(one_done.clusters[0].state, cluster_state::succeeded);
    EXPECT_EQ(one_done.clusters[0].replicas, 2);
    EXPECT_EQ(one_done.clusters[1].state, cluster_state::running);

    auto both = derive(job_type::job,
                       binding_with({job_status_item("c1", complete),
                                     job_status_item("c2", complete)}),
                       two_clusters);
    EXPECT_EQ(both.state, job_state::succeeded);
}

TEST(derive, fails_as_soon_as_one_part_fails_naming_the_cluster) {
    const json failed = {{"conditions",
                          {{{"type", "Failed"}, {"status", "True"}, {"message", "BackoffLimit"}}}}};
    auto s = derive(job_type::job,
                    binding_with({job_status_item("c1", {{"active", 1}}),
                                  job_status_item("c2", failed)}),
                    two_clusters);
    EXPECT_EQ(s.state, job_state::failed);
    EXPECT_EQ(s.message, "failed in cluster c2: BackoffLimit");
}

TEST(derive, no_binding_yet_means_running_and_waiting) {
    auto s = derive(job_type::job, json(), two_clusters);
    EXPECT_EQ(s.state, job_state::running);
    EXPECT_EQ(s.message, "waiting for pods to start");
    EXPECT_EQ(s.clusters[1].state, cluster_state::pending);
}

TEST(derive, apply_failures_and_unschedulable_bindings_are_reported) {
    json binding = binding_with({{{"clusterName", "c1"}, {"applied", false},
                                  {"appliedMessage", "conflict: object exists"}}});
    binding["status"]["conditions"] = {
        {{"type", "Scheduled"}, {"status", "False"}, {"message", "0/3 clusters are available"}}};
    auto s = derive(job_type::job, binding, two_clusters);
    EXPECT_EQ(s.state, job_state::running);
    EXPECT_EQ(s.message, "Karmada could not schedule the job: 0/3 clusters are available");
    EXPECT_EQ(s.clusters[0].message, "conflict: object exists");
}

TEST(job_state_names, round_trip) {
    for (auto st : {job_state::queued, job_state::submitting, job_state::running,
                    job_state::succeeded, job_state::failed, job_state::cancelled}) {
        EXPECT_EQ(parse_job_state(to_string(st)), st);
    }
    EXPECT_FALSE(parse_job_state("Done"));
    EXPECT_FALSE(parse_job_state("running"));
    EXPECT_TRUE(is_terminal(job_state::cancelled));
    EXPECT_FALSE(is_terminal(job_state::queued));
}

}  // namespace
}  // namespace propagation::status
