#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace broker::server {

/// Request counters and latency histograms per route, plus named event counters (one per
/// distinct error path), rendered as Prometheus text for a /metrics endpoint.
///
/// The server records every request it answers under the matched route pattern ("unmatched"
/// when none matched); embedding services add their own counters with `increment`.
/// Thread safety: all member functions may be called concurrently (one internal mutex).
class metrics_registry {
public:
    /// Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit.
    static constexpr std::array<double, 11> latency_buckets = {0.001, 0.005, 0.01, 0.025, 0.05,
                                                               0.1,   0.25,  0.5,  1.0,   2.5,
                                                               10.0};

    /// Records one answered request.
    void record_request(std::string_view route, std::string_view method, unsigned code,
                        std::chrono::nanoseconds latency);

    /// Adds `by` to the counter `name` with one optional label value (rendered as
    /// `name{kind="label"}`).
    void increment(std::string_view name, std::string_view label = {}, std::uint64_t by = 1);

    /// Current value of a counter (0 when never incremented).
    [[nodiscard]] std::uint64_t counter(std::string_view name, std::string_view label = {}) const;

    /// Requests recorded for (route, method, code).
    [[nodiscard]] std::uint64_t requests(std::string_view route, std::string_view method,
                                         unsigned code) const;

    /// Prometheus text exposition format (version 0.0.4); metric names start with `prefix`.
    [[nodiscard]] std::string render_prometheus(std::string_view prefix = "http") const;

private:
    struct latency {
        std::array<std::uint64_t, latency_buckets.size()> buckets{};
        std::uint64_t count = 0;
        double sum_seconds = 0;
    };
    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
    std::map<std::string, latency, std::less<>> latency_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> counters_;
};

} // namespace broker::server
