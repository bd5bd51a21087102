#include "propagation/manifest/manifest_builder.hpp"

#include "tests/unit/propagation/manifest/manifest_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace propagation;
using nlohmann::json;

struct kind_case {
    form::job_type type;
    const char* api_version;
    const char* kind;
};

TEST(manifest_builder, every_job_type_with_storage_pvc_first_then_valid_workload) {
    SKIP_WITHOUT_SHARED();
    const kind_case cases[] = {
        {form::job_type::job, "batch/v1", "Job"},
        {form::job_type::pytorch, "kubeflow.org/v1", "PyTorchJob"},
        {form::job_type::ray, "ray.io/v1", "RayJob"},
        {form::job_type::volcano, "batch.volcano.sh/v1alpha1", "Job"},
        {form::job_type::notebook, "apps/v1", "Deployment"},
    };
    for (const auto& c : cases) {
        auto f = manifest_test::seed_form(c.type);
        f.storage_size = quantity::parse("50Gi").value();
        f.gpu_model = "A100";
        f.labels = {{"team", "vision"}};
        f.priority = 10;
        auto objects = manifest::build_manifests({.form = f, .job_id = manifest_test::job_id});
        ASSERT_TRUE(objects) << c.kind << ": " << objects.error().message;
        ASSERT_GE(objects->size(), 2u);
        EXPECT_EQ((*objects)[0]["kind"], "PersistentVolumeClaim") << c.kind;
        // Four replicas share the volume; a notebook is always one pod.
        EXPECT_EQ((*objects)[0]["spec"]["accessModes"][0],
                  c.type == form::job_type::notebook ? "ReadWriteOnce" : "ReadWriteMany")
            << c.kind;
        EXPECT_EQ((*objects)[1]["apiVersion"], c.api_version);
        EXPECT_EQ((*objects)[1]["kind"], c.kind);
        EXPECT_EQ(manifest_test::schema_problems(*objects), "") << c.kind;
    }
}

// The status loop finds a job's ResourceBinding by workload_kind and the form's name instead of
// reading the rendered manifests back: both must name the object build_manifests makes.
TEST(manifest_builder, workload_kind_names_the_built_workload) {
    for (auto t : {form::job_type::job, form::job_type::pytorch, form::job_type::ray,
                   form::job_type::volcano, form::job_type::notebook}) {
        auto f = manifest_test::seed_form(t);
        f.storage_size = quantity::parse("50Gi").value();
        auto objects = manifest::build_manifests({.form = f, .job_id = manifest_test::job_id});
        ASSERT_TRUE(objects) << form::to_string(t) << ": " << objects.error().message;
        int workloads = 0;
        for (const auto& o : *objects) {
            if (o["kind"] == manifest::workload_kind(t)) {
                ++workloads;
                EXPECT_EQ(o["metadata"]["name"], f.name) << form::to_string(t);
            }
        }
        EXPECT_EQ(workloads, 1) << form::to_string(t);
    }
}

// Every kind × {no GPU, no storage, array command, limits, env, deadline/ttl/backoff}: still
// schema-valid (the first test covers the GPU-model + storage + labels + priority variant).
TEST(manifest_builder, every_job_type_plain_variants_are_schema_valid) {
    SKIP_WITHOUT_SHARED();
    for (auto type : {form::job_type::job, form::job_type::pytorch, form::job_type::ray,
                      form::job_type::volcano, form::job_type::notebook}) {
        for (int variant = 0; variant < 3; ++variant) {
            auto f = manifest_test::seed_form(type);
            if (variant == 0) {
                f.gpu_request = 0;
                f.hyperparameters.clear();
                f.replicas = 1;
            } else if (variant == 1) {
                f.command = {"python", "-u", "train.py"};
                f.command_is_shell = false;
                f.args = {"--epochs", "3"};
                f.cpu_limit = quantity::parse("2500m").value();
                f.memory_limit = quantity::parse("8Gi").value();
                f.env = {{"A", "1"}, {"B", ""}};
                f.gpu_resource = "amd.com/gpu";
            } else {
                f.backoff_limit = 0;
                f.ttl_seconds_after_finished = 0;
                f.active_deadline_seconds = 1;
                f.workers_per_node = 4;
                f.replicas = 2;
            }
            auto objects = manifest::build_manifests({.form = f, .job_id = manifest_test::job_id});
            ASSERT_TRUE(objects) << static_cast<int>(type) << "/" << variant;
            EXPECT_EQ(manifest_test::schema_problems(*objects), "")
                << static_cast<int>(type) << "/" << variant;
        }
    }
}

TEST(manifest_builder, same_input_same_output) {
    const auto f = manifest_test::seed_form();
    const manifest::build_input in{.form = f, .job_id = manifest_test::job_id};
    auto a = manifest::build_manifests(in);
    auto b = manifest::build_manifests(in);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
}

TEST(manifest_builder, job_id_must_be_a_label_value) {
    const auto f = manifest_test::seed_form();
    for (const char* id : {"", "not a label", "-leading-dash"}) {
        auto r = manifest::build_manifests({.form = f, .job_id = id});
        ASSERT_FALSE(r) << id;
        EXPECT_EQ(r.error().causes.at(0).field, "jobId") << id;
    }
}

struct placement_case {
    const char* name;
    form::job_type type;
    form::placement_strategy strategy;
    std::vector<placement::cluster_assignment> clusters;
    bool ok;
};

TEST(manifest_builder, placement_must_fit_the_kind) {
    using form::job_type;
    using form::placement_strategy;
    const placement_case cases[] = {
        {"job 4 replicas spread 3:1",
         job_type::job,
         placement_strategy::spread,
         {{"a", 3, 3}, {"b", 1, 1}},
         true},
        {"job 4 replicas spread 3:2 (adds to 5)",
         job_type::job,
         placement_strategy::spread,
         {{"a", 3, 3}, {"b", 2, 2}},
         false},
        {"pytorch 4 replicas single",
         job_type::pytorch,
         placement_strategy::single,
         {{"a", 4, 4}},
         true},
        {"pytorch 4 replicas split 2:2",
         job_type::pytorch,
         placement_strategy::spread,
         {{"a", 2, 2}, {"b", 2, 2}},
         false},
        {"ray duplicated 4+4",
         job_type::ray,
         placement_strategy::duplicate,
         {{"a", 4, 4}, {"b", 4, 4}},
         true},
        {"ray duplicated 4+3",
         job_type::ray,
         placement_strategy::duplicate,
         {{"a", 4, 4}, {"b", 3, 3}},
         false},
        {"job no cluster", job_type::job, placement_strategy::spread, {}, false},
    };
    for (const auto& c : cases) {
        const auto f = manifest_test::seed_form(c.type);
        placement::placement p;
        p.strategy = c.strategy;
        p.clusters = c.clusters;
        EXPECT_EQ(static_cast<bool>(manifest::check_placement(f, p)), c.ok) << c.name;
        auto built = manifest::build_manifests(
            {.form = f, .job_id = manifest_test::job_id, .placement = &p});
        EXPECT_EQ(static_cast<bool>(built), c.ok) << c.name;
        if (!c.ok && !built) {
            EXPECT_EQ(built.error().causes.at(0).field.rfind("placement.clusters", 0), 0u)
                << c.name;
        }
    }
}

}  // namespace
