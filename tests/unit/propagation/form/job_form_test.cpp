#include "propagation/form/job_form.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace propagation::form {
namespace {

using json = nlohmann::json;

// The seed's "Create a Training Job" request body, verbatim (shared/seeds/002_*.txt).
constexpr const char* seed_request = R"({
    "name": "pytorch-training",
    "namespace": "default",
    "jobType": "pytorch",
    "framework": "pytorch",
    "image": "pytorch/pytorch:2.0.0-cuda11.7-cudnn8-runtime",
    "command": "python train.py --epochs 10",
    "replicas": 4,
    "cpuRequest": "2",
    "memoryRequest": "4Gi",
    "gpuRequest": 1,
    "hyperparameters": {
      "learning_rate": "0.001",
      "batch_size": "32"
    },
    "targetClusters": ["cluster-1", "cluster-2"]
  })";

std::string describe(const error& e) {
    std::string out = e.message;
    for (const auto& c : e.causes) {
        out += "\n  [" + c.reason + "] " + c.field + ": " + c.message;
    }
    return out;
}

TEST(job_form, accepts_the_seed_request_verbatim) {
    auto f = parse_job_form_text(seed_request);
    ASSERT_TRUE(f.has_value()) << describe(f.error());
    EXPECT_EQ(f->name, "pytorch-training");
    EXPECT_EQ(f->namespace_, "default");
    EXPECT_EQ(f->type, job_type::pytorch);
    EXPECT_EQ(f->framework, "pytorch");
    EXPECT_EQ(f->image, "pytorch/pytorch:2.0.0-cuda11.7-cudnn8-runtime");
    EXPECT_EQ(f->command, std::vector<std::string>{"python train.py --epochs 10"});
    EXPECT_TRUE(f->command_is_shell);
    EXPECT_EQ(f->replicas, 4);
    ASSERT_TRUE(f->cpu_request.has_value());
    EXPECT_EQ(f->cpu_request->to_string(), "2");
    ASSERT_TRUE(f->memory_request.has_value());
    EXPECT_EQ(f->memory_request->value(), 4LL << 30);
    EXPECT_EQ(f->gpu_request, 1);
    EXPECT_EQ(f->gpu_resource, "nvidia.com/gpu");
    EXPECT_EQ(f->hyperparameters.at("learning_rate"), "0.001");
    EXPECT_EQ(f->hyperparameters.at("batch_size"), "32");
    EXPECT_EQ(f->target_clusters, (std::vector<std::string>{"cluster-1", "cluster-2"}));
    EXPECT_EQ(f->effective_strategy(), placement_strategy::single);
}

TEST(job_form, fills_defaults_for_a_minimal_form) {
    auto f = parse_job_form(json{{"name", "train"}, {"image", "busybox"}});
    ASSERT_TRUE(f.has_value()) << describe(f.error());
    EXPECT_EQ(f->namespace_, "default");
    EXPECT_EQ(f->type, job_type::job);
    EXPECT_EQ(f->replicas, 1);
    EXPECT_EQ(f->workers_per_node, 1);
    EXPECT_EQ(f->gpu_request, 0);
    EXPECT_EQ(f->gpu_resource, "nvidia.com/gpu");
    EXPECT_FALSE(f->cpu_request.has_value());
    EXPECT_TRUE(f->command.empty());
    EXPECT_EQ(f->effective_strategy(), placement_strategy::spread);
}

TEST(job_form, treats_null_and_blank_optional_strings_as_absent) {
    auto f = parse_job_form(json{{"name", "train"},
                                 {"image", "busybox"},
                                 {"command", ""},
                                 {"cpuLimit", ""},
                                 {"memoryRequest", nullptr},
                                 {"gpuModel", ""},
                                 {"storageClass", ""},
                                 {"jobType", ""},
                                 {"namespace", ""},
                                 {"placement", {{"strategy", ""}}},
                                 {"replicas", nullptr}});
    ASSERT_TRUE(f.has_value()) << describe(f.error());
    EXPECT_TRUE(f->command.empty());
    EXPECT_FALSE(f->command_is_shell);
    EXPECT_FALSE(f->cpu_limit.has_value());
    EXPECT_FALSE(f->memory_request.has_value());
    EXPECT_EQ(f->namespace_, "default");
    EXPECT_EQ(f->type, job_type::job);
    EXPECT_FALSE(f->placement.strategy.has_value());
    EXPECT_EQ(f->replicas, 1);
}

