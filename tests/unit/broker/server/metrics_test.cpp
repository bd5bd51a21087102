#include "broker/server/metrics.hpp"

#include <gtest/gtest.h>

namespace {

using broker::server::metrics_registry;

TEST(metrics_registry, requests_and_counters_render_as_prometheus_text)
{
    metrics_registry m;
    m.record_request("/api/v1/jobs/{id}", "GET", 200, std::chrono::milliseconds(3));
    m.record_request("/api/v1/jobs/{id}", "GET", 200, std::chrono::milliseconds(30));
    m.record_request("/api/v1/jobs/{id}", "GET", 404, std::chrono::milliseconds(1));
    m.increment("session_errors_total", "timeout");
    m.increment("session_errors_total", "timeout");
    EXPECT_EQ(m.requests("/api/v1/jobs/{id}", "GET", 200), 2u);
    EXPECT_EQ(m.counter("session_errors_total", "timeout"), 2u);
    EXPECT_EQ(m.counter("never"), 0u);

    auto text = m.render_prometheus("broker_http");
    EXPECT_NE(text.find("broker_http_requests_total{route=\"/api/v1/jobs/{id}\",method=\"GET\","
                        "code=\"200\"} 2\n"),
              std::string::npos);
    EXPECT_NE(text.find("broker_http_request_duration_seconds_count{route=\"/api/v1/jobs/{id}\"} "
                        "3\n"),
              std::string::npos);
    EXPECT_NE(text.find("broker_http_request_duration_seconds_bucket{route=\"/api/v1/jobs/{id}\","
                        "le=\"0.005\"} 2\n"),
              std::string::npos);
    EXPECT_NE(text.find("broker_http_session_errors_total{kind=\"timeout\"} 2\n"),
              std::string::npos);
}

TEST(metrics_registry, label_values_are_escaped)
{
    metrics_registry m;
    m.increment("x_total", "a\"b\\c");
    EXPECT_NE(m.render_prometheus().find("http_x_total{kind=\"a\\\"b\\\\c\"} 1"), std::string::npos);
}

} // namespace
