// Tests of the schema walker itself (tests/support/crd_schema.*): every rule must be able to
// fail, so each case pairs a value that passes with values that must not.

#include "tests/support/crd_schema.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using test_support::schema_violation;

struct walker_case {
    const char* name;
    const char* schema;
    const char* value;
    std::vector<std::string> paths;  ///< paths of the expected violations; empty: valid
};

// Paths of the violations, for comparison (messages are checked by the next test).
std::vector<std::string> paths_of(const std::vector<schema_violation>& v) {
    std::vector<std::string> out;
    for (const auto& x : v) {
        out.push_back(x.path);
    }
    return out;
}

TEST(crd_schema_walker, rules_pass_and_fail) {
    const char* obj = R"({"type":"object","required":["a"],
        "properties":{"a":{"type":"integer","format":"int32"},"b":{"type":"string"}}})";
    const walker_case cases[] = {
        {"valid object", obj, R"({"a":1,"b":"x"})", {}},
        {"integer field given a string", obj, R"({"a":"1"})", {"a"}},
        {"integer field given 1.5", obj, R"({"a":1.5})", {"a"}},
        {"int32 overflow", obj, R"({"a":2147483648})", {"a"}},
        {"string field given a number", obj, R"({"a":1,"b":2})", {"b"}},
        {"unknown field", obj, R"({"a":1,"c":true})", {"c"}},
        {"missing required", obj, R"({"b":"x"})", {"a"}},
        {"null not nullable", obj, R"({"a":null})", {"a"}},
        {"nullable null", R"({"type":"string","nullable":true})", "null", {}},
        {"enum ok", R"({"type":"string","enum":["Divided","Duplicated"]})", R"("Divided")", {}},
        {"bad enum",
         R"({"type":"string","enum":["Divided","Duplicated"]})",
         R"("Split")",
         {"<root>"}},
        {"pattern ok", R"({"type":"string","pattern":"^[a-z]+$"})", R"("abc")", {}},
        {"pattern mismatch", R"({"type":"string","pattern":"^[a-z]+$"})", R"("aB")", {"<root>"}},
        {"maxLength", R"({"type":"string","maxLength":3})", R"("abcd")", {"<root>"}},
        {"minimum", R"({"type":"integer","minimum":1})", "0", {"<root>"}},
        {"maximum", R"({"type":"integer","maximum":1})", "2", {"<root>"}},
        {"number accepts integer", R"({"type":"number"})", "2", {}},
        {"boolean given string", R"({"type":"boolean"})", R"("true")", {"<root>"}},
        {"int-or-string int", R"({"x-kubernetes-int-or-string":true})", "3", {}},
        {"int-or-string string", R"({"x-kubernetes-int-or-string":true})", R"("50%")", {}},
        {"int-or-string bool", R"({"x-kubernetes-int-or-string":true})", "true", {"<root>"}},
        {"int-or-string pattern on string",
         R"({"x-kubernetes-int-or-string":true,"pattern":"^[0-9]+$",
             "anyOf":[{"type":"integer"},{"type":"string"}]})",
         R"("1x")",
         {"<root>"}},
        {"map values typed",
         R"({"type":"object","additionalProperties":{"type":"string"}})",
         R"({"k":"v","n":1})",
         {"[n]"}},
        {"preserve unknown",
         R"({"type":"object","x-kubernetes-preserve-unknown-fields":true,
             "properties":{"a":{"type":"integer"}}})",
         R"({"a":1,"z":{"deep":true}})",
         {}},
        {"preserve unknown still types known",
         R"({"type":"object",
             "x-kubernetes-preserve-unknown-fields":true,"properties":{"a":{"type":"integer"}}})",
         R"({"a":"x"})",
         {"a"}},
        {"object without properties prunes everything",
         R"({"type":"object"})",
         R"({"a":1})",
         {"a"}},
        {"embedded resource keeps apiVersion/kind/metadata",
         R"({"type":"object","x-kubernetes-embedded-resource":true,"properties":{}})",
         R"({"apiVersion":"v1","kind":"Pod","metadata":{}})",
         {}},
        {"array items typed",
         R"({"type":"array","items":{"type":"integer"}})",
         "[1,\"2\",3]",
         {"[1]"}},
        {"array given object", R"({"type":"array"})", "{}", {"<root>"}},
        {"list-map duplicate key",
         R"({"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
             "items":{"type":"object","properties":{"name":{"type":"string"},
                                                    "v":{"type":"integer"}}}})",
         R"([{"name":"a","v":1},{"name":"a","v":2}])",
         {"[1]"}},
        {"set duplicate",
         R"({"type":"array","x-kubernetes-list-type":"set",
             "items":{"type":"string"}})",
         R"(["a","a"])",
         {"[1]"}},
        {"minItems", R"({"type":"array","minItems":1})", "[]", {"<root>"}},
        {"nested path",
         R"({"type":"object","properties":{"spec":{"type":"object",
             "properties":{"list":{"type":"array","items":{"type":"object",
             "properties":{"n":{"type":"integer"}}}}}}}})",
         R"({"spec":{"list":[{"n":1},{"n":"x"}]}})",
         {"spec.list[1].n"}},
        {"oneOf none",
         R"({"oneOf":[{"type":"integer"},{"type":"boolean"}]})",
         R"("s")",
         {"<root>"}},
        {"unresolvable $ref", R"({"$ref":"#/definitions/Nope"})", "1", {"<root>"}},
    };
    for (const auto& c : cases) {
        const auto v = test_support::validate_value(json::parse(c.schema), json::parse(c.value));
        EXPECT_EQ(paths_of(v), c.paths) << c.name << "\n" << test_support::to_string(v);
    }
}

