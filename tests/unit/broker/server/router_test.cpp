#include "broker/server/router.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using broker::server::request_context;
using broker::server::response;
using broker::server::router;

broker::server::handler stub()
{
    return [](request_context&) -> boost::asio::awaitable<response> { co_return response{}; };
}

router make_table()
{
    router r;
    r.add("GET", "/api/v1/jobs", stub());
    r.add("POST", "/api/v1/jobs", stub());
    r.add("GET", "/api/v1/jobs/{id}", stub());
    r.add("DELETE", "/api/v1/jobs/{id}", stub());
    r.add("GET", "/api/v1/jobs/{id}/logs", stub());
    r.add("GET", "/api/v1/jobs/status", stub()); // exact beats the earlier {id} pattern
    r.add("*", "/clusters/{name}/proxy/{rest...}", stub());
    r.add("GET", "/healthz", stub());
    return r;
}

struct match_case {
    const char* name;
    const char* method;
    const char* path;
    unsigned error;
    const char* pattern;
    std::vector<std::pair<std::string, std::string>> params;
    const char* allow = "";
};

class router_matching : public ::testing::TestWithParam<match_case> {};

TEST_P(router_matching, matches_as_the_table_says)
{
    static const router table = make_table();
    const auto& c = GetParam();
    auto m = table.match_path(c.method, c.path);
    EXPECT_EQ(m.error, c.error);
    if (c.error == 0) {
        ASSERT_NE(m.fn, nullptr);
        EXPECT_EQ(m.pattern, c.pattern);
        EXPECT_EQ(m.params.items, c.params);
    } else {
        EXPECT_EQ(m.fn, nullptr);
        EXPECT_EQ(m.allow, c.allow);
    }
}

INSTANTIATE_TEST_SUITE_P(
    table, router_matching,
    ::testing::Values(
        match_case{"exact_get_collection", "GET", "/api/v1/jobs", 0, "/api/v1/jobs", {}},
        match_case{"exact_post_collection", "POST", "/api/v1/jobs", 0, "/api/v1/jobs", {}},
        match_case{"trailing_slash_ignored", "GET", "/api/v1/jobs/", 0, "/api/v1/jobs", {}},
        match_case{"param_captured", "GET", "/api/v1/jobs/j-42", 0, "/api/v1/jobs/{id}",
                   {{"id", "j-42"}}},
        match_case{"param_percent_decoded", "GET", "/api/v1/jobs/a%2Fb", 0, "/api/v1/jobs/{id}",
                   {{"id", "a/b"}}},
        match_case{"exact_before_pattern", "GET", "/api/v1/jobs/status", 0,
                   "/api/v1/jobs/status", {}},
        match_case{"nested_param", "GET", "/api/v1/jobs/x/logs", 0, "/api/v1/jobs/{id}/logs",
                   {{"id", "x"}}},
        match_case{"catch_all_many_segments", "PATCH", "/clusters/c1/proxy/api/v1/pods", 0,
                   "/clusters/{name}/proxy/{rest...}", {{"name", "c1"}, {"rest", "api/v1/pods"}}},
        match_case{"catch_all_empty", "GET", "/clusters/c1/proxy", 0,
                   "/clusters/{name}/proxy/{rest...}", {{"name", "c1"}, {"rest", ""}}},
        match_case{"head_served_by_get", "HEAD", "/healthz", 0, "/healthz", {}},
        match_case{"unknown_path_404", "GET", "/nope", 404, "", {}},
        match_case{"too_many_segments_404", "GET", "/api/v1/jobs/x/logs/more", 404, "", {}},
        match_case{"wrong_method_on_exact_405", "PUT", "/api/v1/jobs", 405, "", {}, "GET, POST"},
        match_case{"wrong_method_on_pattern_405", "POST", "/api/v1/jobs/x", 405, "", {},
                   "GET, DELETE"}),
    [](const auto& tc) { return std::string(tc.param.name); });

TEST(router_patterns, malformed_patterns_are_rejected_at_startup)
{
    const std::vector<std::string> bad = {"no-slash", "/a/{rest...}/b", "/a/{}", "/a/x{y}"};
    for (const auto& p : bad) {
        router r;
        EXPECT_THROW(r.add("GET", p, stub()), std::invalid_argument) << p;
    }
}

TEST(router_patterns, miss_response_is_a_status_with_allow_header)
{
    router r;
    r.add("GET", "/x", stub());
    auto m = r.match_path("POST", "/x");
    auto res = router::miss_response(m, "POST", "/x");
    EXPECT_EQ(res.status, 405u);
    ASSERT_EQ(res.headers.size(), 1u);
    EXPECT_EQ(res.headers[0].first, "Allow");
    EXPECT_EQ(res.headers[0].second, "GET");
    EXPECT_NE(res.body.find("\"reason\":\"MethodNotAllowed\""), std::string::npos);
}

} // namespace
