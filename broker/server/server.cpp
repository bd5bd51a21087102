// The only translation unit of broker_http that instantiates Beast: listener, sessions (plain and
// TLS), streaming bodies and shutdown. Everything else talks to it through server.hpp.
#include "broker/server/server.hpp"

#include "broker/server/net.hpp"
#include "broker/server/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <sys/socket.h>
#include <map>
#include <mutex>
#include <stdexcept>
#include <variant>

namespace broker::server {

namespace {

using tcp = net::ip::tcp;
namespace ssl = net::ssl;
using namespace net::experimental::awaitable_operators;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
using clock_type = std::chrono::steady_clock;

/// Per-connection state that stop() reaches from other threads (always via the session strand).
struct session_state {
    std::uint64_t id = 0;
    net::any_io_executor strand;
    bool idle = true;
    bool close_after_response = false;
    std::function<void()> close_socket;           ///< set while the stream object lives
    std::unique_ptr<net::steady_timer> stop_timer; ///< cancelled by stop(): ends streaming bodies
    std::shared_ptr<bool> gone = std::make_shared<bool>(false);
};

bool is_disconnect(const boost::system::error_code& ec)
{
    return ec == http::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::operation_aborted ||
           ec == net::error::bad_descriptor || ec == net::error::broken_pipe ||
           ec == net::error::not_connected || ec == beast::error::timeout ||
           ec == ssl::error::stream_truncated || ec == http::error::partial_message;
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

bool sane_request_id(std::string_view id)
{
    if (id.empty() || id.size() > 128) {
        return false;
    }
    for (char c : id) {
        if (c < 0x21 || c > 0x7e) {
            return false;
        }
    }
    return true;
}

} // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
    impl(net::any_io_executor executor, server_options options, std::shared_ptr<const router> r,
         std::shared_ptr<metrics_registry> m)
        : ex(std::move(executor)), accept_strand(net::make_strand(ex)), opts(std::move(options)),
          routes(std::move(r)), metrics(m ? std::move(m) : std::make_shared<metrics_registry>()),
          acceptor(accept_strand), grace_timer(accept_strand)
    {
    }

    net::any_io_executor ex;
    net::strand<net::any_io_executor> accept_strand;
    std::vector<net::any_io_executor> session_executors;  // empty: strands of `ex`
    bool one_thread_each = false;  // session executors are run by one thread each: no strand
    std::size_t next_executor = 0;                         // used on accept_strand only
    server_options opts;
    std::shared_ptr<const router> routes;
    std::shared_ptr<metrics_registry> metrics;
    std::vector<middleware> chain;
    std::optional<ssl::context> tls;
    tcp::acceptor acceptor;
    net::steady_timer grace_timer;
    bound_endpoint bound;
    std::atomic<std::uint64_t> request_counter{0};

    mutable std::mutex mutex;
    std::map<std::uint64_t, std::weak_ptr<session_state>> sessions;
    std::uint64_t next_session_id = 0;
    bool started = false;
    bool stopping = false;
    bool accept_done = false;
    bool finished = false;
    std::vector<std::function<void()>> stopped_callbacks;

    void start_session(tcp::socket socket);
    void session_ended(std::uint64_t id);
    void finish_if_done(std::unique_lock<std::mutex>& lock);
    void force_close_all();
    std::vector<std::shared_ptr<session_state>> live_sessions();
};

namespace {

/// One connection: read a request, answer it, repeat while keep-alive allows.
template <class Stream>
class session {
public:
    session(std::shared_ptr<server::impl> srv, Stream& stream, std::shared_ptr<session_state> st)
        : srv_(std::move(srv)), stream_(stream), st_(std::move(st))
    {
    }

    net::awaitable<void> run();

private:
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

    beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }
    tcp::socket& socket() { return tcp_layer().socket(); }

    net::awaitable<bool> serve_one(http::request<http::string_body>&& req);
    net::awaitable<response> call_handler(request_context& ctx, const handler& last);
    net::awaitable<void> watch_peer();
    net::awaitable<void> wait_stop();
    net::awaitable<bool> write_plain(response& res, unsigned version, bool keep_alive, bool head,
                                     const std::string& request_id);
    net::awaitable<bool> write_stream(response& res, unsigned version, bool keep_alive,
                                      const std::string& request_id);
    net::awaitable<void> answer_parse_error(const boost::system::error_code& ec);
    net::awaitable<void> close_gracefully();

