// Discovery documents as kubectl reads them: /version, /api, /apis, group-version resource lists
// and aggregated discovery, on the control plane and behind the cluster proxy.
#include "sim/api/discovery.hpp"

#include "sim/model/resource_registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace fedsim::api {
namespace {

using nlohmann::json;

struct version_case {
    std::string git_version;
    std::string major;
    std::string minor;
};

TEST(discovery, version_splits_major_and_minor_from_git_version)
{
    const std::vector<version_case> cases = {
        {"v1.32.4", "1", "32"},
        {"v1.31.0", "1", "31"},
        {"1.30.2", "1", "30"},
        {"v1.33", "1", "33"},
    };
    for (const auto& c : cases) {
        auto v = version_info(c.git_version);
        EXPECT_EQ(v["major"], c.major) << c.git_version;
        EXPECT_EQ(v["minor"], c.minor) << c.git_version;
        EXPECT_EQ(v["gitVersion"], c.git_version);
        EXPECT_EQ(v["platform"], "linux/amd64");
    }
}

bool has_resource(const json& list, const std::string& name)
{
    return std::any_of(list["resources"].begin(), list["resources"].end(),
                       [&](const json& r) { return r["name"] == name; });
}

TEST(discovery, resource_lists_per_surface)
{
    auto registry = model::resource_registry::builtin();
    auto core = api_resource_list(registry, api_surface::member, "", "v1");
    EXPECT_EQ(core["kind"], "APIResourceList");
    EXPECT_EQ(core["groupVersion"], "v1");
    EXPECT_TRUE(has_resource(core, "pods"));
    EXPECT_TRUE(has_resource(core, "pods/log"));
    auto jobs = api_resource_list(registry, api_surface::control_plane, "batch", "v1");
    EXPECT_EQ(jobs["groupVersion"], "batch/v1");
    EXPECT_TRUE(has_resource(jobs, "jobs"));
    EXPECT_TRUE(has_resource(jobs, "jobs/status"));

    // Karmada's own kinds exist on the control plane only.
    auto policy_cp =
        api_resource_list(registry, api_surface::control_plane, "policy.karmada.io", "v1alpha1");
    EXPECT_TRUE(has_resource(policy_cp, "propagationpolicies"));
    EXPECT_TRUE(
        api_resource_list(registry, api_surface::member, "policy.karmada.io", "v1alpha1")
            .is_null());
    EXPECT_TRUE(api_resource_list(registry, api_surface::member, "nope.io", "v1").is_null());
    EXPECT_TRUE(api_group(registry, api_surface::member, "policy.karmada.io").is_null());
    EXPECT_EQ(api_group(registry, api_surface::control_plane, "batch")["preferredVersion"]
                  ["groupVersion"],
              "batch/v1");
}

TEST(discovery, group_list_and_legacy_versions)
{
    auto registry = model::resource_registry::builtin();
    auto groups = api_group_list(registry, api_surface::control_plane);
    EXPECT_EQ(groups["kind"], "APIGroupList");
    std::vector<std::string> names;
    for (const auto& g : groups["groups"]) {
        names.push_back(g["name"]);
    }
    for (const char* want : {"apps", "batch", "cluster.karmada.io", "policy.karmada.io",
                             "work.karmada.io"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
    }
    EXPECT_EQ(std::find(names.begin(), names.end(), ""), names.end()); // core is under /api
    auto api = api_versions("127.0.0.1:6443");
    EXPECT_EQ(api["versions"], json::array({"v1"}));
    EXPECT_EQ(api["serverAddressByClientCIDRs"][0]["serverAddress"], "127.0.0.1:6443");
}

struct accept_case {
    const char* name;
    std::string accept;
    bool aggregated;
};

TEST(discovery, aggregated_discovery_only_when_v2_is_accepted)
{
    const std::vector<accept_case> cases = {
        {"kubectl_1_3x",
         "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/"
         "json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
         true},
        {"v2beta1_only",
         "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
         "application/json",
         false},
        {"plain_json", "application/json", false},
        {"empty", "", false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(wants_aggregated_discovery(c.accept), c.aggregated) << c.name;
    }
    auto registry = model::resource_registry::builtin();
    auto legacy = aggregated_discovery(registry, api_surface::member, true);
    EXPECT_EQ(legacy["kind"], "APIGroupDiscoveryList");
    ASSERT_EQ(legacy["items"].size(), 1u);
    auto named = aggregated_discovery(registry, api_surface::member, false);
    for (const auto& g : named["items"]) {
        EXPECT_EQ(g["metadata"]["name"].get<std::string>().find("karmada.io"), std::string::npos);
    }
}

} // namespace
} // namespace fedsim::api
