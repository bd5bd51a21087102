#include "proxy/kube_error.hpp"

#include <gtest/gtest.h>

namespace {

using proxy::kube_errc;

TEST(kube_error, status_body_gives_reason_message_and_keeps_the_status)
{
    const auto e = proxy::status_error(
        409, R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"AlreadyExists",
               "message":"jobs.batch \"train-42\" already exists","code":409,
               "details":{"name":"train-42","group":"batch","kind":"jobs"}})");
    EXPECT_EQ(e.code, kube_errc::http_status);
    EXPECT_EQ(e.http_status, 409u);
    EXPECT_EQ(e.reason, "AlreadyExists");
    EXPECT_EQ(e.message, "jobs.batch \"train-42\" already exists");
    EXPECT_EQ(e.status["details"]["name"], "train-42");
    EXPECT_TRUE(e.conflict());
    EXPECT_FALSE(e.not_found());
}

struct plain_case {
    std::string name;
    unsigned status;
    std::string body;
    std::string reason;
    std::string message;

    friend void PrintTo(const plain_case& c, std::ostream* os) { *os << c.name; }
};

class status_error_plain_text : public testing::TestWithParam<plain_case> {};

TEST_P(status_error_plain_text, reason_comes_from_the_status_code)
{
    const auto& c = GetParam();
    const auto e = proxy::status_error(c.status, c.body);
    EXPECT_EQ(e.reason, c.reason);
    EXPECT_EQ(e.message, c.message);
    EXPECT_TRUE(e.status.is_null());
}

INSTANTIATE_TEST_SUITE_P(
    cases, status_error_plain_text,
    testing::Values(
        plain_case{"proxy_404_text", 404, "not found\n", "NotFound", "not found"},
        plain_case{"proxy_409_text", 409, "conflict resource, exist in more than one cluster: a,b",
                   "Conflict", "conflict resource, exist in more than one cluster: a,b"},
        plain_case{"gone_empty_body", 410, "", "Expired", "the server answered 410"},
        plain_case{"rate_limited_json_not_status", 429, R"({"error":"slow down"})",
                   "TooManyRequests", R"({"error":"slow down"})"},
        plain_case{"bad_gateway_html", 502, "<html>bad gateway</html>", "BadGateway",
                   "<html>bad gateway</html>"},
        plain_case{"unknown_5xx", 599, "x", "InternalError", "x"}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(kube_error, long_plain_bodies_are_truncated_in_the_message)
{
    const auto e = proxy::status_error(500, std::string(10000, 'x'));
    EXPECT_EQ(e.message.size(), 512u);
}

TEST(kube_error, transport_errors_have_a_reason_and_code_name)
{
    const auto e = proxy::transport_error(kube_errc::timeout, "deadline exceeded", "detail");
    EXPECT_EQ(e.reason, "Timeout");
    EXPECT_EQ(proxy::to_string(e.code), "timeout");
    EXPECT_EQ(e.http_status, 0u);
    EXPECT_FALSE(e.expired());
}

}  // namespace
