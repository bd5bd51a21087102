#include "proxy/table_view.hpp"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;
const std::string annotation = "resource.karmada.io/cached-from-cluster";

json pod(const std::string& cluster)
{
    json p = json::object();
    p["metadata"]["name"] = "web-1";
    p["metadata"]["namespace"] = "ml";
    p["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z";
    p["metadata"]["annotations"][annotation] = cluster;
    p["spec"]["containers"] = json::array({json::object()});
    p["status"]["phase"] = "Running";
    p["status"]["containerStatuses"] = json::array({{{"ready", true}, {"restartCount", 2}}});
    return p;
}

TEST(to_table, pods_have_kubectl_columns_and_a_cluster_column_last)
{
    const auto now = std::chrono::system_clock::from_time_t(1767225600 + 300);  // +5m
    auto t = proxy::to_table(*proxy::find_kind("pods"), json::array({pod("c1"), pod("c2")}),
                             json::object(), annotation, false, now);
    EXPECT_EQ(t["kind"], "Table");
    EXPECT_EQ(t["columnDefinitions"].back()["name"], "Cluster");
    ASSERT_EQ(t["rows"].size(), 2u);
    EXPECT_EQ(t["rows"][0]["cells"],
              json::array({"web-1", "1/1", "Running", 2, "5m", "<none>", "<none>", "c1"}));
    EXPECT_EQ(t["rows"][1]["cells"].back(), "c2");
    EXPECT_EQ(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    EXPECT_EQ(t["rows"][0]["object"]["metadata"]["namespace"], "ml");
}

struct age_case {
    std::string timestamp;
    long seconds_later;
    std::string age;
};

class human_age_table : public testing::TestWithParam<age_case> {};

TEST_P(human_age_table, formats_like_kubectl)
{
    const auto now = std::chrono::system_clock::from_time_t(1767225600 + GetParam().seconds_later);
    EXPECT_EQ(proxy::human_age(GetParam().timestamp, now), GetParam().age);
}

INSTANTIATE_TEST_SUITE_P(
    cases, human_age_table,
    testing::Values(age_case{"2026-01-01T00:00:00Z", 45, "45s"},
                    age_case{"2026-01-01T00:00:00Z", 600, "10m"},
                    age_case{"2026-01-01T00:00:00Z", 7200, "2h"},
                    age_case{"2026-01-01T00:00:00Z", 86400 * 3, "3d"},
                    age_case{"garbage", 0, "<unknown>"}));

TEST(wants_table, recognises_kubectls_accept_header)
{
    EXPECT_TRUE(proxy::wants_table(
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
        "g=meta.k8s.io,application/json"));
    EXPECT_FALSE(proxy::wants_table("application/json"));
}

}  // namespace
