#pragma once
/// At most N calls in flight per member cluster (config proxy.maxInFlightPerMember): a call
/// beyond the limit waits for a slot, in arrival order, until a slot frees or the waiting
/// coroutine is cancelled (e.g. by its member deadline). One slow member thus queues only its
/// own calls and never holds connections other members need.
///
/// Thread safety: internally synchronised; `acquire` may be awaited from any executor. A slot
/// is released by destroying its `member_slot` (on any thread).

#include "proxy/net.hpp"

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace proxy {

class member_limiter;

/// An acquired slot; releases it when destroyed. Empty when acquisition was cancelled.
class member_slot {
public:
    member_slot() = default;
    member_slot(std::shared_ptr<member_limiter> owner, std::string member);
    member_slot(member_slot&& other) noexcept;
    member_slot& operator=(member_slot&& other) noexcept;
    member_slot(const member_slot&) = delete;
    member_slot& operator=(const member_slot&) = delete;
    ~member_slot();

    explicit operator bool() const { return owner_ != nullptr; }

private:
    std::shared_ptr<member_limiter> owner_;
    std::string member_;
};

class member_limiter : public std::enable_shared_from_this<member_limiter> {
public:
    /// `limit` ≥ 1 (0 is treated as 1).
    static std::shared_ptr<member_limiter> create(std::size_t limit);

    /// Waits for a slot of `member`. Returns an empty slot when cancelled while waiting.
    net::awaitable<member_slot> acquire(std::string member);

    /// A slot of `member` if one is free now and nobody waits; empty otherwise (no waiting).
    member_slot try_acquire(const std::string& member);

    /// Calls currently holding a slot of `member` (tests, metrics).
    std::size_t in_flight(const std::string& member) const;

    struct waiter;

private:
    explicit member_limiter(std::size_t limit) : limit_(limit == 0 ? 1 : limit) {}
    friend class member_slot;
    void release(const std::string& member);

    struct member_state {
        std::size_t in_flight = 0;
        std::deque<std::shared_ptr<waiter>> waiting;
    };
    std::size_t limit_;
    mutable std::mutex mutex_;
    std::map<std::string, member_state> members_;
};

}  // namespace proxy
