// Session behaviour over loopback (port 0) with a raw-socket client, so that the tests can send
// exactly the bytes they want (oversized, malformed, pipelined) and observe closes.
#include "broker/server/server.hpp"
#include "broker/server/io_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace {

namespace net = boost::asio;
using namespace broker::server;
using namespace std::chrono_literals;

/// Upper bound for every wait in these tests (a hang fails instead of blocking ctest).
constexpr int wait_ms = 10'000;

/// A blocking loopback client socket with a bounded read.
class raw_client {
public:
    explicit raw_client(std::uint16_t port)
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~raw_client() { close(); }
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    bool connected() const { return connected_; }
    void close()
    {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

    bool send(const std::string& data)
    {
        std::size_t off = 0;
        while (off < data.size()) {
            auto n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            off += static_cast<std::size_t>(n);
        }
        return true;
    }

    /// Reads more bytes into the buffer; false on EOF, error or deadline.
    bool fill()
    {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, wait_ms) <= 0) {
            timed_out_ = true;
            return false;
        }
        char buf[8192];
        auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        buffer_.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    /// True when the server closed the connection (EOF) before the deadline.
    bool wait_closed()
    {
        while (fill()) {
        }
        return eof_;
    }

    struct reply {
        unsigned status = 0;
        std::string head;
        std::string body;
        bool header(const std::string& needle) const { return head.find(needle) != std::string::npos; }
    };

    /// Reads one response (Content-Length or chunked); nullopt on EOF/deadline before it is whole.
    std::optional<reply> read_reply()
    {
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) {
                return std::nullopt;
            }
        }
        reply r;
        r.head = buffer_.substr(0, end + 2);
        buffer_.erase(0, end + 4);
        r.status = static_cast<unsigned>(std::stoi(r.head.substr(9, 3)));
        std::string lower = r.head;
        for (auto& c : lower) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (lower.find("transfer-encoding: chunked") != std::string::npos) {
            for (;;) {
                std::size_t eol;
                while ((eol = buffer_.find("\r\n")) == std::string::npos) {
                    if (!fill()) {
                        return std::nullopt;
                    }
                }
                auto size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
                while (buffer_.size() < eol + 2 + size + 2) {
                    if (!fill()) {
                        return std::nullopt;
                    }
                }
                r.body += buffer_.substr(eol + 2, size);
                buffer_.erase(0, eol + 2 + size + 2);
                if (size == 0) {
                    return r;
                }
            }
        }
        std::size_t length = 0;
        if (auto p = lower.find("content-length: "); p != std::string::npos) {
            length = std::stoul(lower.substr(p + 16));
        }
        while (buffer_.size() < length) {
            if (!fill()) {
                return std::nullopt;
            }
        }
        r.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
        return r;
    }

    /// Reads until `needle` appears in the raw stream (for streamed chunks).
    bool read_until(const std::string& needle)
    {
        while (buffer_.find(needle) == std::string::npos) {
            if (!fill()) {
                return false;
            }
        }
        return true;
    }

private:
    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
    bool timed_out_ = false;
    std::string buffer_;
};

