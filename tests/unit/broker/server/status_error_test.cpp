#include "broker/server/response.hpp"
#include "broker/server/status_error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using namespace broker::server;

TEST(status_error, invalid_with_causes_has_the_api_server_shape)
{
    status_error e;
    e.code = 422;
    e.message = "PropagationPolicy.policy.karmada.io \"p\" is invalid: spec.resourceSelectors: "
                "Required value";
    e.details = status_details{"p", "policy.karmada.io", "PropagationPolicy", "",
                               {{"FieldValueRequired", "Required value", "spec.resourceSelectors"}},
                               std::nullopt};
    auto j = to_json(e);
    EXPECT_EQ(j["kind"], "Status");
    EXPECT_EQ(j["apiVersion"], "v1");
    EXPECT_EQ(j["metadata"], nlohmann::json::object());
    EXPECT_EQ(j["status"], "Failure");
    EXPECT_EQ(j["reason"], "Invalid");
    EXPECT_EQ(j["code"], 422);
    EXPECT_EQ(j["details"]["kind"], "PropagationPolicy");
    ASSERT_EQ(j["details"]["causes"].size(), 1u);
    EXPECT_EQ(j["details"]["causes"][0]["field"], "spec.resourceSelectors");
}

TEST(status_error, default_reasons_follow_the_code)
{
    const std::vector<std::pair<unsigned, std::string>> cases = {
        {400, "BadRequest"}, {401, "Unauthorized"}, {404, "NotFound"},
        {409, "Conflict"},   {413, "RequestEntityTooLarge"}, {422, "Invalid"},
        {429, "TooManyRequests"}, {502, "BadGateway"}, {503, "ServiceUnavailable"},
        {504, "Timeout"}};
    for (const auto& [code, reason] : cases) {
        EXPECT_EQ(to_json(make_status(code, "m"))["reason"], reason) << code;
    }
}

TEST(status_error, without_details_no_details_key_and_retry_after_becomes_a_header)
{
    EXPECT_FALSE(to_json(make_status(500, "boom")).contains("details"));
    status_error e = make_status(429, "slow down");
    e.details = status_details{};
    e.details->retry_after_seconds = 3;
    auto r = status_response(e);
    EXPECT_EQ(r.status, 429u);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Retry-After", "3"}));
    EXPECT_EQ(nlohmann::json::parse(r.body)["details"]["retryAfterSeconds"], 3);
}

TEST(status_error, not_found_names_resource_group_and_name)
{
    auto j = to_json(not_found_status("clusters.cluster.karmada.io", "c9"));
    EXPECT_EQ(j["message"], "clusters.cluster.karmada.io \"c9\" not found");
    EXPECT_EQ(j["details"]["kind"], "clusters");
    EXPECT_EQ(j["details"]["group"], "cluster.karmada.io");
    EXPECT_EQ(j["code"], 404);
}

} // namespace
