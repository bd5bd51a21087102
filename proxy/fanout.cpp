#include "proxy/fanout.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace proxy {

namespace {

using namespace net::experimental::awaitable_operators;
using clock_type = std::chrono::steady_clock;

/// The call with exceptions turned into that member's error: inside the `||` race a throwing
/// branch would otherwise lose silently to the timer.
template <class T>
net::awaitable<kube_result<T>> guarded(basic_member_call<T> call, std::string member)
{
    std::string failure;
    try {
        auto r = co_await call(member);
        co_return r;
    } catch (const std::exception& e) {
        failure = e.what();
    }
    co_return transport_error(kube_errc::bad_response, "the call to member " + member + " failed",
                              failure);
}

/// One member's call raced against its deadline; the loser is cancelled.
template <class T>
net::awaitable<basic_member_outcome<T>> one_member(basic_member_call<T> call, std::string member,
                                                   std::chrono::milliseconds timeout)
{
    basic_member_outcome<T> out;
    out.member = member;
    const auto start = clock_type::now();
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(timeout);
    auto winner = co_await (guarded(std::move(call), member) ||
                            timer.async_wait(net::as_tuple(net::use_awaitable)));
    if (winner.index() == 0) {
        out.result = std::move(std::get<0>(winner));
    } else {
        out.result = transport_error(kube_errc::timeout,
                                     "member " + member + " did not answer within " +
                                         std::to_string(timeout.count()) + "ms");
    }
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
    co_return out;
}

template <class T>
net::awaitable<std::vector<basic_member_outcome<T>>> fan_out_of(
    std::vector<std::string> members, std::chrono::milliseconds per_member_timeout,
    basic_member_call<T> call)
{
    std::vector<basic_member_outcome<T>> outcomes;
    if (members.empty()) {
        co_return outcomes;
    }
    const auto executor = co_await net::this_coro::executor;
    using op_type = decltype(net::co_spawn(
        executor, one_member(call, std::string{}, per_member_timeout), net::deferred));
    std::vector<op_type> ops;
    ops.reserve(members.size());
    for (const auto& member : members) {
        ops.push_back(net::co_spawn(executor, one_member(call, member, per_member_timeout),
                                    net::deferred));
    }
    auto [order, exceptions, results] =
        co_await net::experimental::make_parallel_group(std::move(ops))
            .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    (void)order;
    outcomes.reserve(members.size());
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (exceptions[i]) {
            // one_member catches what the call throws; this is only reached on allocation
            // failure or cancellation before the child started.
            basic_member_outcome<T> failed;
            failed.member = members[i];
            failed.result = transport_error(kube_errc::cancelled,
                                            "the call to member " + members[i] + " did not run");
            outcomes.push_back(std::move(failed));
        } else {
            outcomes.push_back(std::move(results[i]));
        }
    }
    co_return outcomes;
}

/// One member's outcome handed to the sink as soon as it is in.
net::awaitable<void> deliver(scanned_call call, std::string member,
                             std::chrono::milliseconds timeout, std::size_t index,
                             const scanned_sink* sink)
{
    auto outcome = co_await one_member(std::move(call), std::move(member), timeout);
    (*sink)(index, std::move(outcome));
}

}  // namespace

net::awaitable<void> fan_out_each(std::vector<std::string> members,
                                  std::chrono::milliseconds per_member_timeout, scanned_call call,
                                  scanned_sink sink)
{
    if (members.empty()) {
        co_return;
    }
    const auto executor = co_await net::this_coro::executor;
    using op_type = decltype(net::co_spawn(
        executor, deliver(call, std::string{}, per_member_timeout, 0, &sink), net::deferred));
    std::vector<op_type> ops;
    ops.reserve(members.size());
    for (std::size_t i = 0; i < members.size(); ++i) {
        ops.push_back(net::co_spawn(
            executor, deliver(call, members[i], per_member_timeout, i, &sink), net::deferred));
    }
    // `sink` lives in this frame, which outlives every child (the group waits for all).
    auto [order, exceptions] =
        co_await net::experimental::make_parallel_group(std::move(ops))
            .async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    (void)order;
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (exceptions[i]) {
            // Only when the child did not run (allocation failure, cancelled before start).
            scanned_outcome failed;
            failed.member = members[i];
            failed.result = transport_error(kube_errc::cancelled,
                                            "the call to member " + members[i] + " did not run");
            sink(i, std::move(failed));
        }
    }
}

net::awaitable<std::vector<member_outcome>> fan_out(std::vector<std::string> members,
                                                    std::chrono::milliseconds per_member_timeout,
                                                    member_call call)
{
    return fan_out_of<json_response>(std::move(members), per_member_timeout, std::move(call));
}

net::awaitable<std::vector<scanned_outcome>> fan_out(std::vector<std::string> members,
                                                     std::chrono::milliseconds per_member_timeout,
                                                     scanned_call call)
{
    return fan_out_of<scanned_member>(std::move(members), per_member_timeout, std::move(call));
}

}  // namespace proxy
