#include "broker/server/server.hpp"

namespace broker::server {

boost::asio::awaitable<response> run_middleware(const std::vector<middleware>& chain,
                                                std::size_t index, request_context& ctx,
                                                const handler& last)
{
    if (index >= chain.size()) {
        co_return co_await last(ctx);
    }
    handler next = [&chain, index, &last](request_context& c) {
        return run_middleware(chain, index + 1, c, last);
    };
    co_return co_await chain[index](ctx, next);
}

} // namespace broker::server