TEST(job_form, converts_hyperparameter_values_to_canonical_text) {
    auto f = parse_job_form_text(R"({"name": "t", "image": "i", "hyperparameters":
        {"lr": 0.001, "epochs": 32, "big": 18446744073709551615, "neg": -3,
         "amp": true, "tag": "v1", "exp": 1e-7}})");
    ASSERT_TRUE(f.has_value()) << describe(f.error());
    EXPECT_EQ(f->hyperparameters.at("lr"), "0.001");
    EXPECT_EQ(f->hyperparameters.at("epochs"), "32");
    EXPECT_EQ(f->hyperparameters.at("big"), "18446744073709551615");
    EXPECT_EQ(f->hyperparameters.at("neg"), "-3");
    EXPECT_EQ(f->hyperparameters.at("amp"), "true");
    EXPECT_EQ(f->hyperparameters.at("tag"), "v1");
    EXPECT_EQ(f->hyperparameters.at("exp"), "1e-07");
    EXPECT_EQ(hyperparameter_env_name("learning_rate"), "HP_LEARNING_RATE");
    EXPECT_EQ(hyperparameter_env_name("a.b-c"), "HP_A_B_C");
}

TEST(job_form, accepts_env_as_object_or_list_and_command_as_array) {
    auto list = parse_job_form_text(R"({"name": "t", "image": "i",
        "command": ["python", "train.py"], "args": ["--x", "1"],
        "env": [{"name": "B", "value": "2"}, {"name": "A"}]})");
    ASSERT_TRUE(list.has_value()) << describe(list.error());
    EXPECT_EQ(list->command, (std::vector<std::string>{"python", "train.py"}));
    EXPECT_FALSE(list->command_is_shell);
    EXPECT_EQ(list->args, (std::vector<std::string>{"--x", "1"}));
    EXPECT_EQ(list->env, (std::vector<env_var>{{"B", "2"}, {"A", ""}}));

    auto object = parse_job_form_text(R"({"name": "t", "image": "i", "env": {"B": "2", "A": ""}})");
    ASSERT_TRUE(object.has_value()) << describe(object.error());
    EXPECT_EQ(object->env, (std::vector<env_var>{{"A", ""}, {"B", "2"}}));
}

TEST(job_form, accepts_numbers_for_quantities_and_integral_floats_for_integers) {
    auto f = parse_job_form_text(R"({"name": "t", "image": "i", "cpuRequest": 0.5,
        "cpuLimit": 2, "memoryRequest": " 1.5Gi ", "replicas": 4.0, "gpuRequest": 2e0})");
    ASSERT_TRUE(f.has_value()) << describe(f.error());
    EXPECT_EQ(f->cpu_request->to_string(), "500m");
    EXPECT_EQ(f->cpu_limit->to_string(), "2");
    EXPECT_EQ(f->memory_request->to_string(), "1536Mi");
    EXPECT_EQ(f->replicas, 4);
    EXPECT_EQ(f->gpu_request, 2);
}

TEST(job_form, round_trips_through_to_json) {
    auto f = parse_job_form_text(R"({
        "name": "resnet", "namespace": "ml", "jobType": "job", "framework": "pytorch",
        "image": "registry.example.com/resnet:1", "command": ["python", "-m", "train"],
        "args": ["--epochs", "3"], "replicas": 6, "workersPerNode": 2,
        "cpuRequest": "1500m", "cpuLimit": "2", "memoryRequest": "0.5Gi", "memoryLimit": "1Gi",
        "gpuRequest": 2, "gpuResource": "amd.com/gpu", "gpuModel": "MI300X",
        "storageClass": "fast-ssd", "storageSize": "100Gi",
        "hyperparameters": {"lr": 0.01, "warmup": true},
        "env": [{"name": "NCCL_DEBUG", "value": "INFO"}], "labels": {"team": "vision"},
        "targetClusters": ["a", "b"],
        "placement": {"strategy": "pack", "clusterWeights": {"a": 3, "b": 1}},
        "priority": 5, "ttlSecondsAfterFinished": 600, "backoffLimit": 2,
        "activeDeadlineSeconds": 86400})");
    ASSERT_TRUE(f.has_value()) << describe(f.error());
    const json j = to_json(*f);
    EXPECT_EQ(j.at("memoryRequest"), "512Mi");
    EXPECT_EQ(j.at("hyperparameters").at("lr"), "0.01");
    auto again = parse_job_form(j);
    ASSERT_TRUE(again.has_value()) << describe(again.error());
    EXPECT_EQ(*again, *f);
    EXPECT_EQ(to_json(*again), j);

    auto seed = parse_job_form_text(seed_request);
    ASSERT_TRUE(seed.has_value());
    auto seed_again = parse_job_form(to_json(*seed));
    ASSERT_TRUE(seed_again.has_value()) << describe(seed_again.error());
    EXPECT_EQ(*seed_again, *seed);
}

