#include "proxy/backoff.hpp"

#include <algorithm>
#include <charconv>

namespace proxy {

backoff::backoff(const backoff_policy& policy, std::uint64_t seed) : policy_(policy), rng_(seed) {}

std::chrono::milliseconds backoff::cap(int retry_index) const
{
    using std::chrono::milliseconds;
    const auto max_ms = std::max<std::int64_t>(policy_.max_delay.count(), 0);
    auto ms = std::max<std::int64_t>(policy_.initial_delay.count(), 0);
    // Doubling stops at the cap, so large retry indexes cannot overflow.
    for (int i = 0; i < retry_index && ms < max_ms; ++i) {
        ms *= 2;
    }
    return milliseconds(std::min(ms, max_ms));
}

std::chrono::milliseconds backoff::delay(int retry_index)
{
    const auto upper = cap(retry_index).count();
    if (upper <= 0) {
        return std::chrono::milliseconds(0);
    }
    std::uniform_int_distribution<std::int64_t> pick(0, upper);
    return std::chrono::milliseconds(pick(rng_));
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value)
{
    constexpr std::int64_t one_day = 86400;
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    if (value.empty() || value.size() > 12) {
        return std::nullopt;
    }
    std::int64_t seconds = 0;
    const auto* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, seconds);
    if (ec != std::errc{} || ptr != end || seconds < 0) {
        return std::nullopt;
    }
    return std::chrono::seconds(std::min(seconds, one_day));
}

}  // namespace proxy
