// The Beast/Asio side of kube_client: connection pool, TLS, one HTTP exchange, the retry
// loop and watch. Kept in one translation unit because coroutine + Beast instantiations
// dominate the build time (TOOLCHAIN.md §4.8).
#include "proxy/kube_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <random>

namespace proxy {

namespace {

namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace net::experimental::awaitable_operators;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

bool iequals(std::string_view a, std::string_view b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

std::string trim(std::string_view s)
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

/// The server URL split into what a connection needs.
struct server_url {
    bool tls = true;
    std::string host;         // without brackets
    std::string port;
    std::string prefix;       // "" or "/some/prefix" (no trailing slash)
    std::string host_header;  // host[:port] as sent in Host
    bool host_is_ip = false;
};

kube_result<server_url> parse_server_url(std::string_view url)
{
    auto bad = [&](std::string why) {
        return transport_error(kube_errc::invalid_argument,
                               "clusters[].cluster.server: " + why + ": \"" + std::string(url) +
                                   "\"");
    };
    server_url out;
    if (url.starts_with("https://")) {
        url.remove_prefix(8);
    } else if (url.starts_with("http://")) {
        out.tls = false;
        url.remove_prefix(7);
    } else {
        return bad("the URL must start with https:// or http://");
    }
    const auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    std::string_view path =
        slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
    if (path.find_first_of("?#") != std::string_view::npos) {
        return bad("the URL must not carry a query or fragment");
    }
    while (path.ends_with('/')) {
        path.remove_suffix(1);
    }
    out.prefix = std::string(path);
    if (authority.find('@') != std::string_view::npos) {
        return bad("credentials in the URL are not supported");
    }
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return bad("unterminated IPv6 address");
        }
        out.host = std::string(authority.substr(1, close - 1));
        auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return bad("unexpected text after the IPv6 address");
            }
            port = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
        }
    }
    if (out.host.empty()) {
        return bad("missing host");
    }
    if (!port.empty()) {
        if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
                return c >= '0' && c <= '9';
            }) || std::stoi(std::string(port)) > 65535 || std::stoi(std::string(port)) == 0) {
            return bad("invalid port");
        }
        out.port = std::string(port);
    } else {
        out.port = out.tls ? "443" : "80";
    }
    boost::system::error_code ec;
    const auto address = net::ip::make_address(out.host, ec);
    out.host_is_ip = !ec;
    const bool default_port = out.port == (out.tls ? "443" : "80");
    const std::string host_part =
        (out.host_is_ip && address.is_v6()) ? "[" + out.host + "]" : out.host;
    out.host_header = default_port ? host_part : host_part + ":" + out.port;
    return out;
}

std::string base64(std::string_view in)
{
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
    return out;
}

/// Room for one read from a connection; Beast's largest read is 64 KiB.
constexpr std::size_t read_buffer_bytes = 64u << 10;

/// One keep-alive connection, plain or TLS. Owned by exactly one call at a time, or by the
/// pool while idle.
struct connection {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<ssl::stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    /// The execution context (io_context) whose reactor the socket is registered with.
    const net::execution_context* home = nullptr;

    beast::tcp_stream& lowest() { return secure ? secure->next_layer() : *plain; }

    template <class F>
    auto with_stream(F&& f)
    {
        if (secure) {
            return f(*secure);
        }
        return f(*plain);
    }

    /// True when the idle connection looks reusable: no bytes and no EOF waiting. A server
    /// that closed an idle connection leaves an EOF (or a TLS close_notify) to read.
    bool looks_alive()
    {
        if (buffer.size() != 0 || !lowest().socket().is_open()) {
            return false;
        }
        char probe = 0;
        const auto n =
            ::recv(lowest().socket().native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    void close()
    {
        beast::error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().close();
    }
};

/// A request ready to send, with everything the retry loop needs to know.
struct request_spec {
    http::verb method = http::verb::get;
    std::string target;
    std::string body;
    header_list headers;
    bool idempotent = true;
    bool parse_body = true;  // call_options::parse_body
    int max_attempts = 1;
    clock_type::time_point deadline;
    const std::function<bool(std::string_view)>* on_data = nullptr;  // streaming when set
    std::chrono::milliseconds idle_timeout{0};
};

struct attempt_outcome {
    std::optional<kube_error> error;
    bool request_sent = false;  // the whole request may have reached the server
    bool streamed = false;      // 2xx body bytes went to on_data: no retry possible
    bool stopped = false;       // on_data asked to stop
    raw_response response;
};

struct performed {
    std::optional<kube_error> error;
    raw_response response;
    int attempts = 0;
    bool stopped = false;
};

const net::execution_context* context_of(const net::any_io_executor& executor)
{
    return &net::query(executor, net::execution::context);
}

bool is_stale_connection_error(const beast::error_code& ec)
{
    return ec == http::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == ssl::error::stream_truncated;
}

}  // namespace

struct kube_client::state : std::enable_shared_from_this<kube_client::state> {
    state(net::any_io_executor ex, server_url u, client_options o)
        : strand(net::make_strand(ex)),
          url(std::move(u)),
          options(std::move(o)),
          jitter(options.retry, options.rng_seed ? *options.rng_seed : std::random_device{}())
    {
    }