// One problem per case: the base form below is valid, each case patches it (JSON merge patch).
struct problem_case {
    std::string test_name;
    std::string patch;
    std::string field;
    std::string reason;
    std::string message_part;
};

class job_form_problem : public testing::TestWithParam<problem_case> {};

TEST_P(job_form_problem, is_reported_with_its_field_path) {
    json doc = {{"name", "train"},
                {"image", "registry.example.com/train:1"},
                {"replicas", 2},
                {"targetClusters", {"cluster-1", "cluster-2"}}};
    doc.merge_patch(json::parse(GetParam().patch));
    auto f = parse_job_form(doc);
    ASSERT_FALSE(f.has_value()) << GetParam().patch;
    EXPECT_EQ(f.error().code, errc::invalid);
    const error e = f.error();  // result::error() returns a copy
    ASSERT_EQ(e.causes.size(), 1u) << describe(e);
    const auto& cause = e.causes[0];
    EXPECT_EQ(cause.field, GetParam().field) << describe(f.error());
    EXPECT_EQ(cause.reason, GetParam().reason) << describe(f.error());
    EXPECT_NE(cause.message.find(GetParam().message_part), std::string::npos)
        << describe(f.error());
}

INSTANTIATE_TEST_SUITE_P(
    every_error_path, job_form_problem,
    testing::Values(
        problem_case{"unknown_top_level_field", R"({"foo": 1})", "foo", "FieldUnknown",
                     R"(unknown field "foo")"},
        problem_case{"unknown_placement_field", R"({"placement": {"weights": {}}})",
                     "placement.weights", "FieldUnknown", R"(unknown field "placement.weights")"},
        problem_case{"unknown_env_item_field", R"({"env": [{"name": "A", "valueFrom": {}}]})",
                     "env[0].valueFrom", "FieldUnknown", "unknown field"},
        problem_case{"name_missing", R"({"name": null})", "name", "FieldValueRequired",
                     "Required value"},
        problem_case{"name_empty", R"({"name": ""})", "name", "FieldValueRequired",
                     "Required value"},
        problem_case{"name_not_a_string", R"({"name": 7})", "name", "FieldValueTypeInvalid",
                     R"(name in body must be of type string: "integer")"},
        problem_case{"name_upper_case", R"({"name": "My_Job"})", "name", "FieldValueInvalid",
                     "a lowercase RFC 1123 label must consist of"},
        problem_case{"name_64_chars", R"({"name": ")" + std::string(64, 'a') + R"("})", "name",
                     "FieldValueInvalid", "must be no more than 63 characters"},
        problem_case{"pytorch_name_leading_digit", R"({"jobType": "pytorch", "name": "1abc"})",
                     "name", "FieldValueInvalid", "a DNS-1035 label"},
        problem_case{"ray_name_48_chars",
                     R"({"jobType": "ray", "name": ")" + std::string(48, 'r') + R"("})", "name",
                     "FieldValueInvalid", "no more than 47 characters"},
        problem_case{"namespace_upper_case", R"({"namespace": "ML"})", "namespace",
                     "FieldValueInvalid", "RFC 1123 label"},
        problem_case{"job_type_unknown", R"({"jobType": "tensorflow"})", "jobType",
                     "FieldValueNotSupported",
                     R"(Unsupported value: "tensorflow": supported values: "job", "pytorch")"},
        problem_case{"image_missing", R"({"image": null})", "image", "FieldValueRequired",
                     "Required value"},
        problem_case{"image_with_space", R"({"image": "busy box"})", "image",
                     "FieldValueInvalid", "must not contain whitespace"},
        problem_case{"command_number", R"({"command": 5})", "command", "FieldValueTypeInvalid",
                     "must be of type string or array"},
        problem_case{"args_element_number", R"({"args": ["--x", 1]})", "args[1]",
                     "FieldValueTypeInvalid", "args[1] in body must be of type string"},
        problem_case{"replicas_string", R"({"replicas": "4"})", "replicas",
                     "FieldValueTypeInvalid",
                     R"(Invalid value: "string": replicas in body must be of type integer: "string")"},
        problem_case{"replicas_fraction", R"({"replicas": 1.5})", "replicas",
                     "FieldValueTypeInvalid", R"(must be of type integer: "number")"},
        problem_case{"replicas_10e12", R"({"replicas": 1000000000000})", "replicas",
                     "FieldValueInvalid",
                     "Invalid value: 1000000000000: must be between 1 and 10000, inclusive"},
        problem_case{"replicas_negative", R"({"replicas": -1})", "replicas", "FieldValueInvalid",
                     "must be between 1 and 10000"},
        problem_case{"replicas_zero", R"({"replicas": 0})", "replicas", "FieldValueInvalid",
                     "must be between 1 and 10000"},
        problem_case{"replicas_2e64", R"({"replicas": 36893488147419103232})", "replicas",
                     "FieldValueInvalid", "must be between 1 and 10000"},
        problem_case{"replicas_uint64_max", R"({"replicas": 18446744073709551615})", "replicas",
                     "FieldValueInvalid", "must be between 1 and 10000"},
        problem_case{"notebook_two_replicas", R"({"jobType": "notebook", "replicas": 2})",
                     "replicas", "FieldValueInvalid", "a notebook runs exactly 1 replica"},
        problem_case{"workers_per_node_zero", R"({"workersPerNode": 0})", "workersPerNode",
                     "FieldValueInvalid", "must be between 1 and 1024"},
        problem_case{"cpu_request_garbage", R"({"cpuRequest": "two"})", "cpuRequest",
                     "FieldValueInvalid", "quantities must match the regular expression"},
        problem_case{"cpu_request_overflow", R"({"cpuRequest": "12E"})", "cpuRequest",
                     "FieldValueInvalid", "quantity is too large"},
        problem_case{"cpu_request_object", R"({"cpuRequest": {"v": 1}})", "cpuRequest",
                     "FieldValueTypeInvalid", R"(must be of type string: "object")"},
        problem_case{"memory_request_negative", R"({"memoryRequest": "-1Gi"})", "memoryRequest",
                     "FieldValueInvalid", R"(Invalid value: "-1Gi": must be greater than or equal to 0)"},
        problem_case{"cpu_request_above_limit", R"({"cpuRequest": "2", "cpuLimit": "1"})",
                     "cpuRequest", "FieldValueInvalid",
                     R"(Invalid value: "2": must be less than or equal to cpu limit of 1)"},
        problem_case{"memory_request_above_limit",
                     R"({"memoryRequest": "8Gi", "memoryLimit": "4096Mi"})", "memoryRequest",
                     "FieldValueInvalid", "must be less than or equal to memory limit of 4Gi"},
        problem_case{"gpu_request_65", R"({"gpuRequest": 65})", "gpuRequest",
                     "FieldValueInvalid", "must be between 0 and 64, inclusive"},
        problem_case{"gpu_request_string", R"({"gpuRequest": "1"})", "gpuRequest",
                     "FieldValueTypeInvalid", "must be of type integer"},
        problem_case{"gpu_resource_cpu", R"({"gpuResource": "cpu"})", "gpuResource",
                     "FieldValueInvalid", "built-in resources such as cpu and memory are not GPUs"},
        problem_case{"gpu_resource_kubernetes_io", R"({"gpuResource": "kubernetes.io/gpu"})",
                     "gpuResource", "FieldValueInvalid", "outside the kubernetes.io namespace"},
        problem_case{"gpu_model_with_space", R"({"gpuModel": "A100 80GB"})", "gpuModel",
                     "FieldValueInvalid", "a valid label must be an empty string"},
        problem_case{"storage_class_without_size", R"({"storageClass": "fast"})", "storageSize",
                     "FieldValueRequired", "needs a size"},
        problem_case{"storage_size_zero", R"({"storageSize": "0"})", "storageSize",
                     "FieldValueInvalid", "must be greater than 0"},
        problem_case{"hyperparameter_nested_object", R"({"hyperparameters": {"lr": {"v": 1}}})",
                     "hyperparameters.lr", "FieldValueTypeInvalid",
                     "must be of type string, number or boolean"},
        problem_case{"hyperparameter_array", R"({"hyperparameters": {"lr": []}})",
                     "hyperparameters.lr", "FieldValueTypeInvalid", R"("array")"},
        problem_case{"hyperparameter_bad_key", R"({"hyperparameters": {"1lr": 1}})",
                     "hyperparameters.1lr", "FieldValueInvalid", "a hyperparameter name"},
        problem_case{"hyperparameter_keys_collide", R"({"hyperparameters": {"a-b": 1, "a_b": 2}})",
                     "hyperparameters.a_b", "FieldValueDuplicate", R"(Duplicate value: "HP_A_B")"},
        problem_case{"hyperparameter_env_collision",
                     R"({"hyperparameters": {"lr": 1}, "env": {"HP_LR": "2"}})",
                     "hyperparameters.lr", "FieldValueDuplicate", "also set in env"},
        problem_case{"env_duplicate_name", R"({"env": [{"name": "A"}, {"name": "A"}]})",
                     "env[1].name", "FieldValueDuplicate", R"(Duplicate value: "A")"},
        problem_case{"env_bad_name", R"({"env": [{"name": "1X", "value": "v"}]})", "env[0].name",
                     "FieldValueInvalid", "a valid environment variable name"},
        problem_case{"env_missing_name", R"({"env": [{"value": "v"}]})", "env[0].name",
                     "FieldValueRequired", "Required value"},
        problem_case{"env_value_number", R"({"env": {"A": 1}})", "env.A", "FieldValueTypeInvalid",
                     "must be of type string"},
        problem_case{"label_bad_value", R"({"labels": {"team": "a b"}})", "labels.team",
                     "FieldValueInvalid", "a valid label must be"},
        problem_case{"label_bad_key", R"({"labels": {"a/b/c": "x"}})", "labels.a/b/c",
                     "FieldValueInvalid", "a valid label key"},
        problem_case{"target_cluster_duplicate", R"({"targetClusters": ["c1", "c1"]})",
                     "targetClusters[1]", "FieldValueDuplicate", R"(Duplicate value: "c1")"},
        problem_case{"target_cluster_bad_name", R"({"targetClusters": ["c1", "Cluster_2"]})",
                     "targetClusters[1]", "FieldValueInvalid", "RFC 1123 label"},
        problem_case{"target_cluster_49_chars",
                     R"({"targetClusters": [")" + std::string(49, 'c') + R"("]})",
                     "targetClusters[0]", "FieldValueInvalid", "no more than 48 characters"},
        problem_case{"target_clusters_string", R"({"targetClusters": "c1"})", "targetClusters",
                     "FieldValueTypeInvalid", "must be of type array"},
        problem_case{"strategy_unknown", R"({"placement": {"strategy": "random"}})",
                     "placement.strategy", "FieldValueNotSupported",
                     R"(supported values: "spread", "pack", "single", "duplicate")"},
        problem_case{"pytorch_spread", R"({"jobType": "pytorch", "placement": {"strategy": "spread"}})",
                     "placement.strategy", "FieldValueInvalid", R"(only "single" is supported)"},
        problem_case{"weight_zero", R"({"placement": {"clusterWeights": {"cluster-1": 0}}})",
                     "placement.clusterWeights.cluster-1", "FieldValueInvalid",
                     "must be between 1 and 1000000"},
        problem_case{"weight_fraction", R"({"placement": {"clusterWeights": {"cluster-1": 1.5}}})",
                     "placement.clusterWeights.cluster-1", "FieldValueTypeInvalid",
                     "must be of type integer"},
        problem_case{"weight_string", R"({"placement": {"clusterWeights": {"cluster-1": "2"}}})",
                     "placement.clusterWeights.cluster-1", "FieldValueTypeInvalid",
                     "must be of type integer"},
        problem_case{"weight_unlisted_cluster",
                     R"({"placement": {"clusterWeights": {"cluster-9": 2}}})",
                     "placement.clusterWeights.cluster-9", "FieldValueInvalid",
                     "is not one of targetClusters"},
        problem_case{"priority_too_high", R"({"priority": 2000000000})", "priority",
                     "FieldValueInvalid", "must be less than or equal to 1000000000"},
        problem_case{"ttl_negative", R"({"ttlSecondsAfterFinished": -1})",
                     "ttlSecondsAfterFinished", "FieldValueInvalid",
                     "must be greater than or equal to 0"},
        problem_case{"backoff_limit_too_big", R"({"backoffLimit": 2147483648})", "backoffLimit",
                     "FieldValueInvalid", "must be between 0 and 2147483647, inclusive"},
        problem_case{"active_deadline_zero", R"({"activeDeadlineSeconds": 0})",
                     "activeDeadlineSeconds", "FieldValueInvalid", "must be greater than 0"}),
    [](const auto& p) { return p.param.test_name; });