std::string get(const std::string& path, const std::string& extra = "")
{
    return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

/// A server on 127.0.0.1:0 running on its own thread; stopped and joined in the destructor.
struct running_server {
    explicit running_server(std::shared_ptr<router> r, server_options opts = {},
                            std::vector<middleware> chain = {})
        : srv(ioc.get_executor(), std::move(opts), std::move(r))
    {
        for (auto& m : chain) {
            srv.use(std::move(m));
        }
        port = srv.start().port;
        thread = std::thread([this] { ioc.run(); });
    }
    ~running_server()
    {
        srv.stop();
        if (thread.joinable()) {
            thread.join();
        }
    }

    net::io_context ioc;
    server srv;
    std::uint16_t port = 0;
    std::thread thread;
};

handler reply_with(std::string body)
{
    return [body](request_context&) -> net::awaitable<response> {
        co_return text_response(200, body);
    };
}

std::shared_ptr<router> basic_routes()
{
    auto r = std::make_shared<router>();
    r->add("GET", "/hello", reply_with("hi"));
    r->add("POST", "/echo", [](request_context& ctx) -> net::awaitable<response> {
        co_return text_response(200, ctx.body);
    });
    r->add("GET", "/items/{id}", [](request_context& ctx) -> net::awaitable<response> {
        co_return text_response(200, ctx.path_params.value_or("id", "") + "|" +
                                         ctx.query.value_or("q", "") + "|" + ctx.request_id);
    });
    r->add("GET", "/throw", [](request_context&) -> net::awaitable<response> {
        throw std::runtime_error("handler bug");
        co_return response{};
    });
    return r;
}

TEST(server_session, keep_alive_serves_several_requests_on_one_connection)
{
    running_server s(basic_routes());
    raw_client c(s.port);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(get("/hello")));
    auto first = c.read_reply();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200u);
    EXPECT_EQ(first->body, "hi");
    EXPECT_FALSE(first->header("Connection: close"));
    ASSERT_TRUE(c.send(get("/items/a%20b?q=x+y", "X-Request-Id: abc-1\r\n")));
    auto second = c.read_reply();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->body, "a b|x y|abc-1");
    EXPECT_EQ(s.srv.metrics().requests("/items/{id}", "GET", 200), 1u);
}

TEST(server_session, pipelined_requests_are_answered_in_order)
{
    running_server s(basic_routes());
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/items/1") + get("/hello") + get("/items/2")));
    auto a = c.read_reply();
    auto b = c.read_reply();
    auto d = c.read_reply();
    ASSERT_TRUE(a && b && d);
    EXPECT_EQ(a->body.substr(0, 2), "1|");
    EXPECT_EQ(b->body, "hi");
    EXPECT_EQ(d->body.substr(0, 2), "2|");
}

TEST(server_session, connection_close_request_is_honoured)
{
    running_server s(basic_routes());
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/hello", "Connection: close\r\n")));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->header("Connection: close"));
    EXPECT_TRUE(c.wait_closed());
}

TEST(server_session, body_over_the_limit_gets_413_and_close)
{
    server_options opts;
    opts.body_limit = 1024;
    running_server s(basic_routes(), opts);
    raw_client c(s.port);
    std::string body(4096, 'x');
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n" + body));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413u);
    EXPECT_NE(r->body.find("\"kind\":\"Status\""), std::string::npos);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(s.srv.metrics().counter("session_errors_total", "body_limit"), 1u);
}

TEST(server_session, chunked_body_over_the_limit_gets_413)
{
    server_options opts;
    opts.body_limit = 100;
    running_server s(basic_routes(), opts);
    raw_client c(s.port);
    std::string chunk(200, 'y');
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nc8\r\n" +
                       chunk + "\r\n0\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413u);
}

TEST(server_session, body_within_the_limit_is_echoed)
{
    server_options opts;
    opts.body_limit = 1024;
    running_server s(basic_routes(), opts);
    raw_client c(s.port);
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, "hello");
}

TEST(server_session, oversized_header_gets_431)
{
    server_options opts;
    opts.header_limit = 512;
    running_server s(basic_routes(), opts);
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/hello", "X-Big: " + std::string(2048, 'a') + "\r\n")));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431u);
    EXPECT_TRUE(c.wait_closed());
}

struct malformed_case {
    const char* name;
    const char* bytes;
};

class server_malformed : public ::testing::TestWithParam<malformed_case> {};

TEST_P(server_malformed, answers_400_and_closes)
{
    running_server s(basic_routes());
    raw_client c(s.port);
    ASSERT_TRUE(c.send(GetParam().bytes));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400u);
    EXPECT_TRUE(c.wait_closed());
}

