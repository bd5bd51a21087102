#pragma once

#include <boost/asio/awaitable.hpp>

#include <string_view>

namespace broker::server {

/// The sink a streaming response writes to: one chunk of a chunked-transfer body per call.
///
/// The session implements it; handlers never see the socket. `write` returns false once the
/// client went away, a write deadline expired or the server is shutting down — the producer then
/// stops. An empty chunk is ignored (it would end the body).
/// Thread safety: use only from the coroutine the session gave it to.
class chunk_writer {
public:
    virtual ~chunk_writer() = default;

    /// Writes `data` as one chunk and waits until it is sent (bounded by the write timeout).
    virtual boost::asio::awaitable<bool> write(std::string_view data) = 0;

    /// True once a write failed or the client disconnected.
    [[nodiscard]] virtual bool closed() const = 0;
};

} // namespace broker::server