TEST(job_form, reports_ten_problems_as_ten_causes) {
    auto f = parse_job_form_text(R"({
        "name": "Bad_Name", "image": "", "replicas": -3, "cpuRequest": "x",
        "gpuRequest": 1.5, "extra": true, "env": [{"name": "A"}, {"name": "A"}],
        "targetClusters": ["c1", "c1"], "placement": {"strategy": "wide"},
        "priority": "high"})");
    ASSERT_FALSE(f.has_value());
    const error e = f.error();
    std::vector<std::string> fields;
    for (const auto& c : e.causes) {
        fields.push_back(c.field);
    }
    EXPECT_EQ(fields, (std::vector<std::string>{"extra", "name", "image", "replicas",
                                                "cpuRequest", "gpuRequest", "env[1].name",
                                                "targetClusters[1]", "placement.strategy",
                                                "priority"}))
        << describe(f.error());
    EXPECT_EQ(f.error().reason, "Invalid");
}

TEST(job_form, caps_the_number_of_causes) {
    json doc = {{"name", "t"}, {"image", "i"}};
    for (int i = 0; i < 500; ++i) {
        doc["unknown" + std::to_string(i)] = i;
    }
    auto f = parse_job_form(doc);
    ASSERT_FALSE(f.has_value());
    const error e = f.error();
    ASSERT_EQ(e.causes.size(), form_limits{}.max_causes + 1);
    EXPECT_EQ(e.causes.back().message, "and 300 more problems not listed");
}

