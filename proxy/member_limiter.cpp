#include "proxy/member_limiter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace proxy {

/// A queued acquisition: the timer is the wake-up signal, touched only on its executor.
struct member_limiter::waiter {
    explicit waiter(net::any_io_executor ex) : executor(ex), timer(ex) {}
    net::any_io_executor executor;
    net::steady_timer timer;
    bool granted = false;  ///< guarded by the limiter's mutex
};

member_slot::member_slot(std::shared_ptr<member_limiter> owner, std::string member)
    : owner_(std::move(owner)), member_(std::move(member))
{
}

member_slot::member_slot(member_slot&& other) noexcept
    : owner_(std::move(other.owner_)), member_(std::move(other.member_))
{
    other.owner_.reset();
}

member_slot& member_slot::operator=(member_slot&& other) noexcept
{
    if (this != &other) {
        if (owner_) {
            owner_->release(member_);
        }
        owner_ = std::move(other.owner_);
        member_ = std::move(other.member_);
        other.owner_.reset();
    }
    return *this;
}

member_slot::~member_slot()
{
    if (owner_) {
        owner_->release(member_);
    }
}

std::shared_ptr<member_limiter> member_limiter::create(std::size_t limit)
{
    return std::shared_ptr<member_limiter>(new member_limiter(limit));
}

member_slot member_limiter::try_acquire(const std::string& member)
{
    std::lock_guard lock(mutex_);
    auto& m = members_[member];
    if (m.in_flight < limit_ && m.waiting.empty()) {
        ++m.in_flight;
        return member_slot(shared_from_this(), member);
    }
    return member_slot();
}

net::awaitable<member_slot> member_limiter::acquire(std::string member)
{
    auto self = shared_from_this();
    std::shared_ptr<waiter> w;
    {
        std::lock_guard lock(mutex_);
        auto& m = members_[member];
        if (m.in_flight < limit_ && m.waiting.empty()) {
            ++m.in_flight;
            co_return member_slot(self, member);
        }
        w = std::make_shared<waiter>(co_await net::this_coro::executor);
        w->timer.expires_at(net::steady_timer::time_point::max());
        m.waiting.push_back(w);
    }
    // Woken by release() (which cancels the timer) or by our own cancellation.
    co_await w->timer.async_wait(net::as_tuple(net::use_awaitable));
    std::lock_guard lock(mutex_);
    if (w->granted) {
        co_return member_slot(self, member);
    }
    auto& q = members_[member].waiting;
    q.erase(std::remove(q.begin(), q.end(), w), q.end());
    co_return member_slot();
}

void member_limiter::release(const std::string& member)
{
    std::lock_guard lock(mutex_);
    auto it = members_.find(member);
    if (it == members_.end()) {
        return;
    }
    auto& m = it->second;
    if (!m.waiting.empty()) {
        // The slot passes straight to the next waiter; in_flight is unchanged.
        auto w = std::move(m.waiting.front());
        m.waiting.pop_front();
        w->granted = true;
        net::post(w->executor, [w] { w->timer.cancel(); });
        return;
    }
    if (m.in_flight > 0) {
        --m.in_flight;
    }
    if (m.in_flight == 0) {
        members_.erase(it);
    }
}

std::size_t member_limiter::in_flight(const std::string& member) const
{
    std::lock_guard lock(mutex_);
    auto it = members_.find(member);
    return it == members_.end() ? 0 : it->second.in_flight;
}

}  // namespace proxy
