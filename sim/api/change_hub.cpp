#include "sim/api/change_hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace fedsim::api {

namespace net = boost::asio;

change_hub::change_hub(net::any_io_executor executor) : executor_(std::move(executor)) {}

void change_hub::notify()
{
    for (auto* t : waiting_) {
        t->cancel();
    }
}

net::awaitable<void> change_hub::wait(std::chrono::steady_clock::duration max_wait)
{
    if (closed_) {
        co_return;
    }
    net::steady_timer t(executor_, max_wait);
    auto it = waiting_.insert(waiting_.end(), &t);
    struct waiter_guard {
        std::list<timer*>& list;
        std::list<timer*>::iterator it;
        ~waiter_guard() { list.erase(it); }
    } guard{waiting_, it};
    auto [ec] = co_await t.async_wait(net::as_tuple(net::use_awaitable));
    (void)ec;
}

void change_hub::close()
{
    closed_ = true;
    notify();
}

} // namespace fedsim::api