INSTANTIATE_TEST_SUITE_P(
    requests, server_malformed,
    ::testing::Values(malformed_case{"garbage_request_line", "HELLO\r\n\r\n"},
                      malformed_case{"bad_version", "GET / HTTP/9\r\n\r\n"},
                      malformed_case{"bad_content_length",
                                     "POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n"},
                      malformed_case{"bad_chunk_size",
                                     "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "zz\r\n"},
                      malformed_case{"bad_percent_escape_in_target",
                                     "GET /items/%zz HTTP/1.1\r\nHost: t\r\n\r\n"}),
    [](const auto& tc) { return std::string(tc.param.name); });

TEST(server_session, unknown_route_404_wrong_method_405_with_allow)
{
    running_server s(basic_routes());
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/nope")));
    auto a = c.read_reply();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 404u);
    ASSERT_TRUE(c.send("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto b = c.read_reply();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 405u);
    EXPECT_TRUE(b->header("Allow: GET"));
}

TEST(server_session, handler_exception_becomes_500_and_the_server_keeps_serving)
{
    running_server s(basic_routes());
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/throw")));
    auto a = c.read_reply();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 500u);
    ASSERT_TRUE(c.send(get("/hello")));
    auto b = c.read_reply();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 200u);
    EXPECT_EQ(s.srv.metrics().counter("handler_exceptions_total", "/throw"), 1u);
}

TEST(server_session, idle_connection_is_closed_after_the_idle_timeout)
{
    server_options opts;
    opts.idle_timeout = 50ms;
    running_server s(basic_routes(), opts);
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/hello")));
    ASSERT_TRUE(c.read_reply());
    EXPECT_TRUE(c.wait_closed());
}

TEST(server_session, incomplete_request_is_closed_after_the_read_timeout)
{
    server_options opts;
    opts.idle_timeout = 50ms;
    opts.read_timeout = 50ms;
    running_server s(basic_routes(), opts);
    raw_client c(s.port);
    ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost:"));
    EXPECT_TRUE(c.wait_closed());
}

TEST(server_middleware, runs_outermost_first_and_may_short_circuit)
{
    std::vector<middleware> chain;
    chain.push_back([](request_context& ctx, const handler& next) -> net::awaitable<response> {
        if (ctx.headers.value_or("Authorization", "") != "Bearer ok") {
            co_return error_response(401, "Unauthorized", "Unauthorized");
        }
        ctx.attributes["principal"] = std::string("alice");
        auto r = co_await next(ctx);
        r.with_header("X-Order", "outer");
        co_return r;
    });
    chain.push_back([](request_context& ctx, const handler& next) -> net::awaitable<response> {
        auto r = co_await next(ctx);
        const auto* who = ctx.attribute<std::string>("principal");
        r.with_header("X-Principal", who ? *who : "none");
        r.with_header("X-Route", ctx.route);
        co_return r;
    });
    running_server s(basic_routes(), {}, std::move(chain));
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/hello")));
    auto denied = c.read_reply();
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 401u);
    ASSERT_TRUE(c.send(get("/items/7", "Authorization: Bearer ok\r\n")));
    auto ok = c.read_reply();
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200u);
    EXPECT_TRUE(ok->header("X-Principal: alice"));
    EXPECT_TRUE(ok->header("X-Route: /items/{id}"));
    EXPECT_LT(ok->head.find("X-Principal"), ok->head.find("X-Order"));
}

TEST(server_streaming, chunks_arrive_and_the_body_ends)
{
    auto r = std::make_shared<router>();
    r->add("GET", "/stream", [](request_context&) -> net::awaitable<response> {
        response res;
        res.content_type = "application/json";
        res.stream = [](chunk_writer& w) -> net::awaitable<void> {
            for (const char* part : {"{\"n\":1}\n", "{\"n\":2}\n", "{\"n\":3}\n"}) {
                if (!co_await w.write(part)) {
                    co_return;
                }
            }
        };
        co_return res;
    });
    r->add("GET", "/hello", reply_with("hi"));
    running_server s(r);
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/stream")));
    auto a = c.read_reply();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    EXPECT_EQ(a->body, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
    // The connection stays usable after a streamed body.
    ASSERT_TRUE(c.send(get("/hello")));
    auto b = c.read_reply();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->body, "hi");
}