struct bad_text_case {
    std::string test_name;
    std::string text;
    std::string message_part;
};

class job_form_bad_text : public testing::TestWithParam<bad_text_case> {};

TEST_P(job_form_bad_text, is_bad_input) {
    auto f = parse_job_form_text(GetParam().text);
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error().code, errc::bad_input) << f.error().message;
    EXPECT_NE(f.error().message.find(GetParam().message_part), std::string::npos)
        << f.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    table, job_form_bad_text,
    testing::Values(
        bad_text_case{"truncated_json", R"({"name": "a")", "invalid JSON"},
        bad_text_case{"syntax_error_names_position", R"({"name" "a"})", "column 11"},
        bad_text_case{"empty_text", "", "invalid JSON"},
        bad_text_case{"top_level_array", "[1, 2]", "must be a JSON object, not array"},
        bad_text_case{"top_level_string", R"("form")", "must be a JSON object, not string"},
        bad_text_case{"nested_1000_deep", std::string(1000, '[') + std::string(1000, ']'),
                      "nests deeper than 64"},
        bad_text_case{"number_overflows_double", R"({"replicas": 1e400})", "invalid JSON"},
        bad_text_case{"over_one_mebibyte",
                      R"({"name": ")" + std::string(1024 * 1024, 'a') + R"("})", "limit"}),
    [](const auto& p) { return p.param.test_name; });

TEST(job_form, to_string_names_types_and_strategies) {
    EXPECT_EQ(to_string(job_type::volcano), "volcano");
    EXPECT_EQ(to_string(placement_strategy::duplicate), "duplicate");
    job_form f;
    f.type = job_type::ray;
    EXPECT_EQ(f.effective_strategy(), placement_strategy::single);
    f.placement.strategy = placement_strategy::single;
    EXPECT_EQ(f.effective_strategy(), placement_strategy::single);
}

}  // namespace
}  // namespace propagation::form
