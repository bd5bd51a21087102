#include "propagation/manifest/pod_template.hpp"

#include "tests/unit/propagation/manifest/manifest_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace propagation;
using nlohmann::json;

struct env_name_case {
    const char* key;
    const char* env;
};

TEST(pod_template, hyperparameter_env_names) {
    const env_name_case cases[] = {
        {"learning_rate", "HP_LEARNING_RATE"},
        {"batch-size", "HP_BATCH_SIZE"},
        {"a.b/c", "HP_A_B_C"},
        {"Epochs2", "HP_EPOCHS2"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(manifest::hyperparameter_env_name(c.key), c.env) << c.key;
    }
}

TEST(pod_template, shell_quoting) {
    const std::pair<const char*, const char*> cases[] = {
        {"--lr=0.001", "--lr=0.001"}, {"a b", "'a b'"}, {"it's", "'it'\\''s'"}, {"", "''"},
        {"$HOME", "'$HOME'"},
    };
    for (const auto& [in, out] : cases) {
        EXPECT_EQ(manifest::shell_quote(in), out) << in;
    }
}

TEST(pod_template, shell_command_with_args_passes_them_through_dollar_at) {
    const auto f = manifest_test::seed_form();
    const manifest::build_input in{.form = f, .job_id = manifest_test::job_id};
    const json c = manifest::container(in, {.name = "main"});
    EXPECT_EQ(c["command"], json({"/bin/sh", "-c", "python train.py --epochs 10 \"$@\"", "sh"}));
    // Hyperparameters in key order, after the form's args (none here).
    EXPECT_EQ(c["args"], json({"--batch_size=32", "--learning_rate=0.001"}));
}

TEST(pod_template, shell_command_without_args_is_plain_sh_c) {
    auto f = manifest_test::seed_form();
    f.hyperparameters.clear();
    const manifest::build_input in{.form = f, .job_id = manifest_test::job_id};
    const json c = manifest::container(in, {.name = "main"});
    EXPECT_EQ(c["command"], json({"/bin/sh", "-c", "python train.py --epochs 10"}));
    EXPECT_FALSE(c.contains("args"));
    EXPECT_FALSE(c.contains("env"));
}

TEST(pod_template, array_command_and_args_kept_in_order) {
    auto f = manifest_test::seed_form();
    f.command = {"python", "train.py"};
    f.command_is_shell = false;
    f.args = {"--epochs", "10"};
    f.env = {{"NCCL_DEBUG", "INFO"}, {"A", "1"}};
    const manifest::build_input in{.form = f, .job_id = manifest_test::job_id};
    const json c = manifest::container(in, {.name = "main"});
    EXPECT_EQ(c["command"], json({"python", "train.py"}));
    EXPECT_EQ(c["args"], json({"--epochs", "10", "--batch_size=32", "--learning_rate=0.001"}));
    EXPECT_EQ(c["env"], json::parse(R"([{"name":"NCCL_DEBUG","value":"INFO"},
        {"name":"A","value":"1"},{"name":"HP_BATCH_SIZE","value":"32"},
        {"name":"HP_LEARNING_RATE","value":"0.001"}])"));
}

TEST(pod_template, shell_command_line_for_ray_entrypoints) {
    auto f = manifest_test::seed_form();
    EXPECT_EQ(manifest::shell_command_line(f),
              "python train.py --epochs 10 --batch_size=32 --learning_rate=0.001");
    f.command = {"python", "my script.py"};
    f.command_is_shell = false;
    f.args = {"--name", "it's"};
    f.hyperparameters.clear();
    EXPECT_EQ(manifest::shell_command_line(f), "python 'my script.py' --name 'it'\\''s'");
    // A first word with "=" would be a variable assignment: quoted even though it is safe.
    f.command = {"A=b", "x=y"};
    f.args.clear();
    EXPECT_EQ(manifest::shell_command_line(f), "'A=b' x=y");
}

TEST(pod_template, gpu_request_sets_request_limit_toleration_and_model_selector) {
    auto f = manifest_test::seed_form();
    f.gpu_request = 2;
    f.gpu_model = "NVIDIA-A100-SXM4-80GB";
    f.cpu_limit = quantity::parse("4").value();
    const manifest::build_input in{.form = f, .job_id = manifest_test::job_id};
    json spec = manifest::pod_spec(in, manifest::container(in, {.name = "main"}), true);
    const json& res = spec["containers"][0]["resources"];
    EXPECT_EQ(res["requests"], json::parse(R"({"cpu":"2","memory":"4Gi","nvidia.com/gpu":"2"})"));
    EXPECT_EQ(res["limits"], json::parse(R"({"cpu":"4","nvidia.com/gpu":"2"})"));
    EXPECT_EQ(
        spec["tolerations"],
        json::parse(R"([{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}])"));
    EXPECT_EQ(spec["nodeSelector"],
              json::parse(R"({"nvidia.com/gpu.product":"NVIDIA-A100-SXM4-80GB"})"));
}

TEST(pod_template, no_gpus_no_toleration_no_selector) {
    auto f = manifest_test::seed_form();
    f.gpu_request = 0;
    f.gpu_model = "A100";
    const manifest::build_input in{.form = f, .job_id = manifest_test::job_id};
    json spec = manifest::pod_spec(in, manifest::container(in, {.name = "main"}), true);
    EXPECT_FALSE(spec.contains("tolerations"));
    EXPECT_FALSE(spec.contains("nodeSelector"));
    EXPECT_FALSE(spec["containers"][0]["resources"]["requests"].contains("nvidia.com/gpu"));
}

TEST(pod_template, node_selector_label_is_an_option_and_can_be_turned_off) {
    auto f = manifest_test::seed_form();
    f.gpu_model = "H100";
    manifest::build_options opts;
    opts.gpu_model_node_label = "example.com/gpu-model";
    const manifest::build_input custom{.form = f, .job_id = manifest_test::job_id, .options = opts};
    EXPECT_EQ(manifest::pod_spec(custom, json::object(), true)["nodeSelector"],
              json::parse(R"({"example.com/gpu-model":"H100"})"));
    opts.gpu_model_node_label.clear();
    EXPECT_FALSE(manifest::pod_spec(custom, json::object(), true).contains("nodeSelector"));
}

TEST(pod_template, storage_adds_volume_and_mount) {
    auto f = manifest_test::seed_form();
    f.storage_size = quantity::parse("10Gi").value();
    const manifest::build_input in{.form = f, .job_id = manifest_test::job_id};
    json spec = manifest::pod_spec(in, manifest::container(in, {.name = "main"}), true);
    EXPECT_EQ(
        spec["volumes"],
        json::parse(
            R"([{"name":"data","persistentVolumeClaim":{"claimName":"pytorch-training-data"}}])"));
    EXPECT_EQ(spec["containers"][0]["volumeMounts"],
              json::parse(R"([{"name":"data","mountPath":"/data"}])"));
}

TEST(pod_template, metadata_labels_job_id_wins_and_priority_annotation_only_on_workloads) {
    auto f = manifest_test::seed_form();
    f.labels = {{"team", "vision"}, {"broker.gpufed.io/job-id", "forged"}};
    f.priority = 100;
    const manifest::build_input in{.form = f, .job_id = manifest_test::job_id};
    const json workload = manifest::object_metadata(in, "x", true);
    EXPECT_EQ(workload["labels"]["team"], "vision");
    EXPECT_EQ(workload["labels"]["broker.gpufed.io/job-id"], manifest_test::job_id);
    EXPECT_EQ(workload["annotations"]["broker.gpufed.io/priority"], "100");
    EXPECT_EQ(workload["namespace"], "default");
    EXPECT_FALSE(manifest::object_metadata(in, "x", false).contains("annotations"));
    f.priority = 0;
    EXPECT_FALSE(manifest::object_metadata(in, "x", true).contains("annotations"));
}

}  // namespace