    class writer;

    std::shared_ptr<server::impl> srv_;
    Stream& stream_;
    std::string remote_address_;
    std::uint16_t remote_port_ = 0;
    bool remote_known_ = false;
    std::shared_ptr<session_state> st_;
    beast::flat_buffer buffer_;
};

template <class Stream>
class session<Stream>::writer final : public chunk_writer {
public:
    explicit writer(session& s) : s_(s) {}

    net::awaitable<bool> write(std::string_view data) override
    {
        if (closed_) {
            co_return false;
        }
        if (data.empty()) {
            co_return true;
        }
        s_.tcp_layer().expires_after(s_.srv_->opts.write_timeout);
        auto [ec, n] = co_await net::async_write(
            s_.stream_, http::make_chunk(net::const_buffer(data.data(), data.size())), use_tuple);
        (void)n;
        if (ec) {
            closed_ = true;
            co_return false;
        }
        co_return true;
    }

    [[nodiscard]] bool closed() const override { return closed_ || *s_.st_->gone; }

    void mark_closed() { closed_ = true; }

private:
    session& s_;
    bool closed_ = false;
};

template <class Stream>
net::awaitable<void> session<Stream>::run()
{
    const auto& opts = srv_->opts;
    if constexpr (is_tls) {
        tcp_layer().expires_after(opts.handshake_timeout);
        auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, use_tuple);
        if (ec) {
            srv_->metrics->increment("session_errors_total", "tls_handshake");
            co_return;
        }
    }
    for (;;) {
        if (st_->close_after_response) {
            break;
        }
        http::request_parser<http::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(opts.header_limit));
        parser.body_limit(opts.body_limit);
        st_->idle = buffer_.size() == 0;
        tcp_layer().expires_after(buffer_.size() == 0 ? opts.idle_timeout : opts.read_timeout);
        auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
        (void)n;
        st_->idle = false;
        if (!ec && !parser.is_done()) {
            auto expect = parser.get()[http::field::expect];
            if (iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
                http::response<http::empty_body> cont{http::status::continue_, 11};
                tcp_layer().expires_after(opts.write_timeout);
                auto [wec, wn] = co_await http::async_write(stream_, cont, use_tuple);
                (void)wn;
                if (wec) {
                    break;
                }
            }
            tcp_layer().expires_after(opts.read_timeout);
            std::tie(ec, n) = co_await http::async_read(stream_, buffer_, parser, use_tuple);
        }
        if (ec) {
            if (ec == beast::error::timeout) {
                srv_->metrics->increment("session_errors_total", "timeout");
            }
            if (!is_disconnect(ec)) {
                co_await answer_parse_error(ec);
            }
            break;
        }
        if (!co_await serve_one(parser.release())) {
            break;
        }
    }
    co_await close_gracefully();
}

template <class Stream>
net::awaitable<void> session<Stream>::answer_parse_error(const boost::system::error_code& ec)
{
    unsigned code = 400;
    std::string message = "malformed HTTP request: " + ec.message();
    std::string kind = "bad_request";
    if (ec == http::error::body_limit) {
        code = 413;
        message = "request entity too large: limit is " + std::to_string(srv_->opts.body_limit) +
                  " bytes";
        kind = "body_limit";
    } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        code = 431;
        message = "request header fields too large: limit is " +
                  std::to_string(srv_->opts.header_limit) + " bytes";
        kind = "header_limit";
    }
    srv_->metrics->increment("session_errors_total", kind);
    srv_->metrics->record_request("unmatched", "", code, std::chrono::nanoseconds(0));
    auto res = error_response(code, std::move(message));
    co_await write_plain(res, 11, false, false, {});
    // Drain what the client is still sending (bounded in bytes and time) so that closing does
    // not reset the connection before it has read the error.
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    if constexpr (!is_tls) {
        std::array<char, 16 * 1024> scratch{};
        std::size_t drained = 0;
        tcp_layer().expires_after(std::chrono::seconds(1));
        while (drained < 8 * 1024 * 1024) {
            auto [rec, rn] = co_await tcp_layer().async_read_some(net::buffer(scratch), use_tuple);
            if (rec) {
                break;
            }
            drained += rn;
        }
    }
}