    net::strand<net::any_io_executor> strand;
    std::string server;
    server_url url;
    client_options options;
    std::string authorization;  // full header value, empty when none
    std::unique_ptr<ssl::context> tls;
    bool verify_peer = true;
    std::string tls_name;  // SNI and verification name
    bool tls_name_is_ip = false;

    // Calls run on their callers' executors, so the pool and the jitter source are shared
    // between threads: both are guarded by `mutex`, held only to take or put back.
    std::mutex mutex;
    backoff jitter;
    std::deque<std::unique_ptr<connection>> idle;

    // Counters, readable from any thread.
    std::atomic<std::uint64_t> attempts{0}, retries{0}, opened{0}, reused{0}, stale{0},
        timeouts{0}, tls_failures{0}, connect_failures{0}, oversized{0}, watch_reconnects{0};
    std::atomic<std::int64_t> last_retry_delay_ms{-1};

    /// An idle connection of the caller's context `home`: one of another context would
    /// complete every read on that context's thread and hand over to the caller's (with one
    /// io_context per thread, see broker/server/io_pool.hpp).
    std::unique_ptr<connection> take_idle(const net::execution_context* home)
    {
        for (;;) {
            std::unique_ptr<connection> c;
            {
                std::lock_guard lock(mutex);
                // Most recently used first: least likely stale.
                auto it = std::find_if(idle.rbegin(), idle.rend(),
                                       [home](const auto& i) { return i->home == home; });
                if (it == idle.rend()) {
                    return nullptr;
                }
                c = std::move(*it);
                idle.erase(std::next(it).base());
            }
            if (c->looks_alive()) {
                return c;
            }
            c->close();
        }
    }

    /// Keeps `c` for reuse. When the pool is full the least recently used idle connection
    /// goes instead: otherwise a context whose fan-outs filled the pool would keep it, and
    /// every other context would open and close fresh connections on each call.
    void release(std::unique_ptr<connection> c)
    {
        c->lowest().expires_never();
        if (options.max_idle_connections == 0) {
            c->close();
            return;
        }
        std::unique_ptr<connection> evicted;
        {
            std::lock_guard lock(mutex);
            if (idle.size() >= options.max_idle_connections) {
                evicted = std::move(idle.front());
                idle.pop_front();
            }
            idle.push_back(std::move(c));
        }
        if (evicted) {
            // Idle: no operation pending on it, so closing it from this thread is safe.
            evicted->close();
        }
    }

    std::chrono::milliseconds retry_delay(int retry_index)
    {
        std::lock_guard lock(mutex);
        return jitter.delay(retry_index);
    }

