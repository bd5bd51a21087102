#include "proxy/resource_kinds.hpp"

#include <gtest/gtest.h>

namespace {

struct kind_case {
    std::string input;
    std::string group_version;  ///< "" = refused
    std::string plural;
};

class find_kind_table : public testing::TestWithParam<kind_case> {};

TEST_P(find_kind_table, resolves_allowed_names_and_refuses_the_rest)
{
    const auto& c = GetParam();
    auto k = proxy::find_kind(c.input);
    if (c.group_version.empty()) {
        EXPECT_FALSE(k.has_value());
        return;
    }
    ASSERT_TRUE(k.has_value());
    EXPECT_EQ(k->group_version(), c.group_version);
    EXPECT_EQ(k->plural, c.plural);
}

INSTANTIATE_TEST_SUITE_P(
    cases, find_kind_table,
    testing::Values(kind_case{"pods", "v1", "pods"}, kind_case{"Pod", "v1", "pods"},
                    kind_case{"po", "v1", "pods"}, kind_case{"nodes", "v1", "nodes"},
                    kind_case{"jobs", "batch/v1", "jobs"},
                    kind_case{"vcjobs", "batch.volcano.sh/v1alpha1", "jobs"},
                    kind_case{"jobs.batch.volcano.sh", "batch.volcano.sh/v1alpha1", "jobs"},
                    kind_case{"pytorchjobs", "kubeflow.org/v1", "pytorchjobs"},
                    kind_case{"rayjobs", "ray.io/v1", "rayjobs"},
                    kind_case{"notebooks", "kubeflow.org/v1", "notebooks"},
                    kind_case{"secrets", "", ""}, kind_case{"Secret", "", ""},
                    kind_case{"configmaps", "", ""}, kind_case{"pods/log", "", ""},
                    kind_case{"", "", ""}));

TEST(resource_kind, collection_paths_are_built_from_validated_parts_only)
{
    EXPECT_EQ(proxy::find_kind("pods")->collection_path("ml"), "/api/v1/namespaces/ml/pods");
    EXPECT_EQ(proxy::find_kind("pods")->collection_path(""), "/api/v1/pods");
    EXPECT_EQ(proxy::find_kind("nodes")->collection_path("ignored"), "/api/v1/nodes");
    EXPECT_EQ(proxy::find_kind("deployments")->collection_path("a"),
              "/apis/apps/v1/namespaces/a/deployments");
    EXPECT_EQ(proxy::cluster_proxy_path("c1", "/api/v1/pods"),
              "/apis/cluster.karmada.io/v1alpha1/clusters/c1/proxy/api/v1/pods");
}

struct name_case {
    std::string value;
    bool namespace_ok;
    bool name_ok;
};

class name_validation : public testing::TestWithParam<name_case> {};

TEST_P(name_validation, rfc1123)
{
    EXPECT_EQ(proxy::valid_namespace(GetParam().value), GetParam().namespace_ok);
    EXPECT_EQ(proxy::valid_object_name(GetParam().value), GetParam().name_ok);
}

INSTANTIATE_TEST_SUITE_P(cases, name_validation,
                         testing::Values(name_case{"default", true, true},
                                         name_case{"web-1.abc", false, true},
                                         name_case{"../secrets", false, false},
                                         name_case{"a/b", false, false},
                                         name_case{"Upper", false, false},
                                         name_case{"", false, false},
                                         name_case{"-lead", false, false},
                                         name_case{std::string(64, 'a'), false, true}));

}  // namespace
