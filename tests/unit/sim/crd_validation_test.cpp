// CRD schema validation with the upstream Karmada CRDs: strict field validation, enums,
// required fields, defaults, pruning with warnings.
#include "sim/model/federation.hpp"

#include <gtest/gtest.h>

namespace fedsim::model {
namespace {

using nlohmann::json;

class crd_validation_test : public ::testing::Test {
protected:
    void SetUp() override {
        federation_config cfg;
        auto f = federation::create(cfg, time_point(std::chrono::seconds(1790000000)));
        ASSERT_TRUE(f);
        fed_ = std::move(*f);
        auto loaded = fed_->load_crds(std::string(BROKER_SHARED_DIR) + "/karmada/crds");
        ASSERT_TRUE(loaded) << loaded.error().message;
        pps_ = fed_->registry().find("policy.karmada.io", "v1alpha1", "propagationpolicies");
        ASSERT_TRUE(pps_->schema);
    }

    static json policy(json spec) {
        return {{"apiVersion", "policy.karmada.io/v1alpha1"},
                {"kind", "PropagationPolicy"},
                {"metadata", {{"name", "p"}}},
                {"spec", std::move(spec)}};
    }
    static json selectors() {
        return json::array({{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", "train"}}});
    }

    std::unique_ptr<federation> fed_;
    const resource_info* pps_ = nullptr;
};

TEST_F(crd_validation_test, strict_rejects_unknown_fields_with_bad_request) {
    write_options strict;
    strict.validation = field_validation::strict;
    auto r = fed_->control_plane().create(
        *pps_, "default", policy({{"resourceSelectors", selectors()}, {"foo", 1}}), strict);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 400);
    EXPECT_EQ(r.error().message,
              "PropagationPolicy in version \"v1alpha1\" cannot be handled as a PropagationPolicy: "
              "strict decoding error: unknown field \"spec.foo\"");
}

TEST_F(crd_validation_test, warn_prunes_unknown_fields_and_reports_them) {
    std::vector<std::string> warnings;
    write_options warn;
    warn.warnings = &warnings;
    auto r = fed_->control_plane().create(
        *pps_, "default", policy({{"resourceSelectors", selectors()}, {"foo", 1}}), warn);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE((**r)["spec"].contains("foo"));
    EXPECT_EQ(warnings, (std::vector<std::string>{"unknown field \"spec.foo\""}));
    // Webhook and schema defaults.
    EXPECT_EQ((**r)["spec"]["priority"], 0);
    EXPECT_EQ((**r)["spec"]["resourceSelectors"][0]["namespace"], "default");
    EXPECT_TRUE((**r)["metadata"]["labels"].contains("propagationpolicy.karmada.io/permanent-id"));
}

TEST_F(crd_validation_test, schema_errors_are_invalid_with_causes) {
    struct row {
        const char* name;
        json spec;
        std::string message;
        std::string field;
        std::string reason;
    };
    std::vector<row> rows = {
        {"missing selectors", json::object(),
         "PropagationPolicy.policy.karmada.io \"p\" is invalid: spec.resourceSelectors: Required "
         "value",
         "spec.resourceSelectors", "FieldValueRequired"},
        {"enum",
         {{"resourceSelectors", selectors()},
          {"placement", {{"replicaScheduling", {{"replicaSchedulingType", "Sometimes"}}}}}},
         "PropagationPolicy.policy.karmada.io \"p\" is invalid: "
         "spec.placement.replicaScheduling.replicaSchedulingType: Unsupported value: "
         "\"Sometimes\": supported values: \"Duplicated\", \"Divided\"",
         "spec.placement.replicaScheduling.replicaSchedulingType",
         "FieldValueNotSupported"},
        {"type",
         {{"resourceSelectors", selectors()}, {"priority", "high"}},
         "PropagationPolicy.policy.karmada.io \"p\" is invalid: spec.priority: Invalid value: "
         "\"string\": spec.priority in body must be of type integer: \"string\"",
         "spec.priority",
         "FieldValueTypeInvalid"},
    };
    for (const auto& r : rows) {
        auto res = fed_->control_plane().create(*pps_, "default", policy(r.spec));
        ASSERT_FALSE(res) << r.name;
        EXPECT_EQ(res.error().code, 422) << r.name;
        EXPECT_EQ(res.error().message, r.message) << r.name;
        ASSERT_TRUE(res.error().details) << r.name;
        ASSERT_FALSE(res.error().details->causes.empty()) << r.name;
        EXPECT_EQ(res.error().details->causes[0].field, r.field) << r.name;
        EXPECT_EQ(res.error().details->causes[0].reason, r.reason) << r.name;
        EXPECT_EQ(res.error().details->kind, "PropagationPolicy") << r.name;
    }
}

TEST_F(crd_validation_test, webhook_denials_are_forbidden) {
    auto r = fed_->control_plane().create(
        *pps_, "default",
        policy({{"resourceSelectors", selectors()},
                {"placement",
                 {{"clusterAffinity", {{"clusterNames", {"a"}}}},
                  {"clusterAffinities", json::array({{{"affinityName", "x"}}})}}}}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 403);
    EXPECT_EQ(r.error().message,
              "admission webhook \"propagationpolicy.karmada.io\" denied the request: "
              "clusterAffinities can not co-exist with clusterAffinity");
}

}  // namespace
}  // namespace fedsim::model