template <class Stream>
net::awaitable<void> session<Stream>::close_gracefully()
{
    boost::system::error_code ignored;
    if constexpr (is_tls) {
        if (!*st_->gone && socket().is_open()) {
            tcp_layer().expires_after(std::chrono::seconds(1));
            auto [ec] = co_await stream_.async_shutdown(use_tuple);
            (void)ec;
        }
    }
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    socket().close(ignored);
}

template <class Stream>
net::awaitable<void> session<Stream>::watch_peer()
{
    // A peek that waits: Asio tries it at once and then waits for readiness without
    // re-arming epoll (a plain readiness wait costs an epoll_ctl per request). It never
    // blocks the thread: the socket is non-blocking to Asio's reactor, which retries on
    // EAGAIN (edge-triggered readiness can be reported for bytes an earlier read took).
    char c = 0;
    auto [ec, n] = co_await socket().async_receive(net::buffer(&c, 1),
                                                   tcp::socket::message_peek, use_tuple);
    if (ec == net::error::operation_aborted && socket().is_open()) {
        co_return; // cancelled because the request finished first
    }
    if (!ec && n > 0) {
        // A pipelined request or TLS record: the peer is still there. Wait until the
        // request finishes (the `||` cancels this timer).
        net::steady_timer forever(co_await net::this_coro::executor, clock_type::time_point::max());
        co_await forever.async_wait(use_tuple);
        co_return;
    }
    *st_->gone = true; // end of stream or a socket error: the peer is gone
}

template <class Stream>
net::awaitable<void> session<Stream>::wait_stop()
{
    if (st_->close_after_response) {
        co_return; // stop() ran before this stream started
    }
    auto [ec] = co_await st_->stop_timer->async_wait(use_tuple);
    (void)ec;
}

template <class Stream>
net::awaitable<response> session<Stream>::call_handler(request_context& ctx, const handler& last)
{
    try {
        co_return co_await run_middleware(srv_->chain, 0, ctx, last);
    } catch (const std::exception& e) {
        if (!*st_->gone) {
            spdlog::error("request {} {} {} failed: {}", ctx.request_id, ctx.method, ctx.target,
                          e.what());
        }
        srv_->metrics->increment("handler_exceptions_total", ctx.route);
    }
    co_return error_response(500, "internal error while handling the request", "InternalError");
}

template <class Stream>
net::awaitable<bool> session<Stream>::serve_one(http::request<http::string_body>&& req)
{
    const auto started = clock_type::now();
    request_context ctx;
    ctx.method = std::string(req.method_string());
    ctx.target = std::string(req.target());
    ctx.tls = is_tls;
    ctx.executor = co_await net::this_coro::executor;
    for (const auto& field : req) {
        ctx.headers.items.emplace_back(std::string(field.name_string()),
                                       std::string(field.value()));
    }
    ctx.body = std::move(req.body());
    if (!remote_known_) {
        // Once per connection: it cannot change, and asking costs a system call.
        boost::system::error_code ep_ec;
        auto remote = socket().remote_endpoint(ep_ec);
        if (!ep_ec) {
            remote_address_ = remote.address().to_string();
            remote_port_ = remote.port();
        }
        remote_known_ = true;
    }
    ctx.remote_address = remote_address_;
    ctx.remote_port = remote_port_;
    auto rid = ctx.headers.get("X-Request-Id");
    ctx.request_id = rid && sane_request_id(*rid)
                         ? std::string(*rid)
                         : "r" + std::to_string(++srv_->request_counter);
    ctx.bind_gone_flag(st_->gone);

    const bool head = req.method() == http::verb::head;
    bool keep_alive = req.keep_alive() && !st_->close_after_response;
    const unsigned version = req.version();

    auto parsed = parse_target(ctx.target);
    response res;
    if (!parsed) {
        res = error_response(400, "malformed request target", "BadRequest");
        ctx.route = "unmatched";
        keep_alive = false;
    } else {
        ctx.path = std::move(parsed->path);
        ctx.query = std::move(parsed->query);
        auto m = srv_->routes->match(ctx.method, parsed->segments);
        ctx.route = m.fn ? m.pattern : "unmatched";
        ctx.path_params = std::move(m.params);
        handler miss = [&m](request_context& c) -> net::awaitable<response> {
            co_return router::miss_response(m, c.method, c.path);
        };
        const handler& chosen = m.fn ? *m.fn : miss;  // outside co_await (see accept_loop)
        auto outcome = co_await (call_handler(ctx, chosen) || watch_peer());
        if (outcome.index() == 1) {
            // The client left while we worked; nobody is there to read an answer.
            srv_->metrics->increment("client_disconnects_total", "during_request");
            srv_->metrics->record_request(ctx.route, ctx.method, 499, clock_type::now() - started);
            co_return false;
        }
        res = std::move(std::get<0>(outcome));
    }
    keep_alive = keep_alive && !st_->close_after_response;
    if (res.stream && !head) {
        srv_->metrics->record_request(ctx.route, ctx.method, res.status,
                                      clock_type::now() - started);
        co_return co_await write_stream(res, version, keep_alive, ctx.request_id);
    }
    // Recorded before writing so that a client that has read the answer also sees it counted.
    srv_->metrics->record_request(ctx.route, ctx.method, res.status, clock_type::now() - started);
    bool ok = co_await write_plain(res, version, keep_alive, head, ctx.request_id);
    co_return ok && keep_alive;
}