    kube_error io_error(const beast::error_code& ec, std::string_view doing)
    {
        if (ec == beast::error::timeout) {
            ++timeouts;
            return transport_error(kube_errc::timeout,
                                   "deadline exceeded while " + std::string(doing) + " " + server,
                                   ec.message());
        }
        if (ec == net::error::operation_aborted) {
            return transport_error(kube_errc::cancelled, "cancelled while " + std::string(doing),
                                   ec.message());
        }
        if (ec == http::error::body_limit || ec == http::error::header_limit ||
            ec == http::error::buffer_overflow) {
            ++oversized;
            return transport_error(kube_errc::response_too_large,
                                   "response from " + server + " exceeds the size limit",
                                   ec.message());
        }
        if (&ec.category() == &http::make_error_code(http::error::bad_version).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message) {
            return transport_error(kube_errc::bad_response,
                                   "malformed HTTP response from " + server, ec.message());
        }
        return transport_error(kube_errc::connection_lost,
                               "connection to " + server + " lost while " + std::string(doing),
                               ec.message());
    }
};

namespace {

using state_ptr = std::shared_ptr<kube_client::state>;

net::awaitable<kube_result<std::unique_ptr<connection>>> connect(state_ptr self,
                                                                   clock_type::time_point deadline)
{
    const auto executor = co_await net::this_coro::executor;
    tcp::resolver resolver(executor);
    net::steady_timer timer(executor);
    timer.expires_at(deadline);
    auto resolved = co_await (resolver.async_resolve(self->url.host, self->url.port, use_tuple) ||
                              timer.async_wait(use_tuple));
    if (resolved.index() == 1) {
        ++self->timeouts;
        co_return transport_error(kube_errc::timeout,
                                  "deadline exceeded while resolving " + self->url.host);
    }
    auto [rec, endpoints] = std::get<0>(std::move(resolved));
    if (rec) {
        ++self->connect_failures;
        if (rec == net::error::operation_aborted) {
            co_return transport_error(kube_errc::cancelled, "cancelled while resolving");
        }
        co_return transport_error(kube_errc::connect_failed,
                                  "cannot resolve " + self->url.host, rec.message());
    }

    auto conn = std::make_unique<connection>();
    conn->home = context_of(executor);
    // Beast reads at most the buffer's free capacity (and never less than 512 bytes) per
    // system call: without room reserved, a 100 KB answer took about a hundred reads.
    conn->buffer.reserve(read_buffer_bytes);
    if (self->tls) {
        conn->secure = std::make_unique<ssl::stream<beast::tcp_stream>>(executor, *self->tls);
    } else {
        conn->plain = std::make_unique<beast::tcp_stream>(executor);
    }
    conn->lowest().expires_at(deadline);
    auto [cec, ep] = co_await conn->lowest().async_connect(endpoints, use_tuple);
    (void)ep;
    if (cec) {
        if (cec == beast::error::timeout) {
            ++self->timeouts;
            co_return transport_error(kube_errc::timeout,
                                      "deadline exceeded while connecting to " + self->server);
        }
        if (cec == net::error::operation_aborted) {
            co_return transport_error(kube_errc::cancelled, "cancelled while connecting");
        }
        ++self->connect_failures;
        co_return transport_error(kube_errc::connect_failed, "cannot connect to " + self->server,
                                  cec.message());
    }
    beast::error_code ignored;
    conn->lowest().socket().set_option(tcp::no_delay(true), ignored);

    if (conn->secure) {
        SSL* native = conn->secure->native_handle();
        // SNI carries host names only (RFC 6066 §3); IP literals are verified but not sent.
        if (!self->tls_name_is_ip &&
            SSL_set_tlsext_host_name(native, self->tls_name.c_str()) != 1) {
            co_return transport_error(kube_errc::tls_failed, "cannot set TLS server name");
        }
        if (self->verify_peer) {
            X509_VERIFY_PARAM* param = SSL_get0_param(native);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            const int ok = self->tls_name_is_ip
                               ? X509_VERIFY_PARAM_set1_ip_asc(param, self->tls_name.c_str())
                               : X509_VERIFY_PARAM_set1_host(param, self->tls_name.c_str(), 0);
            if (ok != 1) {
                co_return transport_error(kube_errc::tls_failed,
                                          "cannot set the TLS verification name");
            }
        }
        auto [hec] = co_await conn->secure->async_handshake(ssl::stream_base::client, use_tuple);
        if (hec) {
            if (hec == beast::error::timeout) {
                ++self->timeouts;
                co_return transport_error(kube_errc::timeout,
                                          "deadline exceeded during the TLS handshake with " +
                                              self->server);
            }
            if (hec == net::error::operation_aborted) {
                co_return transport_error(kube_errc::cancelled, "cancelled during TLS handshake");
            }
            ++self->tls_failures;
            std::string why = hec.message();
            const long verify = SSL_get_verify_result(native);
            if (verify != X509_V_OK) {
                why = std::string("certificate verification failed: ") +
                      X509_verify_cert_error_string(verify);
            }
            co_return transport_error(kube_errc::tls_failed,
                                      "TLS handshake with " + self->server + " failed: " + why,
                                      hec.message());
        }
    }
    ++self->opened;
    co_return std::move(conn);
}

/// One HTTP exchange on a pooled or new connection (a stale pooled one is replaced once).
net::awaitable<attempt_outcome> attempt(state_ptr self, const request_spec& spec)
{
    attempt_outcome out;
    const auto* home = context_of(co_await net::this_coro::executor);
    for (int stale_try = 0;; ++stale_try) {
        std::unique_ptr<connection> conn = stale_try == 0 ? self->take_idle(home) : nullptr;
        const bool reused = conn != nullptr;
        if (reused) {
            ++self->reused;
        } else {
            auto fresh = co_await connect(self, spec.deadline);
            if (!fresh) {
                out.error = std::move(fresh.error());
                co_return out;
            }
            conn = std::move(*fresh);
        }

        http::request<http::string_body> req{spec.method, spec.target, 11};
        req.set(http::field::host, self->url.host_header);
        req.set(http::field::user_agent, self->options.user_agent);
        req.set(http::field::accept, "application/json");
        if (!self->authorization.empty()) {
            req.set(http::field::authorization, self->authorization);
        }
        for (const auto& [name, value] : spec.headers) {
            req.set(name, value);
        }
        req.body() = spec.body;
        req.keep_alive(true);
        req.prepare_payload();

        conn->lowest().expires_at(spec.deadline);
        auto [wec, written] = co_await conn->with_stream(
            [&](auto& stream) { return http::async_write(stream, req, use_tuple); });
        (void)written;
        if (wec) {
            // A failed write means the server never saw a whole request: safe to resend.
            if (reused && stale_try == 0 && is_stale_connection_error(wec)) {
                ++self->stale;
                conn->close();
                continue;
            }
            out.error = self->io_error(wec, "sending the request to");
            conn->close();
            co_return out;
        }
        out.request_sent = true;

        http::response_parser<http::buffer_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(self->options.max_header_bytes));
        if (spec.on_data) {
            parser.body_limit(boost::none);  // streams are bounded per event by the caller
        } else {
            parser.body_limit(self->options.max_response_bytes);
        }
        if (spec.method == http::verb::head) {
            parser.skip(true);
        }
        auto [hec, header_bytes] = co_await conn->with_stream([&](auto& stream) {
            return http::async_read_header(stream, conn->buffer, parser, use_tuple);
        });
        (void)header_bytes;
        if (hec) {
            // EOF before any byte of an answer on a reused connection: the server closed it
            // while idle. Resending is safe for idempotent requests only.
            if (reused && stale_try == 0 && is_stale_connection_error(hec) &&
                conn->buffer.size() == 0 && spec.idempotent) {
                ++self->stale;
                conn->close();
                out.request_sent = false;
                continue;
            }
            out.error = self->io_error(hec, "waiting for the response from");
            conn->close();
            co_return out;
        }

        auto& head = parser.get();
        out.response.status = head.result_int();
        for (const auto& field : head) {
            out.response.headers.emplace_back(std::string(field.name_string()),
                                              std::string(field.value()));
        }
        const bool streaming = spec.on_data != nullptr && out.response.status / 100 == 2;
        out.streamed = streaming;

        // Streamed bodies go through a chunk buffer in the coroutine frame; buffered bodies
        // are decoded by Beast straight into the response string (sized from Content-Length
        // when known), saving a copy of every byte. Chunked transfer coding is removed.
        char chunk[16384];
        auto& body = out.response.body;
        // Buffered: `body` is grown ahead of the data (zero-filled once per byte, never
        // again) and `used` counts the bytes received; trimmed to `used` at the end.
        std::size_t used = 0;
        const std::size_t limit = self->options.max_response_bytes;
        bool sized = false;  // Content-Length known: the body is exactly that long
        if (!streaming) {
            if (const auto length = parser.content_length()) {
                body.resize(static_cast<std::size_t>(std::min<std::uint64_t>(*length, limit)));
                sized = true;
            }
        }
        while (!parser.is_done()) {
            std::size_t offered = sizeof chunk;
            if (streaming) {
                parser.get().body().data = chunk;
                conn->lowest().expires_after(spec.idle_timeout);
            } else {
                if ((body.size() == used || (!sized && body.size() - used < 4096)) &&
                    body.size() <= limit) {
                    body.resize(std::min(limit + 1, std::max(body.size() * 2, used + (64u << 10))));
                }
                offered = body.size() - used;
                parser.get().body().data = body.data() + used;
            }
            parser.get().body().size = offered;
            auto [rec, n] = co_await conn->with_stream([&](auto& stream) {
                return http::async_read_some(stream, conn->buffer, parser, use_tuple);
            });
            (void)n;
            if (rec == http::error::need_buffer) {
                rec = {};
            }
            const std::size_t got = offered - parser.get().body().size;
            if (!streaming) {
                used += got;
                if (used > limit) {
                    ++self->oversized;
                    out.error = transport_error(kube_errc::response_too_large,
                                                "response from " + self->server +
                                                    " exceeds the size limit");
                    conn->close();
                    co_return out;
                }
            } else if (got > 0 && !(*spec.on_data)(std::string_view(chunk, got))) {
                out.stopped = true;
                conn->close();
                co_return out;
            }
            if (rec) {
                out.error = self->io_error(rec, streaming ? "streaming the response from"
                                                          : "reading the response from");
                conn->close();
                co_return out;
            }
        }
        if (!streaming) {
            body.resize(used);
        }
        if (parser.get().keep_alive()) {
            self->release(std::move(conn));
        } else {
            conn->close();
        }
        co_return out;
    }
}

bool retryable_transport(kube_errc code)
{
    return code == kube_errc::connect_failed || code == kube_errc::connection_lost;
}

/// The retry loop around `attempt`.
net::awaitable<performed> perform(state_ptr self, request_spec spec)
{
    co_await net::this_coro::throw_if_cancelled(false);
    performed result;
    for (int attempt_no = 1;; ++attempt_no) {
        ++self->attempts;
        result.attempts = attempt_no;
        attempt_outcome out = co_await attempt(self, spec);
        const auto cancel_state = co_await net::this_coro::cancellation_state;
        if (cancel_state.cancelled() != net::cancellation_type::none) {
            result.error = transport_error(kube_errc::cancelled, "the call was cancelled");
            result.error->attempts = attempt_no;
            co_return result;
        }
        result.stopped = out.stopped;
        bool retry = false;
        std::optional<std::chrono::milliseconds> retry_after;
        if (out.error) {
            retry = !out.streamed && retryable_transport(out.error->code) &&
                    (spec.idempotent || !out.request_sent);
        } else if (!out.streamed) {
            const unsigned status = out.response.status;
            if (status == 429 || status >= 500) {
                retry = spec.idempotent;
                if (status == 429) {
                    if (auto seconds = parse_retry_after(out.response.header("Retry-After"))) {
                        retry_after = std::min<std::chrono::milliseconds>(
                            *seconds, self->options.retry.max_retry_after);
                    }
                }
            }
        }
        result.error = std::move(out.error);
        result.response = std::move(out.response);
        if (result.error) {
            result.error->attempts = attempt_no;
        }
        if (!retry || attempt_no >= spec.max_attempts) {
            co_return result;
        }
        const auto delay = retry_after ? *retry_after : self->retry_delay(attempt_no - 1);
        if (clock_type::now() + delay >= spec.deadline) {
            co_return result;  // no time left for another attempt: report the last outcome
        }
        ++self->retries;
        self->last_retry_delay_ms = delay.count();
        net::steady_timer timer(co_await net::this_coro::executor);
        timer.expires_after(delay);
        auto [ec] = co_await timer.async_wait(use_tuple);
        if (ec) {
            result.error = transport_error(kube_errc::cancelled, "the call was cancelled");
            result.error->attempts = attempt_no;
            co_return result;
        }
    }
}

kube_result<json_response> to_json_result(performed p, bool parse_body)
{
    if (p.error) {
        return std::move(*p.error);
    }
    if (p.response.status / 100 != 2) {
        auto e = status_error(p.response.status, p.response.body);
        e.attempts = p.attempts;
        return e;
    }
    json_response out;
    out.status = p.response.status;
    if (parse_body && !p.response.body.empty()) {
        out.body = nlohmann::json::parse(p.response.body, nullptr, /*allow_exceptions=*/false);
        if (out.body.is_discarded()) {
            auto e = transport_error(kube_errc::bad_response,
                                     "the server's answer is not valid JSON");
            e.attempts = p.attempts;
            return e;
        }
    }
    return out;
}

net::awaitable<kube_result<json_response>> run_json(state_ptr self, request_spec spec)
{
    const bool parse_body = spec.parse_body;
    co_return to_json_result(co_await perform(std::move(self), std::move(spec)), parse_body);
}

net::awaitable<kube_result<raw_response>> run_raw(state_ptr self, request_spec spec)
{
    performed p = co_await perform(std::move(self), std::move(spec));
    if (p.error) {
        co_return std::move(*p.error);
    }
    co_return std::move(p.response);
}

net::awaitable<kube_result<stream_end>> run_stream(state_ptr self, request_spec spec)
{
    performed p = co_await perform(std::move(self), std::move(spec));
    if (p.error) {
        co_return std::move(*p.error);
    }
    if (p.response.status / 100 != 2) {
        auto e = status_error(p.response.status, p.response.body);
        e.attempts = p.attempts;
        co_return e;
    }
    co_return p.stopped ? stream_end::stopped : stream_end::completed;
}

/// Splits a watch stream into newline-delimited JSON events.
class watch_decoder {
public:
    watch_decoder(std::size_t max_event_bytes, std::string* resource_version,
                  const std::function<bool(watch_event&)>& on_event)
        : max_event_bytes_(max_event_bytes),
          resource_version_(resource_version),
          on_event_(on_event)
    {
    }

