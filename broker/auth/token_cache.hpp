#pragma once
/// Verified bearer tokens remembered until they expire, so a client sending the same token on
/// every request pays for one signature check (ES256/RS256 verification dominated the cost of
/// a small proxied read).
///
/// Only tokens the verifier accepted are stored, keyed by the whole token text (a lookup is an
/// exact string match, so a forged or altered token never hits). An entry is used only while
/// `now <= exp`; past that the verifier decides again (its leeway included), so the cache never
/// accepts a token the verifier would refuse. Bounded: at most `capacity` entries; when full,
/// expired entries are dropped and, if that frees nothing, the whole cache is cleared.
///
/// Thread safety: all members may be called concurrently (one mutex).

#include "broker/auth/jwt.hpp"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace broker::auth {

class token_cache {
public:
    explicit token_cache(std::size_t capacity = 4096) : capacity_(capacity) {}

    /// The principal of `token` when it was verified before and `now <= exp`.
    std::optional<principal> find(std::string_view token, std::int64_t now) const;

    /// Remembers a token the verifier accepted at `now`, with its `exp` claim.
    void remember(std::string_view token, const principal& who, std::int64_t exp,
                  std::int64_t now);

    std::size_t size() const;

private:
    struct entry {
        principal who;
        std::int64_t exp = 0;
    };
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
};

/// The integer `exp` claim of a compact JWT (payload decoded, signature not checked): for
/// caching tokens that were verified already. Nothing when absent or malformed.
std::optional<std::int64_t> token_expiry(std::string_view token);

}  // namespace broker::auth