template <class Stream>
net::awaitable<bool> session<Stream>::write_plain(response& res, unsigned version, bool keep_alive,
                                                  bool head, const std::string& request_id)
{
    http::response<http::string_body> out{static_cast<http::status>(res.status), version};
    if (!res.content_type.empty()) {
        out.set(http::field::content_type, res.content_type);
    }
    for (const auto& [name, value] : res.headers) {
        out.insert(name, value);
    }
    if (!request_id.empty()) {
        out.set("X-Request-Id", request_id);
    }
    out.keep_alive(keep_alive);
    if (head) {
        out.content_length(res.body.size());
    } else {
        out.body() = std::move(res.body);
        out.prepare_payload();
    }
    tcp_layer().expires_after(srv_->opts.write_timeout);
    auto [ec, n] = co_await http::async_write(stream_, out, use_tuple);
    (void)n;
    co_return !ec;
}

template <class Stream>
net::awaitable<bool> session<Stream>::write_stream(response& res, unsigned version,
                                                   bool keep_alive, const std::string& request_id)
{
    http::response<http::empty_body> head{static_cast<http::status>(res.status), version};
    if (!res.content_type.empty()) {
        head.set(http::field::content_type, res.content_type);
    }
    for (const auto& [name, value] : res.headers) {
        head.insert(name, value);
    }
    if (!request_id.empty()) {
        head.set("X-Request-Id", request_id);
    }
    head.keep_alive(keep_alive);
    head.chunked(true);
    http::response_serializer<http::empty_body> sr{head};
    tcp_layer().expires_after(srv_->opts.write_timeout);
    auto [ec, n] = co_await http::async_write_header(stream_, sr, use_tuple);
    (void)n;
    if (ec) {
        co_return false;
    }
    writer w(*this);
    auto produce = [&]() -> net::awaitable<void> {
        try {
            co_await res.stream(w);
        } catch (const std::exception& e) {
            if (!w.closed()) {
                spdlog::warn("streaming response {} failed: {}", request_id, e.what());
                srv_->metrics->increment("handler_exceptions_total", "stream");
            }
        }
    };
    auto outcome = co_await (produce() || watch_peer() || wait_stop());
    if (outcome.index() == 1 || w.closed()) {
        srv_->metrics->increment("client_disconnects_total", "during_stream");
        co_return false;
    }
    tcp_layer().expires_after(srv_->opts.write_timeout);
    auto [lec, ln] = co_await net::async_write(stream_, http::make_chunk_last(), use_tuple);
    (void)ln;
    co_return !lec && keep_alive && outcome.index() == 0;
}

/// Clears the state's socket hook before the stream it points to is destroyed.
struct close_hook_guard {
    session_state& st;
    ~close_hook_guard() { st.close_socket = nullptr; }
};

net::awaitable<void> run_plain(std::shared_ptr<server::impl> srv, beast::tcp_stream stream,
                               std::shared_ptr<session_state> st)
{
    st->close_socket = [&stream] { stream.close(); };
    close_hook_guard guard{*st};
    session<beast::tcp_stream> s(srv, stream, st);
    co_await s.run();
}