    /// Feeds bytes; returns false when the stream must end (callback stop or error).
    bool feed(std::string_view data)
    {
        while (!data.empty()) {
            const auto newline = data.find('\n');
            const auto piece = data.substr(0, newline);
            if (pending_.size() + piece.size() > max_event_bytes_) {
                error_ = transport_error(kube_errc::response_too_large,
                                         "a watch event exceeds the size limit");
                return false;
            }
            if (newline == std::string_view::npos) {
                pending_.append(piece);
                return true;
            }
            data.remove_prefix(newline + 1);
            bool go_on = false;
            if (pending_.empty()) {
                go_on = handle_line(piece);  // a whole line in this chunk: no copy
            } else {
                pending_.append(piece);
                go_on = handle_line(pending_);
                pending_.clear();  // keeps its capacity for the next split line
            }
            if (!go_on) {
                return false;
            }
        }
        return true;
    }

    bool stopped = false;  // the callback asked to stop
    std::size_t events = 0;
    std::optional<kube_error> error_;

private:
    bool handle_line(std::string_view line)
    {
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
            return true;  // a blank line (keep-alive)
        }
        auto parsed = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                            /*allow_exceptions=*/false);
        if (!parsed.is_object() || !parsed.contains("type") || !parsed["type"].is_string() ||
            !parsed.contains("object") || !parsed["object"].is_object()) {
            error_ = transport_error(kube_errc::bad_response, "malformed watch event");
            return false;
        }
        watch_event event{parsed["type"].get<std::string>(), std::move(parsed["object"])};
        if (event.type == "ERROR") {
            // The server reports "too old resource version" in-band as a Status (code 410).
            const auto code = event.object.value("code", 500);
            error_ = status_error(code > 0 ? static_cast<unsigned>(code) : 500u,
                                  event.object.dump());
            return false;
        }
        if (const auto* rv = resource_version_of(event.object)) {
            *resource_version_ = *rv;
        }
        ++events;
        if (!on_event_(event)) {
            stopped = true;
            return false;
        }
        return true;
    }

    static const std::string* resource_version_of(const nlohmann::json& object)
    {
        const auto meta = object.find("metadata");
        if (meta == object.end() || !meta->is_object()) {
            return nullptr;
        }
        const auto rv = meta->find("resourceVersion");
        if (rv == meta->end() || !rv->is_string()) {
            return nullptr;
        }
        return rv->get_ptr<const std::string*>();
    }

    std::size_t max_event_bytes_;
    std::string* resource_version_;
    const std::function<bool(watch_event&)>& on_event_;
    std::string pending_;
};

}  // namespace

