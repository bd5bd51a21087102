#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace broker::server {

/// PEM files for a TLS listener.
struct tls_files {
    std::string cert_file; ///< certificate chain (PEM)
    std::string key_file;  ///< private key (PEM)
};

/// Limits and deadlines of one HTTP server; every input has a limit and every wait a deadline.
///
/// Thread safety: a plain value, copied into the server at construction.
struct server_options {
    std::string address = "127.0.0.1"; ///< IP literal to bind
    std::uint16_t port = 0;            ///< 0 picks a free port (see server::start)
    std::optional<tls_files> tls;      ///< TLS on every connection when set

    std::size_t header_limit = 16 * 1024;    ///< request line + headers; above → 431
    std::uint64_t body_limit = 3 * 1024 * 1024; ///< request body; above → 413
    std::chrono::milliseconds read_timeout{30'000};  ///< one request, first byte to last
    std::chrono::milliseconds write_timeout{30'000}; ///< one response (or one streamed chunk)
    std::chrono::milliseconds idle_timeout{90'000};  ///< keep-alive wait for the next request
    std::chrono::milliseconds handshake_timeout{10'000}; ///< TLS handshake
    std::chrono::milliseconds shutdown_grace{5'000};     ///< stop(): in-flight requests get this long
    std::size_t max_connections = 4096; ///< above → new connections are closed at once
};

} // namespace broker::server