net::awaitable<void> run_tls(std::shared_ptr<server::impl> srv, beast::tcp_stream tcp_stream,
                             std::shared_ptr<session_state> st)
{
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *srv->tls);
    st->close_socket = [&stream] { beast::get_lowest_layer(stream).close(); };
    close_hook_guard guard{*st};
    session<beast::ssl_stream<beast::tcp_stream>> s(srv, stream, st);
    co_await s.run();
}

net::awaitable<void> accept_loop(std::shared_ptr<server::impl> srv)
{
    for (;;) {
        // Round-robin over the session executors: a connection stays on one of them.
        const auto& home = srv->session_executors.empty()
                               ? srv->ex
                               : srv->session_executors[srv->next_executor++ %
                                                        srv->session_executors.size()];
        // A named local, not a conditional temporary: GCC 12 mishandles the lifetime of
        // temporaries created in one arm of ?: inside a co_await expression.
        net::any_io_executor session_executor = home;
        if (!srv->one_thread_each) {
            session_executor = net::make_strand(home);
        }
        auto [ec, socket] = co_await srv->acceptor.async_accept(session_executor, use_tuple);
        if (ec) {
            if (ec == net::error::operation_aborted || !srv->acceptor.is_open()) {
                break;
            }
            // Out of descriptors and the like: count, back off briefly, keep serving.
            srv->metrics->increment("accept_errors_total", ec.message());
            net::steady_timer backoff(srv->accept_strand, std::chrono::milliseconds(50));
            co_await backoff.async_wait(use_tuple);
            continue;
        }
        srv->start_session(std::move(socket));
    }
    std::unique_lock lock(srv->mutex);
    srv->accept_done = true;
    srv->finish_if_done(lock);
}

} // namespace

void server::impl::start_session(tcp::socket socket)
{
    auto st = std::make_shared<session_state>();
    st->strand = socket.get_executor();
    st->stop_timer = std::make_unique<net::steady_timer>(st->strand, clock_type::time_point::max());
    {
        std::lock_guard lock(mutex);
        if (sessions.size() >= opts.max_connections) {
            metrics->increment("connections_rejected_total", "max_connections");
            boost::system::error_code ignored;
            socket.close(ignored);
            return;
        }
        st->id = ++next_session_id;
        st->close_after_response = stopping;
        sessions.emplace(st->id, st);
    }
    metrics->increment("connections_accepted_total");
    auto self = shared_from_this();
    auto done = [self, id = st->id](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("session ended with an exception: {}", ex.what());
            }
            self->metrics->increment("session_errors_total", "exception");
        }
        self->session_ended(id);
    };
    auto strand = st->strand;
    if (tls) {
        net::co_spawn(strand, run_tls(self, beast::tcp_stream(std::move(socket)), st), done);
    } else {
        net::co_spawn(strand, run_plain(self, beast::tcp_stream(std::move(socket)), st), done);
    }
}

void server::impl::session_ended(std::uint64_t id)
{
    std::unique_lock lock(mutex);
    sessions.erase(id);
    finish_if_done(lock);
}

void server::impl::finish_if_done(std::unique_lock<std::mutex>& lock)
{
    if (!stopping || !accept_done || !sessions.empty() || finished) {
        return;
    }
    finished = true;
    auto callbacks = std::move(stopped_callbacks);
    lock.unlock();
    auto self = shared_from_this();
    net::post(accept_strand, [self] { self->grace_timer.cancel(); });
    for (auto& cb : callbacks) {
        cb();
    }
}

std::vector<std::shared_ptr<session_state>> server::impl::live_sessions()
{
    std::vector<std::shared_ptr<session_state>> out;
    std::lock_guard lock(mutex);
    for (auto& [id, weak] : sessions) {
        if (auto st = weak.lock()) {
            out.push_back(std::move(st));
        }
    }
    return out;
}

void server::impl::force_close_all()
{
    for (auto& st : live_sessions()) {
        net::post(st->strand, [st] {
            st->close_after_response = true;
            st->stop_timer->cancel();
            if (st->close_socket) {
                st->close_socket();
            }
        });
    }
}