TEST(crd_schema_walker, ref_resolves_against_definitions) {
    const json defs = json::parse(R"({"Port":{"type":"object","required":["port"],
        "properties":{"port":{"type":"integer"}}}})");
    const json schema = json::parse(R"({"type":"array","items":{"$ref":"#/definitions/Port"}})");
    EXPECT_TRUE(
        test_support::validate_value(schema, json::parse(R"([{"port":80}])"), &defs).empty());
    const auto v = test_support::validate_value(schema, json::parse(R"([{"prt":80}])"), &defs);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0], (schema_violation{"[0].prt", "unknown field (the API server would prune it)"}));
    EXPECT_EQ(v[1], (schema_violation{"[0].port", "required field missing"}));
}

TEST(crd_schema_walker, yaml_round_trip_keeps_types) {
    const json value = json::parse(R"({"s":["2","true","on","null","1e3","0x1F","","a: b",
        "- x","multi\nline","~","yes","plain"],"n":[1,-2,1.5,true,false,null],
        "e":{},"l":[],"k":{"123":"key looks like a number"}})");
    EXPECT_EQ(test_support::parse_yaml(test_support::to_yaml(value)), value)
        << test_support::to_yaml(value);
    EXPECT_EQ(test_support::parse_yaml("a: 1\nb: '1'\nc: 1.0\nd: true\ne:\nf: ~\n"),
              json::parse(R"({"a":1,"b":"1","c":1.0,"d":true,"e":null,"f":null})"));
    EXPECT_THROW(test_support::parse_yaml("a: [1, 2"), std::runtime_error);
}

// The real schemas: the EXAMPLES.md PyTorchJob passes, and breaking it in each way fails.
class crd_schema_files : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test_support::shared_dir_available()) {
            GTEST_SKIP() << "shared/ schemas not found at " << test_support::shared_dir();
        }
    }
};

const char* pytorch_example = R"(
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: bert-finetune
  namespace: team-a
  labels: {team: nlp}
spec:
  nprocPerNode: "1"
  runPolicy: {cleanPodPolicy: None, backoffLimit: 3}
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers:
          - name: pytorch
            image: registry.example.com/ml/bert-train:1.0
            command: ["python", "/workspace/train.py"]
            resources:
              requests: {cpu: "8", memory: 32Gi, nvidia.com/gpu: "1"}
              limits:   {cpu: "8", memory: 32Gi, nvidia.com/gpu: "1"}
)";