// --- public interface --------------------------------------------------------------------

std::string raw_response::header(std::string_view name) const
{
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return {};
}

std::string query_escape(std::string_view value)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::string append_query(std::string path, std::string_view name, std::string_view value)
{
    path.push_back(path.find('?') == std::string::npos ? '?' : '&');
    path.append(name);
    path.push_back('=');
    path.append(query_escape(value));
    return path;
}

kube_result<kube_client> kube_client::create(net::any_io_executor executor,
                                             const config::api_endpoint& endpoint,
                                             client_options options)
{
    auto url = parse_server_url(endpoint.server);
    if (!url) {
        return url.error();
    }
    if (options.retry.max_attempts < 1) {
        return transport_error(kube_errc::invalid_argument, "retry.max_attempts must be ≥ 1");
    }
    auto s = std::make_shared<state>(std::move(executor), std::move(*url), std::move(options));
    s->server = endpoint.server;

    const std::string token = trim(endpoint.bearer_token);
    if (!token.empty()) {
        s->authorization = "Bearer " + token;
    } else if (!endpoint.username.empty() || !endpoint.password.empty()) {
        s->authorization = "Basic " + base64(endpoint.username + ":" + endpoint.password);
    }

    if (s->url.tls) {
        auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
        ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
        boost::system::error_code ec;
        s->verify_peer = !endpoint.insecure_skip_tls_verify;
        if (s->verify_peer) {
            ctx->set_verify_mode(ssl::verify_peer, ec);
            if (!endpoint.ca_pem.empty()) {
                ctx->add_certificate_authority(net::buffer(endpoint.ca_pem), ec);
                if (ec) {
                    return transport_error(kube_errc::invalid_argument,
                                           "clusters[].cluster.certificate-authority-data: "
                                           "not a usable PEM certificate: " + ec.message());
                }
            } else {
                ctx->set_default_verify_paths(ec);
            }
        } else {
            ctx->set_verify_mode(ssl::verify_none, ec);
        }
        const bool has_cert = !endpoint.client_cert_pem.empty();
        const bool has_key = !endpoint.client_key_pem.empty();
        if (has_cert != has_key) {
            return transport_error(kube_errc::invalid_argument,
                                   has_cert ? "users[].user.client-key-data: required with a "
                                              "client certificate"
                                            : "users[].user.client-certificate-data: required "
                                              "with a client key");
        }
        if (has_cert) {
            ctx->use_certificate_chain(net::buffer(endpoint.client_cert_pem), ec);
            if (ec) {
                return transport_error(kube_errc::invalid_argument,
                                       "users[].user.client-certificate-data: not a usable PEM "
                                       "certificate: " + ec.message());
            }
            ctx->use_private_key(net::buffer(endpoint.client_key_pem), ssl::context::pem, ec);
            if (ec) {
                return transport_error(kube_errc::invalid_argument,
                                       "users[].user.client-key-data: not a usable PEM key "
                                       "matching the certificate: " + ec.message());
            }
        }
        s->tls = std::move(ctx);
        s->tls_name = endpoint.tls_server_name.empty() ? s->url.host : endpoint.tls_server_name;
        boost::system::error_code aec;
        net::ip::make_address(s->tls_name, aec);
        s->tls_name_is_ip = !aec;
    }
    return kube_client(std::move(s));
}