std::string bound_endpoint::url() const
{
    std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
    return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

server::server(net::any_io_executor executor, server_options options,
               std::shared_ptr<const router> routes, std::shared_ptr<metrics_registry> metrics)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options), std::move(routes),
                                   std::move(metrics)))
{
}

server::~server()
{
    // Sessions hold the impl alive; make sure nothing keeps accepting once the owner is gone.
    stop();
}

void server::use(middleware mw)
{
    impl_->chain.push_back(std::move(mw));
}

void server::spread_sessions(std::vector<net::any_io_executor> executors, bool one_thread_each)
{
    impl_->session_executors = std::move(executors);
    impl_->one_thread_each = one_thread_each && !impl_->session_executors.empty();
}

bound_endpoint server::start()
{
    auto& im = *impl_;
    {
        std::lock_guard lock(im.mutex);
        if (im.started) {
            throw std::logic_error("server::start called twice");
        }
        im.started = true;
    }
    if (im.opts.tls) {
        im.tls.emplace(ssl::context::tls_server);
        im.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
        boost::system::error_code ec;
        im.tls->use_certificate_chain_file(im.opts.tls->cert_file, ec);
        if (ec) {
            throw std::runtime_error("cannot load TLS certificate " + im.opts.tls->cert_file +
                                     ": " + ec.message());
        }
        im.tls->use_private_key_file(im.opts.tls->key_file, ssl::context::pem, ec);
        if (ec) {
            throw std::runtime_error("cannot load TLS private key " + im.opts.tls->key_file +
                                     ": " + ec.message());
        }
    }
    boost::system::error_code ec;
    auto address = net::ip::make_address(im.opts.address, ec);
    if (ec) {
        throw std::runtime_error("invalid listen address '" + im.opts.address +
                                 "': expected an IP address");
    }
    tcp::endpoint ep(address, im.opts.port);
    std::string where = im.opts.address + ":" + std::to_string(im.opts.port);
    im.acceptor.open(ep.protocol(), ec);
    if (!ec) {
        im.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        im.acceptor.bind(ep, ec);
    }
    if (!ec) {
        im.acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
    }
    auto local = im.acceptor.local_endpoint();
    im.bound = bound_endpoint{local.address().to_string(), local.port(), im.opts.tls.has_value()};
    auto self = impl_;
    net::co_spawn(im.accept_strand, accept_loop(self), [self](std::exception_ptr e) {
        if (e) {
            spdlog::error("listener stopped by an exception");
            std::unique_lock lock(self->mutex);
            self->accept_done = true;
            self->finish_if_done(lock);
        }
    });
    return im.bound;
}

bound_endpoint server::endpoint() const
{
    return impl_->bound;
}

void server::stop()
{
    auto self = impl_;
    {
        std::unique_lock lock(self->mutex);
        if (self->stopping) {
            return;
        }
        self->stopping = true;
        if (!self->started) {
            self->accept_done = true;
            self->finish_if_done(lock);
            return;
        }
    }
    net::post(self->accept_strand, [self] {
        boost::system::error_code ignored;
        self->acceptor.close(ignored);
        self->grace_timer.expires_after(self->opts.shutdown_grace);
        self->grace_timer.async_wait([self](boost::system::error_code ec) {
            if (!ec) {
                self->metrics->increment("shutdown_forced_total");
                self->force_close_all();
            }
        });
    });
    for (auto& st : self->live_sessions()) {
        net::post(st->strand, [st] {
            st->close_after_response = true;
            st->stop_timer->cancel();
            if (st->idle && st->close_socket) {
                st->close_socket();
            }
        });
    }
}

void server::on_stopped(std::function<void()> fn)
{
    std::unique_lock lock(impl_->mutex);
    if (impl_->finished) {
        lock.unlock();
        fn();
        return;
    }
    impl_->stopped_callbacks.push_back(std::move(fn));
}

net::awaitable<void> server::wait_stopped()
{
    co_await net::async_initiate<const net::use_awaitable_t<>&, void()>(
        [this](auto handler) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            on_stopped([h] {
                auto ex = net::get_associated_executor(*h);
                net::post(ex, [h]() mutable { (*h)(); });
            });
        },
        net::use_awaitable);
}

std::size_t server::active_connections() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->sessions.size();
}

metrics_registry& server::metrics() const
{
    return *impl_->metrics;
}

} // namespace broker::server
