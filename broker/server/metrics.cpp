#include "broker/server/metrics.hpp"

#include <cstdio>

namespace broker::server {

namespace {

std::string escape_label(std::string_view v)
{
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string format_double(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

} // namespace

void metrics_registry::record_request(std::string_view route, std::string_view method,
                                      unsigned code, std::chrono::nanoseconds latency_ns)
{
    double seconds = std::chrono::duration<double>(latency_ns).count();
    std::lock_guard lock(mutex_);
    ++requests_[{std::string(route), std::string(method), code}];
    auto it = latency_.find(route);
    if (it == latency_.end()) {
        it = latency_.emplace(std::string(route), latency{}).first;
    }
    auto& l = it->second;
    for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
        if (seconds <= latency_buckets[i]) {
            ++l.buckets[i];
        }
    }
    ++l.count;
    l.sum_seconds += seconds;
}

void metrics_registry::increment(std::string_view name, std::string_view label, std::uint64_t by)
{
    std::lock_guard lock(mutex_);
    counters_[{std::string(name), std::string(label)}] += by;
}

std::uint64_t metrics_registry::counter(std::string_view name, std::string_view label) const
{
    std::lock_guard lock(mutex_);
    auto it = counters_.find({std::string(name), std::string(label)});
    return it == counters_.end() ? 0 : it->second;
}

std::uint64_t metrics_registry::requests(std::string_view route, std::string_view method,
                                         unsigned code) const
{
    std::lock_guard lock(mutex_);
    auto it = requests_.find({std::string(route), std::string(method), code});
    return it == requests_.end() ? 0 : it->second;
}

std::string metrics_registry::render_prometheus(std::string_view prefix) const
{
    std::lock_guard lock(mutex_);
    std::string p(prefix);
    std::string out;
    out += "# HELP " + p + "_requests_total Requests answered, by route pattern, method and code.\n";
    out += "# TYPE " + p + "_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
        const auto& [route, method, code] = key;
        out += p + "_requests_total{route=\"" + escape_label(route) + "\",method=\"" +
               escape_label(method) + "\",code=\"" + std::to_string(code) + "\"} " +
               std::to_string(n) + "\n";
    }
    out += "# HELP " + p + "_request_duration_seconds Time from parsed request to response.\n";
    out += "# TYPE " + p + "_request_duration_seconds histogram\n";
    for (const auto& [route, l] : latency_) {
        std::string r = escape_label(route);
        for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
            out += p + "_request_duration_seconds_bucket{route=\"" + r + "\",le=\"" +
                   format_double(latency_buckets[i]) + "\"} " + std::to_string(l.buckets[i]) + "\n";
        }
        out += p + "_request_duration_seconds_bucket{route=\"" + r + "\",le=\"+Inf\"} " +
               std::to_string(l.count) + "\n";
        out += p + "_request_duration_seconds_sum{route=\"" + r + "\"} " +
               format_double(l.sum_seconds) + "\n";
        out += p + "_request_duration_seconds_count{route=\"" + r + "\"} " +
               std::to_string(l.count) + "\n";
    }
    std::string last;
    for (const auto& [key, n] : counters_) {
        const auto& [name, label] = key;
        std::string full = p + "_" + name;
        if (full != last) {
            out += "# TYPE " + full + " counter\n";
            last = full;
        }
        out += full;
        if (!label.empty()) {
            out += "{kind=\"" + escape_label(label) + "\"}";
        }
        out += " " + std::to_string(n) + "\n";
    }
    return out;
}

} // namespace broker::server