kube_client::kube_client(std::shared_ptr<state> s) : state_(std::move(s)) {}
kube_client::kube_client(const kube_client&) = default;
kube_client& kube_client::operator=(const kube_client&) = default;
kube_client::kube_client(kube_client&&) noexcept = default;
kube_client& kube_client::operator=(kube_client&&) noexcept = default;
kube_client::~kube_client() = default;

net::any_io_executor kube_client::strand() const { return state_->strand; }
const std::string& kube_client::server() const { return state_->server; }

namespace {

kube_result<request_spec> make_spec(const kube_client::state& s, http::verb method,
                                    std::string path, const call_options& options)
{
    if (path.empty() || path.front() != '/' ||
        path.find_first_of(" \r\n\t") != std::string::npos) {
        return transport_error(kube_errc::invalid_argument,
                               "the request path must start with '/' and contain no blanks");
    }
    for (const auto& [name, value] : options.headers) {
        if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos ||
            value.find_first_of("\r\n") != std::string::npos) {
            return transport_error(kube_errc::invalid_argument,
                                   "invalid request header \"" + name + "\"");
        }
    }
    request_spec spec;
    spec.method = method;
    spec.target = s.url.prefix + path;
    spec.headers = options.headers;
    spec.parse_body = options.parse_body;
    spec.max_attempts = std::max(1, options.max_attempts.value_or(s.options.retry.max_attempts));
    spec.deadline = clock_type::now() + options.timeout.value_or(s.options.default_timeout);
    spec.idempotent = method != http::verb::post && method != http::verb::patch &&
                      method != http::verb::connect;
    return spec;
}

void set_default_header(header_list& headers, std::string_view name, std::string value)
{
    for (const auto& h : headers) {
        if (iequals(h.first, name)) {
            return;
        }
    }
    headers.emplace_back(std::string(name), std::move(value));
}

}  // namespace