TEST(server_streaming, producer_learns_that_the_client_went_away)
{
    auto ended = std::make_shared<std::promise<bool>>();
    auto r = std::make_shared<router>();
    r->add("GET", "/follow", [ended](request_context& ctx) -> net::awaitable<response> {
        response res;
        res.content_type = "text/plain";
        auto ex = ctx.executor;
        res.stream = [ended, ex](chunk_writer& w) -> net::awaitable<void> {
            net::steady_timer t(ex);
            // Writes until told the client left; cancellation also ends the wait.
            try {
                for (int i = 0; i < 100000; ++i) {
                    if (!co_await w.write("line\n")) {
                        break;
                    }
                    t.expires_after(5ms);
                    co_await t.async_wait(net::use_awaitable);
                }
            } catch (...) {
            }
            ended->set_value(true);
        };
        co_return res;
    });
    running_server s(r);
    auto done = ended->get_future();
    {
        raw_client c(s.port);
        ASSERT_TRUE(c.send(get("/follow")));
        ASSERT_TRUE(c.read_until("line\n"));
    }
    ASSERT_EQ(done.wait_for(std::chrono::milliseconds(wait_ms)), std::future_status::ready);
    EXPECT_TRUE(done.get());
}

TEST(server_listener, spread_sessions_keeps_each_connection_on_one_of_the_pools_threads)
{
    io_pool pool(2);
    auto r = std::make_shared<router>();
    r->add("GET", "/thread", [](request_context&) -> net::awaitable<response> {
        co_return text_response(200, std::to_string(std::hash<std::thread::id>{}(
                                         std::this_thread::get_id())));
    });
    server srv(pool.main().get_executor(), {}, r);
    srv.spread_sessions(pool.executors(), true);
    const auto port = srv.start().port;
    pool.start_threads(true);

    std::vector<std::unique_ptr<raw_client>> clients;
    std::vector<std::string> threads;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<raw_client>(port));
        auto& c = *clients.back();
        ASSERT_TRUE(c.connected());
        std::string seen;
        for (int k = 0; k < 3; ++k) {
            ASSERT_TRUE(c.send(get("/thread")));
            auto reply = c.read_reply();
            ASSERT_TRUE(reply);
            ASSERT_EQ(reply->status, 200u);
            if (k == 0) {
                seen = reply->body;
            }
            EXPECT_EQ(reply->body, seen) << "connection " << i << " moved between threads";
        }
        threads.push_back(seen);
    }
    // Round-robin: connections 0 and 2 share a thread, 1 and 3 the other.
    EXPECT_EQ(std::set<std::string>(threads.begin(), threads.end()).size(), 2u);
    EXPECT_EQ(threads[0], threads[2]);
    EXPECT_EQ(threads[1], threads[3]);
    EXPECT_NE(threads[0], threads[1]);

    std::promise<void> stopped;
    srv.on_stopped([&stopped] { stopped.set_value(); });
    srv.stop();
    for (auto& c : clients) {
        EXPECT_TRUE(c->wait_closed());
    }
    EXPECT_EQ(stopped.get_future().wait_for(std::chrono::milliseconds(wait_ms)),
              std::future_status::ready);
    pool.stop();
    pool.join();
}

