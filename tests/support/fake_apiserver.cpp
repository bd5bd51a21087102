#include "tests/support/fake_apiserver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>

namespace test_support {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

std::string percent_decode(std::string_view in)
{
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size() &&
            std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
            out.push_back(
                static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

}  // namespace

std::string recorded_request::header(const std::string& lower_name) const
{
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
}

std::string recorded_request::path() const
{
    return target.substr(0, target.find('?'));
}

std::string recorded_request::query(const std::string& name) const
{
    const auto q = target.find('?');
    if (q == std::string::npos) {
        return {};
    }
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        if (percent_decode(pair.substr(0, eq)) == name) {
            return eq == std::string_view::npos ? std::string{}
                                                : percent_decode(pair.substr(eq + 1));
        }
        if (amp == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(amp + 1);
    }
    return {};
}

fake_reply fake_reply::json(unsigned status, const nlohmann::json& body)
{
    fake_reply r;
    r.status = status;
    r.body = body.dump();
    return r;
}

fake_reply fake_reply::status_error(unsigned status, const std::string& reason,
                                    const std::string& message)
{
    return json(status, {{"kind", "Status"},
                         {"apiVersion", "v1"},
                         {"metadata", nlohmann::json::object()},
                         {"status", "Failure"},
                         {"message", message},
                         {"reason", reason},
                         {"code", status}});
}

fake_reply fake_reply::drop()
{
    fake_reply r;
    r.what = action::close_without_reply;
    return r;
}

fake_reply fake_reply::watch(const std::vector<std::pair<std::string, nlohmann::json>>& events,
                             bool hold_open)
{
    fake_reply r;
    r.what = action::stream;
    r.hold_open = hold_open;
    for (const auto& [type, object] : events) {
        r.chunks.push_back({nlohmann::json{{"type", type}, {"object", object}}.dump() + "\n", {}});
    }
    return r;
}

struct fake_apiserver::impl {
    // Declared first so it is destroyed last: pending coroutine frames (sessions) are
    // destroyed with it and close their sockets.
    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::unique_ptr<ssl::context> tls;
    handler on_request;
    std::thread thread;
    unsigned short port = 0;

    mutable std::mutex mu;
    std::vector<recorded_request> requests;
    std::atomic<std::size_t> accepted{0};
    std::atomic<std::size_t> failed_handshakes{0};
    std::atomic<bool> stopped{false};

    net::awaitable<void> accept_loop()
    {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
            if (ec) {
                co_return;
            }
            const std::size_t id = ++accepted;
            net::co_spawn(ioc, session(std::move(socket), id), net::detached);
        }
    }

    net::awaitable<void> session(tcp::socket socket, std::size_t id)
    {
        if (!tls) {
            beast::tcp_stream stream(std::move(socket));
            co_await serve(stream, id, {});
            co_return;
        }
        ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
        auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
        if (ec) {
            ++failed_handshakes;
            co_return;
        }
        std::string cn;
        if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
            char buf[256] = {};
            if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf,
                                          sizeof buf) > 0) {
                cn = buf;
            }
            X509_free(peer);
        }
        co_await serve(stream, id, cn);
    }

    fake_reply decide(const recorded_request& rec)
    {
        try {
            return on_request(rec);
        } catch (const std::exception& e) {
            return fake_reply::status_error(500, "InternalError",
                                            std::string("test handler threw: ") + e.what());
        }
    }

    template <class Stream>
    net::awaitable<void> serve(Stream& stream, std::size_t id, std::string client_cn)
    {
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(8u << 20);
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
            auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
            (void)n;
            if (ec) {
                co_return;
            }
            auto& req = parser.get();
            recorded_request rec;
            rec.method = std::string(req.method_string());
            rec.target = std::string(req.target());
            rec.body = req.body();
            rec.connection = id;
            rec.client_cert_cn = client_cn;
            for (const auto& field : req) {
                std::string name(field.name_string());
                for (auto& c : name) {
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                }
                rec.headers[name] = std::string(field.value());
            }
            {
                std::lock_guard lock(mu);
                requests.push_back(rec);
            }
            const fake_reply reply = decide(rec);
            beast::get_lowest_layer(stream).expires_never();
            if (reply.delay.count() > 0) {
                net::steady_timer timer(ioc);
                timer.expires_after(reply.delay);
                auto [tec] = co_await timer.async_wait(use_tuple);
                if (tec) {
                    co_return;
                }
            }
            const bool keep_alive = req.keep_alive() && !reply.close_after;
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
            switch (reply.what) {
            case fake_reply::action::close_without_reply:
                beast::get_lowest_layer(stream).close();
                co_return;
            case fake_reply::action::respond: {
                http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
                res.set(http::field::content_type, reply.content_type);
                for (const auto& [name, value] : reply.headers) {
                    res.set(name, value);
                }
                res.body() = reply.body;
                res.keep_alive(keep_alive);
                res.prepare_payload();
                auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
                (void)wn;
                if (wec || !keep_alive || reply.drop_after) {
                    beast::get_lowest_layer(stream).close();
                    co_return;
                }
                break;
            }
            case fake_reply::action::stream: {
                http::response<http::empty_body> res{static_cast<http::status>(reply.status), 11};
                res.set(http::field::content_type, reply.content_type);
                for (const auto& [name, value] : reply.headers) {
                    res.set(name, value);
                }
                res.keep_alive(keep_alive);
                res.chunked(true);
                http::response_serializer<http::empty_body> sr{res};
                auto [hec, hn] = co_await http::async_write_header(stream, sr, use_tuple);
                (void)hn;
                if (hec) {
                    co_return;
                }
                for (const auto& chunk : reply.chunks) {
                    if (chunk.delay.count() > 0) {
                        net::steady_timer timer(ioc);
                        timer.expires_after(chunk.delay);
                        auto [tec] = co_await timer.async_wait(use_tuple);
                        if (tec) {
                            co_return;
                        }
                    }
                    auto [cec, cn] = co_await net::async_write(
                        stream, http::make_chunk(net::buffer(chunk.data)), use_tuple);
                    (void)cn;
                    if (cec) {
                        co_return;
                    }
                }
                if (reply.hold_open) {
                    // Stay silent until the client goes away (or the server stops).
                    beast::get_lowest_layer(stream).expires_never();
                    char sink[256];
                    for (;;) {
                        auto [rec_ec, rn] = co_await stream.async_read_some(net::buffer(sink),
                                                                            use_tuple);
                        (void)rn;
                        if (rec_ec) {
                            co_return;
                        }
                    }
                }
                auto [lec, ln] = co_await net::async_write(stream, http::make_chunk_last(),
                                                           use_tuple);
                (void)ln;
                if (lec || !keep_alive) {
                    beast::get_lowest_layer(stream).close();
                    co_return;
                }
                break;
            }
            }
        }
    }
};