namespace {

/// An awaitable that completes at once with `r` (argument errors found before any I/O).
template <class T>
net::awaitable<kube_result<T>> ready(kube_result<T> r)
{
    co_return r;
}

/// Runs `op` in the awaiting coroutine, on its executor: no hop to another executor, so a
/// call costs no more than its own I/O, and the caller's cancellation reaches the socket
/// operations directly. Cancellation is a result here (`kube_errc::cancelled`), not an
/// exception, for the duration of the call; the caller's own setting is restored after it.
template <class T>
net::awaitable<T> in_caller(net::awaitable<T> op)
{
    const bool throwing = co_await net::this_coro::throw_if_cancelled();
    co_await net::this_coro::throw_if_cancelled(false);
    std::optional<T> result;
    std::exception_ptr failure;
    try {
        result.emplace(co_await std::move(op));
    } catch (...) {
        failure = std::current_exception();
    }
    co_await net::this_coro::throw_if_cancelled(throwing);
    if (failure) {
        std::rethrow_exception(failure);
    }
    co_return std::move(*result);
}

net::awaitable<kube_result<json_response>> spawn_json(const state_ptr& self,
                                                      kube_result<request_spec> spec)
{
    if (!spec) {
        return ready<json_response>(spec.error());
    }
    return in_caller(run_json(self, std::move(*spec)));
}

kube_result<request_spec> with_json_body(kube_result<request_spec> spec,
                                         const nlohmann::json& body, std::string content_type)
{
    if (spec && !body.is_null()) {
        spec->body = body.dump();
        set_default_header(spec->headers, "Content-Type", std::move(content_type));
    }
    return spec;
}

net::awaitable<kube_result<stream_end>> run_stream_owning(
    state_ptr self, request_spec spec, std::function<bool(std::string_view)> on_data)
{
    spec.on_data = &on_data;  // lives in this frame until the exchange completes
    co_return co_await run_stream(std::move(self), std::move(spec));
}

}  // namespace

// The public calls are plain functions: they validate and compute the deadline now, then
// hand back the awaitable of a coroutine that runs in the caller. Nothing refers to
// `this` afterwards, so the handle may go away before the awaitable is awaited.

net::awaitable<kube_result<json_response>> kube_client::get(std::string path,
                                                            call_options options)
{
    return spawn_json(state_, make_spec(*state_, http::verb::get, std::move(path), options));
}

net::awaitable<kube_result<json_response>> kube_client::list(std::string path, list_options query,
                                                             call_options options)
{
    if (!query.label_selector.empty()) {
        path = append_query(std::move(path), "labelSelector", query.label_selector);
    }
    if (!query.field_selector.empty()) {
        path = append_query(std::move(path), "fieldSelector", query.field_selector);
    }
    if (query.limit > 0) {
        path = append_query(std::move(path), "limit", std::to_string(query.limit));
    }
    if (!query.continue_token.empty()) {
        path = append_query(std::move(path), "continue", query.continue_token);
    }
    if (!query.resource_version.empty()) {
        path = append_query(std::move(path), "resourceVersion", query.resource_version);
    }
    return get(std::move(path), std::move(options));
}

net::awaitable<kube_result<json_response>> kube_client::create(std::string path,
                                                               const nlohmann::json& object,
                                                               call_options options)
{
    return spawn_json(state_,
                      with_json_body(make_spec(*state_, http::verb::post, std::move(path), options),
                                     object, "application/json"));
}

net::awaitable<kube_result<json_response>> kube_client::update(std::string path,
                                                               const nlohmann::json& object,
                                                               call_options options)
{
    return spawn_json(state_,
                      with_json_body(make_spec(*state_, http::verb::put, std::move(path), options),
                                     object, "application/json"));
}

net::awaitable<kube_result<json_response>> kube_client::merge_patch(std::string path,
                                                                    nlohmann::json patch,
                                                                    call_options options)
{
    auto spec = with_json_body(make_spec(*state_, http::verb::patch, std::move(path), options),
                               patch.is_null() ? nlohmann::json::object() : patch,
                               "application/merge-patch+json");
    if (spec) {
        // A merge patch applied twice gives the same object, so unlike the raw PATCH of
        // request() it may be retried after it was sent.
        spec->idempotent = true;
    }
    return spawn_json(state_, std::move(spec));
}

net::awaitable<kube_result<json_response>> kube_client::remove(std::string path,
                                                               call_options options,
                                                               nlohmann::json delete_options)
{
    return spawn_json(
        state_, with_json_body(make_spec(*state_, http::verb::delete_, std::move(path), options),
                               delete_options, "application/json"));
}

net::awaitable<kube_result<raw_response>> kube_client::request(std::string method,
                                                               std::string path, std::string body,
                                                               header_list headers,
                                                               call_options options)
{
    const auto verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) {
        return ready<raw_response>(transport_error(
            kube_errc::invalid_argument, "unsupported HTTP method \"" + method + "\""));
    }
    for (auto& h : headers) {
        options.headers.push_back(std::move(h));
    }
    auto spec = make_spec(*state_, verb, std::move(path), options);
    if (!spec) {
        return ready<raw_response>(spec.error());
    }
    if (!body.empty()) {
        set_default_header(spec->headers, "Content-Type", "application/json");
    }
    spec->body = std::move(body);
    return in_caller(run_raw(state_, std::move(*spec)));
}