TEST(server_shutdown, in_flight_request_finishes_then_the_server_stops)
{
    auto started = std::make_shared<std::promise<void>>();
    auto release = std::make_shared<std::atomic<net::steady_timer*>>(nullptr);
    auto r = std::make_shared<router>();
    r->add("GET", "/slow", [started, release](request_context& ctx) -> net::awaitable<response> {
        net::steady_timer gate(ctx.executor, std::chrono::steady_clock::time_point::max());
        release->store(&gate);
        started->set_value();
        co_await gate.async_wait(net::as_tuple(net::use_awaitable));
        co_return text_response(200, "finished");
    });
    r->add("GET", "/hello", reply_with("hi"));

    running_server s(r);
    raw_client busy(s.port);
    raw_client idle(s.port);
    ASSERT_TRUE(idle.send(get("/hello")));
    ASSERT_TRUE(idle.read_reply());
    ASSERT_TRUE(busy.send(get("/slow")));
    ASSERT_EQ(started->get_future().wait_for(std::chrono::milliseconds(wait_ms)),
              std::future_status::ready);

    std::promise<void> stopped;
    s.srv.on_stopped([&stopped] { stopped.set_value(); });
    s.srv.stop();
    EXPECT_TRUE(idle.wait_closed()); // idle keep-alive connections close at once
    EXPECT_EQ(stopped.get_future().wait_for(0ms), std::future_status::timeout);

    auto* gate = release->load();
    net::post(gate->get_executor(), [gate] { gate->cancel(); });
    auto reply = busy.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200u);
    EXPECT_EQ(reply->body, "finished");
    EXPECT_TRUE(reply->header("Connection: close"));
    EXPECT_TRUE(busy.wait_closed());
    s.thread.join(); // run() returns: nothing is left running
    EXPECT_EQ(s.srv.active_connections(), 0u);
}

TEST(server_shutdown, grace_deadline_closes_a_request_that_never_finishes)
{
    auto started = std::make_shared<std::promise<void>>();
    auto r = std::make_shared<router>();
    r->add("GET", "/stuck", [started](request_context& ctx) -> net::awaitable<response> {
        net::steady_timer gate(ctx.executor, std::chrono::steady_clock::time_point::max());
        started->set_value();
        co_await gate.async_wait(net::as_tuple(net::use_awaitable));
        co_return text_response(200, "late");
    });
    server_options opts;
    opts.shutdown_grace = 20ms;
    running_server s(r, opts);
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/stuck")));
    ASSERT_EQ(started->get_future().wait_for(std::chrono::milliseconds(wait_ms)),
              std::future_status::ready);
    s.srv.stop();
    EXPECT_TRUE(c.wait_closed());
    s.thread.join();
    EXPECT_EQ(s.srv.active_connections(), 0u);
    EXPECT_EQ(s.srv.metrics().counter("shutdown_forced_total"), 1u);
}

TEST(server_shutdown, streaming_response_ends_on_stop)
{
    auto r = std::make_shared<router>();
    r->add("GET", "/watch", [](request_context& ctx) -> net::awaitable<response> {
        response res;
        auto ex = ctx.executor;
        res.stream = [ex](chunk_writer& w) -> net::awaitable<void> {
            co_await w.write("{\"type\":\"ADDED\"}\n");
            net::steady_timer forever(ex, std::chrono::steady_clock::time_point::max());
            co_await forever.async_wait(net::use_awaitable);
        };
        co_return res;
    });
    running_server s(r);
    raw_client c(s.port);
    ASSERT_TRUE(c.send(get("/watch")));
    ASSERT_TRUE(c.read_until("ADDED"));
    s.srv.stop();
    EXPECT_TRUE(c.read_until("0\r\n\r\n")); // the body is ended properly
    EXPECT_TRUE(c.wait_closed());
    s.thread.join();
}

TEST(server_listener, second_start_on_a_taken_port_reports_a_clear_error)
{
    running_server first(basic_routes());
    net::io_context ioc;
    server_options opts;
    opts.port = first.port;
    server second(ioc.get_executor(), opts, basic_routes());
    try {
        second.start();
        FAIL() << "expected an exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:"), std::string::npos);
    }
    server_options bad;
    bad.address = "not-an-ip";
    server third(ioc.get_executor(), bad, basic_routes());
    EXPECT_THROW(third.start(), std::runtime_error);
}

} // namespace