fake_apiserver::fake_apiserver(handler on_request, std::optional<fake_tls> tls)
    : impl_(std::make_shared<impl>())
{
    impl_->on_request = std::move(on_request);
    if (tls) {
        auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
        ctx->use_certificate_chain(net::buffer(tls->cert_pem));
        ctx->use_private_key(net::buffer(tls->key_pem), ssl::context::pem);
        if (!tls->client_ca_pem.empty()) {
            ctx->add_certificate_authority(net::buffer(tls->client_ca_pem));
            // Tell clients which CA to pick their certificate for.
            STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
            BIO* bio = BIO_new_mem_buf(tls->client_ca_pem.data(),
                                       static_cast<int>(tls->client_ca_pem.size()));
            if (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
                sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca)));
                X509_free(ca);
            }
            BIO_free(bio);
            SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
        }
        if (tls->require_client_cert) {
            ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
        } else if (!tls->client_ca_pem.empty()) {
            ctx->set_verify_mode(ssl::verify_peer);
        }
        impl_->tls = std::move(ctx);
    }
    tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen();
    impl_->port = impl_->acceptor.local_endpoint().port();
    auto* raw = impl_.get();
    net::co_spawn(impl_->ioc, raw->accept_loop(), net::detached);
    impl_->thread = std::thread([raw] { raw->ioc.run(); });
}

fake_apiserver::~fake_apiserver()
{
    stop();
}

void fake_apiserver::stop()
{
    if (impl_->stopped.exchange(true)) {
        return;
    }
    impl_->ioc.stop();
    if (impl_->thread.joinable()) {
        impl_->thread.join();
    }
    // Close the listening socket now; session frames (and their sockets) go with the
    // io_context when impl is destroyed.
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
}

unsigned short fake_apiserver::port() const { return impl_->port; }

std::string fake_apiserver::url() const
{
    return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

std::size_t fake_apiserver::accepted_connections() const { return impl_->accepted; }
std::size_t fake_apiserver::failed_handshakes() const { return impl_->failed_handshakes; }

std::vector<recorded_request> fake_apiserver::requests() const
{
    std::lock_guard lock(impl_->mu);
    return impl_->requests;
}

std::size_t fake_apiserver::request_count() const
{
    std::lock_guard lock(impl_->mu);
    return impl_->requests.size();
}

fake_apiserver::handler scripted(std::vector<fake_reply> replies, fake_reply fallback)
{
    struct script {
        std::mutex mu;
        std::vector<fake_reply> replies;
        std::size_t next = 0;
        fake_reply fallback;
    };
    auto s = std::make_shared<script>();
    s->replies = std::move(replies);
    s->fallback = std::move(fallback);
    return [s](const recorded_request&) {
        std::lock_guard lock(s->mu);
        if (s->next < s->replies.size()) {
            return s->replies[s->next++];
        }
        return s->fallback;
    };
}

}  // namespace test_support