net::awaitable<kube_result<stream_end>> kube_client::stream_get(
    std::string path, stream_options options, std::function<bool(std::string_view)> on_data)
{
    auto spec = make_spec(*state_, http::verb::get, std::move(path), options.call);
    if (!spec) {
        return ready<stream_end>(spec.error());
    }
    spec->idle_timeout = options.idle_timeout.value_or(state_->options.stream_idle_timeout);
    return in_caller(run_stream_owning(state_, std::move(*spec), std::move(on_data)));
}

namespace {

net::awaitable<kube_result<std::string>> run_watch(state_ptr self, std::string path,
                                                   watch_options options,
                                                   std::function<bool(watch_event&)> on_event)
{
    co_await net::this_coro::throw_if_cancelled(false);
    std::string resource_version = options.resource_version;
    int failures = 0;
    int quiet_ends = 0;
    for (int connection_no = 0;; ++connection_no) {
        if (connection_no > 0) {
            ++self->watch_reconnects;
        }
        std::string target = append_query(path, "watch", "1");
        if (!resource_version.empty()) {
            target = append_query(std::move(target), "resourceVersion", resource_version);
        }
        if (options.allow_bookmarks) {
            target = append_query(std::move(target), "allowWatchBookmarks", "true");
        }
        if (!options.label_selector.empty()) {
            target = append_query(std::move(target), "labelSelector", options.label_selector);
        }
        if (!options.field_selector.empty()) {
            target = append_query(std::move(target), "fieldSelector", options.field_selector);
        }
        target = append_query(std::move(target), "timeoutSeconds",
                              std::to_string(self->options.watch_timeout_seconds));

        auto spec = make_spec(*self, http::verb::get, std::move(target), options.call);
        if (!spec) {
            co_return spec.error();
        }
        watch_decoder decoder(self->options.max_event_bytes, &resource_version, on_event);
        const std::function<bool(std::string_view)> on_data = [&decoder](std::string_view d) {
            return decoder.feed(d);
        };
        spec->on_data = &on_data;
        spec->idle_timeout = options.idle_timeout.value_or(self->options.stream_idle_timeout);

        performed p = co_await perform(self, std::move(*spec));
        if (decoder.stopped) {
            co_return resource_version;
        }
        if (p.error && p.error->code == kube_errc::cancelled) {
            co_return std::move(*p.error);
        }
        std::optional<kube_error> failure;
        if (decoder.error_) {
            failure = std::move(decoder.error_);
        } else if (p.error) {
            failure = std::move(p.error);
        } else if (p.response.status / 100 != 2) {
            failure = status_error(p.response.status, p.response.body);
        }
        if (decoder.events > 0) {
            failures = 0;  // the connection was productive; count failures afresh
            quiet_ends = 0;
        }
        if (failure) {
            // Only transient trouble is worth reconnecting for; 410 means "relist", and
            // other 4xx (forbidden, not found, bad selector) will not heal by waiting.
            const bool transient =
                failure->code == kube_errc::timeout || retryable_transport(failure->code) ||
                (failure->code == kube_errc::http_status &&
                 (failure->http_status == 429 || failure->http_status >= 500));
            if (!transient || ++failures >= self->options.watch_max_consecutive_failures) {
                co_return std::move(*failure);
            }
        } else if (decoder.events > 0) {
            continue;  // a productive stream ended (server timeout): resume at once
        }
        // Back off before reconnecting after a failure or a stream that ended empty, so a
        // server that keeps closing at once is not hammered.
        const int step = failure ? failures - 1 : quiet_ends++;
        const auto delay = self->retry_delay(std::min(step, 16));
        net::steady_timer timer(co_await net::this_coro::executor);
        timer.expires_after(delay);
        auto [ec] = co_await timer.async_wait(use_tuple);
        if (ec) {
            co_return transport_error(kube_errc::cancelled, "the watch was cancelled");
        }
    }
}

}  // namespace

net::awaitable<kube_result<std::string>> kube_client::watch(
    std::string path, watch_options options, std::function<bool(watch_event&)> on_event)
{
    return in_caller(run_watch(state_, std::move(path), std::move(options), std::move(on_event)));
}

client_stats kube_client::stats() const
{
    const auto& s = *state_;
    client_stats out;
    out.attempts = s.attempts;
    out.retries = s.retries;
    out.connections_opened = s.opened;
    out.connections_reused = s.reused;
    out.stale_connection_retries = s.stale;
    out.timeouts = s.timeouts;
    out.tls_failures = s.tls_failures;
    out.connect_failures = s.connect_failures;
    out.oversized_responses = s.oversized;
    out.watch_reconnects = s.watch_reconnects;
    out.last_retry_delay_ms = s.last_retry_delay_ms;
    return out;
}

void kube_client::close_idle_connections()
{
    std::deque<std::unique_ptr<connection>> closing;
    {
        std::lock_guard lock(state_->mutex);
        closing.swap(state_->idle);
    }
    for (auto& c : closing) {
        c->close();
    }
}

}  // namespace proxy