TEST_F(crd_schema_files, pytorchjob_example_valid_and_each_mutation_caught) {
    const auto& schemas = test_support::broker_schemas();
    const json good = test_support::parse_yaml(pytorch_example);
    EXPECT_EQ(test_support::to_string(schemas.validate(good)), "");
    const test_support::object_schema* pytorch = schemas.find("kubeflow.org/v1", "PyTorchJob");
    ASSERT_NE(pytorch, nullptr);

    struct mutation {
        const char* name;
        const char* pointer;
        json value;
        const char* path;
    };
    const mutation mutations[] = {
        {"replicas as string", "/spec/pytorchReplicaSpecs/Master/replicas", "1",
         "spec.pytorchReplicaSpecs[Master].replicas"},
        {"unknown container field",
         "/spec/pytorchReplicaSpecs/Master/template/spec/containers/0/gpus", 2,
         "spec.pytorchReplicaSpecs[Master].template.spec.containers[0].gpus"},
        {"bad quantity",
         "/spec/pytorchReplicaSpecs/Master/template/spec/containers/0/resources/limits/cpu",
         "8 cores",
         "spec.pytorchReplicaSpecs[Master].template.spec.containers[0].resources.limits[cpu]"},
        {"nprocPerNode as integer", "/spec/nprocPerNode", 1, "spec.nprocPerNode"},
        {"bad label value", "/metadata/labels/team", "not ok!", "metadata.labels[team]"},
        {"unknown metadata field", "/metadata/owner", "me", "metadata.owner"},
        {"wrong kind", "/kind", "TFJob", "kind"},
        {"wrong apiVersion", "/apiVersion", "kubeflow.org/v2", "apiVersion"},
    };
    for (const auto& m : mutations) {
        json bad = good;
        bad[json::json_pointer(m.pointer)] = m.value;
        const auto v = test_support::validate_object(*pytorch, bad);
        bool found = false;
        for (const auto& x : v) {
            found = found || x.path == m.path;
        }
        EXPECT_TRUE(found) << m.name << ": expected a violation at " << m.path << ", got:\n"
                           << test_support::to_string(v);
    }
    json missing = good;
    missing["spec"].erase("pytorchReplicaSpecs");
    EXPECT_EQ(test_support::to_string(schemas.validate(missing)),
              "spec.pytorchReplicaSpecs: required field missing\n");
}

TEST_F(crd_schema_files, every_schema_uses_only_keywords_the_walker_knows) {
    const auto& schemas = test_support::broker_schemas();
    for (const auto& s : schemas.schemas()) {
        EXPECT_EQ(test_support::unhandled_keywords(s.schema), std::vector<std::string>{})
            << s.source;
    }
    const auto& defs = *schemas.schemas().front().definitions;
    for (auto it = defs.begin(); it != defs.end(); ++it) {
        EXPECT_EQ(test_support::unhandled_keywords(it.value()), std::vector<std::string>{})
            << it.key();
    }
}

TEST_F(crd_schema_files, core_kinds_have_schemas_that_reject_bad_objects) {
    const auto& schemas = test_support::broker_schemas();
    const json job = test_support::parse_yaml(R"(
apiVersion: batch/v1
kind: Job
metadata: {name: j, namespace: ml}
spec:
  parallelism: 2
  completions: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox}]
)");
    EXPECT_EQ(test_support::to_string(schemas.validate(job)), "");
    json bad = job;
    bad["spec"]["parallelism"] = "2";
    bad["spec"]["template"]["spec"]["containers"][0]["ports"] =
        json::parse(R"([{"containerPort":"80"}])");
    bad["spec"]["replicas"] = 2;
    EXPECT_EQ(schemas.validate(bad).size(), 3u) << test_support::to_string(schemas.validate(bad));

    const json service = json::parse(R"({"apiVersion":"v1","kind":"Service",
        "metadata":{"name":"s"},"spec":{"ports":[{"port":80,"targetPort":"http"},
        {"port":80,"protocol":"TCP"}]}})");
    EXPECT_EQ(paths_of(schemas.validate(service)), std::vector<std::string>{"spec.ports[1]"});

    const json ingress = json::parse(R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress",
        "metadata":{"name":"i"},"spec":{"rules":[{"http":{"paths":[{"path":"/",
        "backend":{"service":{"name":"s","port":{"number":"80"}}}}]}}]}})");
    const auto iv = paths_of(schemas.validate(ingress));
    EXPECT_NE(std::find(iv.begin(), iv.end(), "spec.rules[0].http.paths[0].pathType"), iv.end());
    EXPECT_NE(
        std::find(iv.begin(), iv.end(), "spec.rules[0].http.paths[0].backend.service.port.number"),
        iv.end());

    const json unknown_kind = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
        "metadata":{"name":"c"}})");
    EXPECT_EQ(schemas.validate(unknown_kind).size(), 1u);
}

}  // namespace
