// The OpenAPI v3 documents kubectl apply fetches before it writes (TOOLCHAIN.md §7.3).
#include "sim/api/openapi.hpp"

#include "sim/model/resource_registry.hpp"

#include <gtest/gtest.h>

namespace fedsim::api {
namespace {

using nlohmann::json;

TEST(openapi, root_lists_each_served_group_version_under_the_prefix)
{
    auto registry = model::resource_registry::builtin();
    auto cp = openapi_v3_root(registry, api_surface::control_plane);
    ASSERT_TRUE(cp["paths"].contains("api/v1"));
    ASSERT_TRUE(cp["paths"].contains("apis/batch/v1"));
    ASSERT_TRUE(cp["paths"].contains("apis/policy.karmada.io/v1alpha1"));
    EXPECT_EQ(cp["paths"]["apis/batch/v1"]["serverRelativeURL"].get<std::string>().rfind(
                  "/openapi/v3/apis/batch/v1?hash=", 0),
              0u);

    auto member = openapi_v3_root(registry, api_surface::member,
                                  "/apis/cluster.karmada.io/v1alpha1/clusters/a/proxy");
    EXPECT_FALSE(member["paths"].contains("apis/policy.karmada.io/v1alpha1"));
    EXPECT_EQ(member["paths"]["api/v1"]["serverRelativeURL"].get<std::string>().rfind(
                  "/apis/cluster.karmada.io/v1alpha1/clusters/a/proxy/openapi/v3/api/v1?hash=",
                  0),
              0u);
    // The hash is stable for the same registry (kubectl caches by it).
    EXPECT_EQ(openapi_v3_root(registry, api_surface::control_plane), cp);
}

TEST(openapi, group_version_document_declares_gvk_and_field_validation)
{
    auto registry = model::resource_registry::builtin();
    auto doc = openapi_v3_group_version(registry, api_surface::control_plane, "batch", "v1");
    ASSERT_FALSE(doc.is_null());
    EXPECT_EQ(doc["openapi"], "3.0.0");
    const auto& item = doc["paths"]["/apis/batch/v1/namespaces/{namespace}/jobs/{name}"];
    ASSERT_TRUE(item.is_object());
    EXPECT_EQ(item["patch"]["x-kubernetes-group-version-kind"],
              (json{{"group", "batch"}, {"version", "v1"}, {"kind", "Job"}}));
    bool field_validation = false;
    for (const auto& p : item["patch"]["parameters"]) {
        field_validation = field_validation || p["name"] == "fieldValidation";
    }
    EXPECT_TRUE(field_validation);
    EXPECT_TRUE(doc["paths"].contains("/apis/batch/v1/jobs"));  // all-namespaces list
    // Every write operation's schema reference resolves inside the document.
    std::string ref =
        item["put"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    const std::string prefix = "#/components/schemas/";
    ASSERT_EQ(ref.rfind(prefix, 0), 0u) << ref;
    const auto& schema = doc["components"]["schemas"][ref.substr(prefix.size())];
    EXPECT_EQ(schema["x-kubernetes-group-version-kind"][0]["kind"], "Job");

    EXPECT_TRUE(openapi_v3_group_version(registry, api_surface::member, "policy.karmada.io",
                                         "v1alpha1")
                    .is_null());
    EXPECT_TRUE(openapi_v3_group_version(registry, api_surface::member, "nope", "v1").is_null());
}

} // namespace
} // namespace fedsim::api
