#pragma once
/// Retry timing for calls to an API server: exponential backoff with full jitter, and the
/// `Retry-After` header of 429 answers.
///
/// Full jitter: the delay before retry n (n = 0 for the first retry) is uniform in
/// [0, min(max_delay, initial_delay · 2^n)]. With initial 100 ms and max 5 s the caps are
/// 100, 200, 400, 800 ms, ... 5 s. Spreading retries over the whole interval keeps many
/// clients that failed together from retrying together.
///
/// Thread safety: `backoff_policy` is a plain value; a `backoff` instance is not
/// synchronised (its owner confines it to one strand).

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace proxy {

struct backoff_policy {
    int max_attempts = 4;  ///< attempts per call, the first one included (≥ 1)
    std::chrono::milliseconds initial_delay{100};  ///< cap of the first retry's delay
    std::chrono::milliseconds max_delay{5000};     ///< cap of any computed delay
    std::chrono::milliseconds max_retry_after{30000};  ///< longest Retry-After honoured
};

class backoff {
public:
    backoff(const backoff_policy& policy, std::uint64_t seed);

    /// The delay before retry `retry_index` (0-based), drawn with full jitter.
    std::chrono::milliseconds delay(int retry_index);

    /// The cap delay(retry_index) draws under, without randomness.
    std::chrono::milliseconds cap(int retry_index) const;

private:
    backoff_policy policy_;
    std::mt19937_64 rng_;
};

/// Parses a `Retry-After` value given in delta-seconds ("3"). HTTP-dates and garbage give
/// nullopt (the caller falls back to its computed backoff). Values are clamped to a day.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

}  // namespace proxy
