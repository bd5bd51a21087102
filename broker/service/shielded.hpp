#pragma once
/// Runs a service call detached from the caller's cancellation.
///
/// Why: the HTTP server cancels a handler (terminal cancellation) when its client goes away.
/// Boost 1.81's co_spawn(..., use_awaitable) — which the store's thread-pool hop and the
/// Kubernetes client use — can run its cancellation handler after the spawned operation has
/// completed and its state is gone (a call through a null handler: the broker crashed under
/// load when clients timed out). A submission should finish anyway once it has started (its
/// record is the source of truth), so the call runs as a detached coroutine that owns all of
/// its inputs, and the caller waits on a channel, whose wait is cleanly cancellable.
///
/// Usage: build the callable in a local first (g++ 12 mishandles a temporary std::function
/// inside a co_await expression), capture everything by value (never the request context):
///
///     std::function<awaitable<api_reply>()> call = [&jobs, who = *who, r = std::move(r)] {
///         return jobs.submit(who, r);
///     };
///     auto reply = co_await service::shielded(std::move(call));
///
/// A cancelled wait (or an exception in the call) throws boost::system::system_error; the
/// detached call still runs to its end.
///
/// Thread safety: the callable runs on the caller's executor.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <functional>
#include <memory>
#include <optional>

namespace broker::service {

template <class T>
boost::asio::awaitable<T> shielded(std::function<boost::asio::awaitable<T>()> call) {
    namespace asio = boost::asio;
    using channel =
        asio::experimental::channel<void(boost::system::error_code, std::optional<T>)>;
    auto ex = co_await asio::this_coro::executor;
    auto done = std::make_shared<channel>(ex, 1);
    asio::co_spawn(
        ex,
        [done, call = std::move(call)]() -> asio::awaitable<void> {
            std::optional<T> value;
            boost::system::error_code failed;
            try {
                value.emplace(co_await call());
            } catch (const std::exception&) {
                failed = boost::system::errc::make_error_code(boost::system::errc::io_error);
            }
            done->try_send(failed, std::move(value));
        },
        asio::detached);
    auto [ec, value] = co_await done->async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec || !value) {
        throw boost::system::system_error(ec ? ec : asio::error::operation_aborted);
    }
    co_return std::move(*value);
}

}  // namespace broker::service
