#include "proxy/kube_client.hpp"

#include "tests/support/fake_apiserver.hpp"
#include "tests/unit/proxy/run_awaitable.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using proxy::kube_client;
using proxy::kube_errc;
using proxy_test::run_awaitable;
using test_support::fake_apiserver;
using test_support::fake_reply;
using test_support::scripted;

/// Fast, deterministic retry timing for tests.
proxy::client_options test_options()
{
    proxy::client_options o;
    o.retry = proxy::backoff_policy{4, 1ms, 5ms, 30000ms};
    o.rng_seed = 1;
    o.default_timeout = 10s;
    return o;
}

kube_client make_client(net::io_context& ioc, const std::string& url,
                        proxy::client_options options = test_options(),
                        config::api_endpoint endpoint = {})
{
    endpoint.server = url;
    auto c = kube_client::create(ioc.get_executor(), endpoint, std::move(options));
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
    return std::move(*c);
}

fake_reply ok_object(const std::string& name)
{
    return fake_reply::json(200, {{"kind", "Pod"}, {"metadata", {{"name", name}}}});
}

TEST(kube_client, get_returns_parsed_json_and_sends_token_accept_and_path_prefix)
{
    fake_apiserver server(scripted({ok_object("p1")}));
    net::io_context ioc;
    config::api_endpoint endpoint;
    endpoint.bearer_token = "s3cret\n";  // token files end with a newline
    auto client = make_client(ioc, server.url() + "/prefix/", test_options(), endpoint);

    auto r = run_awaitable(ioc, client.get("/api/v1/namespaces/ml/pods/p1"));

    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body["metadata"]["name"], "p1");
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "GET");
    EXPECT_EQ(requests[0].target, "/prefix/api/v1/namespaces/ml/pods/p1");
    EXPECT_EQ(requests[0].header("authorization"), "Bearer s3cret");
    EXPECT_EQ(requests[0].header("accept"), "application/json");
    EXPECT_EQ(requests[0].header("host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(kube_client, basic_auth_header_when_no_token)
{
    fake_apiserver server(scripted({ok_object("p1")}));
    net::io_context ioc;
    config::api_endpoint endpoint;
    endpoint.username = "admin";
    endpoint.password = "pw";
    auto client = make_client(ioc, server.url(), test_options(), endpoint);
    auto r = run_awaitable(ioc, client.get("/api/v1/pods"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(server.requests().at(0).header("authorization"), "Basic YWRtaW46cHc=");
}

TEST(kube_client, list_sends_selectors_limit_and_continue_escaped)
{
    fake_apiserver server(scripted({fake_reply::json(200, {{"items", nlohmann::json::array()}})}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    proxy::list_options q;
    q.label_selector = "batch.kubernetes.io/job-name=train-42,tier!=web";
    q.field_selector = "status.phase=Running";
    q.limit = 50;
    q.continue_token = "abc+/=";
    auto r = run_awaitable(ioc, client.list("/api/v1/namespaces/ml/pods", q));
    ASSERT_TRUE(r.has_value());
    const auto req = server.requests().at(0);
    EXPECT_EQ(req.path(), "/api/v1/namespaces/ml/pods");
    EXPECT_EQ(req.query("labelSelector"), q.label_selector);
    EXPECT_EQ(req.query("fieldSelector"), q.field_selector);
    EXPECT_EQ(req.query("limit"), "50");
    EXPECT_EQ(req.query("continue"), "abc+/=");
}

TEST(kube_client, create_update_patch_delete_use_the_right_method_and_content_type)
{
    fake_apiserver server(scripted({ok_object("a"), ok_object("a"), ok_object("a"),
                                    fake_reply::json(200, {{"kind", "Status"}})}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    const nlohmann::json obj{{"metadata", {{"name", "a"}}}};
    EXPECT_TRUE(run_awaitable(ioc, client.create("/api/v1/namespaces/ml/configmaps", obj)));
    EXPECT_TRUE(run_awaitable(ioc, client.update("/api/v1/namespaces/ml/configmaps/a", obj)));
    EXPECT_TRUE(run_awaitable(
        ioc, client.merge_patch("/api/v1/namespaces/ml/configmaps/a", {{"data", {{"k", "v"}}}})));
    EXPECT_TRUE(run_awaitable(ioc, client.remove("/api/v1/namespaces/ml/configmaps/a", {},
                                                 {{"propagationPolicy", "Background"}})));
    const auto r = server.requests();
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[0].method, "POST");
    EXPECT_EQ(r[0].header("content-type"), "application/json");
    EXPECT_EQ(nlohmann::json::parse(r[0].body), obj);
    EXPECT_EQ(r[1].method, "PUT");
    EXPECT_EQ(r[2].method, "PATCH");
    EXPECT_EQ(r[2].header("content-type"), "application/merge-patch+json");
    EXPECT_EQ(r[3].method, "DELETE");
    EXPECT_EQ(nlohmann::json::parse(r[3].body)["propagationPolicy"], "Background");
}

TEST(kube_client, parse_body_false_skips_a_success_body_but_still_reads_errors)
{
    // An answer that is not JSON would fail a parsed call: unparsed, it is only a success.
    fake_reply not_json;
    not_json.status = 201;
    not_json.body = "{not json";
    fake_apiserver server(scripted(
        {not_json, not_json, fake_reply::status_error(409, "AlreadyExists", "exists")}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    const nlohmann::json obj{{"metadata", {{"name", "a"}}}};
    proxy::call_options unparsed;
    unparsed.parse_body = false;
    auto quiet = run_awaitable(ioc, client.create("/api/v1/namespaces/ml/configmaps", obj, unparsed));
    ASSERT_TRUE(quiet);
    EXPECT_EQ(quiet->status, 201u);
    EXPECT_TRUE(quiet->body.is_null());
    auto parsed = run_awaitable(ioc, client.create("/api/v1/namespaces/ml/configmaps", obj));
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, kube_errc::bad_response);
    auto refused = run_awaitable(ioc, client.create("/api/v1/namespaces/ml/configmaps", obj, unparsed));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().reason, "AlreadyExists");
    EXPECT_TRUE(refused.error().conflict());
}

// --- retries ---------------------------------------------------------------------------------

enum class verb { get, post, put };

struct retry_case {
    std::string name;
    verb method;
    std::vector<fake_reply> replies;
    std::size_t expected_requests;  // what the server saw
    bool expect_ok;
    unsigned expected_status;       // of the final answer/error (0 = transport error)

    friend void PrintTo(const retry_case& c, std::ostream* os) { *os << c.name; }
};

fake_reply status(unsigned code)
{
    return fake_reply::status_error(code, std::string(proxy::reason_for_status(code)), "scripted");
}

class kube_client_retry : public testing::TestWithParam<retry_case> {};

TEST_P(kube_client_retry, attempts_and_outcome)
{
    const auto& c = GetParam();
    fake_apiserver server(scripted(c.replies, ok_object("fallback")));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    const nlohmann::json obj{{"metadata", {{"name", "x"}}}};
    auto op = [&]() -> net::awaitable<proxy::kube_result<proxy::json_response>> {
        switch (c.method) {
        case verb::post: co_return co_await client.create("/api/v1/namespaces/ml/pods", obj);
        case verb::put: co_return co_await client.update("/api/v1/namespaces/ml/pods/x", obj);
        case verb::get: break;
        }
        co_return co_await client.get("/api/v1/namespaces/ml/pods/x");
    };
    auto r = run_awaitable(ioc, op());
    EXPECT_EQ(server.request_count(), c.expected_requests);
    EXPECT_EQ(r.has_value(), c.expect_ok) << (r ? "" : r.error().message);
    if (r) {
        EXPECT_EQ(r->status, c.expected_status);
    } else {
        EXPECT_EQ(r.error().http_status, c.expected_status);
        EXPECT_EQ(static_cast<std::size_t>(r.error().attempts), c.expected_requests);
    }
    EXPECT_EQ(client.stats().attempts, c.expected_requests);
}

INSTANTIATE_TEST_SUITE_P(
    cases, kube_client_retry,
    testing::Values(
        retry_case{"get_503_503_then_200_retries_twice", verb::get,
                   {status(503), status(503), ok_object("x")}, 3, true, 200},
        retry_case{"get_429_without_retry_after_then_200", verb::get,
                   {status(429), ok_object("x")}, 2, true, 200},
        retry_case{"get_500_four_times_gives_up_after_max_attempts", verb::get,
                   {status(500), status(500), status(500), status(500)}, 4, false, 500},
        retry_case{"get_404_is_not_retried", verb::get, {status(404)}, 1, false, 404},
        retry_case{"put_409_is_not_retried", verb::put, {status(409)}, 1, false, 409},
        retry_case{"post_422_is_not_retried", verb::post, {status(422)}, 1, false, 422},
        retry_case{"put_503_then_200_retries", verb::put, {status(503), ok_object("x")}, 2, true,
                   200},
        retry_case{"post_503_is_not_retried_once_sent", verb::post, {status(503)}, 1, false, 503},
        retry_case{"get_dropped_connection_then_200_retries", verb::get,
                   {fake_reply::drop(), ok_object("x")}, 2, true, 200},
        retry_case{"post_dropped_after_send_is_not_retried", verb::post, {fake_reply::drop()}, 1,
                   false, 0}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(kube_client, post_is_retried_when_connecting_failed_before_anything_was_sent)
{
    // A port nobody listens on: bind, read the port, close.
    unsigned short port = 0;
    {
        net::io_context tmp;
        net::ip::tcp::acceptor a(tmp, {net::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    net::io_context ioc;
    auto options = test_options();
    options.retry.max_attempts = 3;
    auto client = make_client(ioc, "http://127.0.0.1:" + std::to_string(port), options);
    auto r = run_awaitable(ioc, client.create("/api/v1/namespaces/ml/pods", {{"a", 1}}));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, kube_errc::connect_failed);
    EXPECT_EQ(r.error().attempts, 3);
    EXPECT_EQ(client.stats().connect_failures, 3u);
}

TEST(kube_client, retry_after_of_a_429_sets_the_delay)
{
    auto limited = status(429);
    limited.headers.emplace_back("Retry-After", "1");
    fake_apiserver server(scripted({limited, ok_object("x")}));
    net::io_context ioc;
    auto options = test_options();
    options.retry.initial_delay = 1ms;  // without Retry-After the delay would be ≤ 1 ms
    auto client = make_client(ioc, server.url(), options);
    auto r = run_awaitable(ioc, client.get("/api/v1/pods"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(client.stats().retries, 1u);
    EXPECT_EQ(client.stats().last_retry_delay_ms, 1000);
}

TEST(kube_client, retry_after_longer_than_the_deadline_returns_the_429)
{
    auto limited = status(429);
    limited.headers.emplace_back("Retry-After", "60");
    fake_apiserver server(scripted({limited, ok_object("x")}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    proxy::call_options call;
    call.timeout = 2s;
    auto r = run_awaitable(ioc, client.get("/api/v1/pods", call));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().http_status, 429u);
    EXPECT_EQ(r.error().reason, "TooManyRequests");
    EXPECT_EQ(server.request_count(), 1u);
}

// --- deadlines, sizes, cancellation ------------------------------------------------------------

TEST(kube_client, deadline_hit_while_waiting_for_a_slow_answer_is_a_timeout_error)
{
    auto slow = ok_object("late");
    slow.delay = 10s;
    fake_apiserver server(scripted({slow}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    proxy::call_options call;
    call.timeout = 200ms;
    auto r = run_awaitable(ioc, client.get("/api/v1/pods", call));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, kube_errc::timeout);
    EXPECT_EQ(client.stats().timeouts, 1u);
}

TEST(kube_client, cancelling_the_caller_cancels_the_call)
{
    using namespace boost::asio::experimental::awaitable_operators;
    auto slow = ok_object("late");
    slow.delay = 10s;
    fake_apiserver server(scripted({slow}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    auto op = [&]() -> net::awaitable<std::size_t> {
        net::steady_timer timer(co_await net::this_coro::executor);
        timer.expires_after(100ms);
        auto winner = co_await (client.get("/api/v1/pods") || timer.async_wait(net::use_awaitable));
        co_return winner.index();
    };
    EXPECT_EQ(run_awaitable(ioc, op()), 1u) << "the timer wins and the call is abandoned";
}

TEST(kube_client, oversized_response_with_content_length_is_rejected)
{
    fake_apiserver server(scripted({fake_reply::json(200, {{"data", std::string(4096, 'x')}})}));
    net::io_context ioc;
    auto options = test_options();
    options.max_response_bytes = 1024;
    auto client = make_client(ioc, server.url(), options);
    auto r = run_awaitable(ioc, client.get("/api/v1/pods"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, kube_errc::response_too_large);
    EXPECT_EQ(server.request_count(), 1u) << "size errors are not retried";
}

TEST(kube_client, oversized_chunked_response_is_rejected)
{
    fake_reply big;
    big.what = fake_reply::action::stream;
    for (int i = 0; i < 8; ++i) {
        big.chunks.push_back({std::string(512, 'x'), 0ms});
    }
    fake_apiserver server(scripted({big}));
    net::io_context ioc;
    auto options = test_options();
    options.max_response_bytes = 1024;
    auto client = make_client(ioc, server.url(), options);
    auto r = run_awaitable(ioc, client.get("/api/v1/pods"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, kube_errc::response_too_large);
}

TEST(kube_client, invalid_json_body_is_a_bad_response)
{
    fake_reply garbage;
    garbage.body = "{not json";
    fake_apiserver server(scripted({garbage}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    auto r = run_awaitable(ioc, client.get("/api/v1/pods"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, kube_errc::bad_response);
}

// --- keep-alive ------------------------------------------------------------------------------

TEST(kube_client, sequential_calls_reuse_one_keep_alive_connection)
{
    fake_apiserver server(scripted({}, ok_object("x")));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(run_awaitable(ioc, client.get("/api/v1/pods")).has_value());
    }
    EXPECT_EQ(server.accepted_connections(), 1u);
    EXPECT_EQ(client.stats().connections_opened, 1u);
    EXPECT_EQ(client.stats().connections_reused, 2u);
}

TEST(kube_client, idle_connections_are_reused_only_by_calls_on_the_context_that_opened_them)
{
    // With one io_context per thread, a connection opened on one context is registered with
    // that context's reactor: calls on another context open their own.
    fake_apiserver server(scripted({}, ok_object("x")));
    net::io_context first;
    net::io_context second;
    auto client = make_client(first, server.url());
    ASSERT_TRUE(run_awaitable(first, client.get("/api/v1/pods")).has_value());
    ASSERT_TRUE(run_awaitable(second, client.get("/api/v1/pods")).has_value());
    EXPECT_EQ(client.stats().connections_opened, 2u);
    EXPECT_EQ(client.stats().connections_reused, 0u);
    ASSERT_TRUE(run_awaitable(first, client.get("/api/v1/pods")).has_value());
    ASSERT_TRUE(run_awaitable(second, client.get("/api/v1/pods")).has_value());
    EXPECT_EQ(client.stats().connections_opened, 2u);
    EXPECT_EQ(client.stats().connections_reused, 2u);
    EXPECT_EQ(server.accepted_connections(), 2u);
}

TEST(kube_client, a_full_pool_gives_up_its_least_recently_used_connection_for_the_newest)
{
    // One slot: a call on a second context must not leave that context reconnecting forever
    // because the first context's connection holds the slot.
    fake_apiserver server(scripted({}, ok_object("x")));
    net::io_context first;
    net::io_context second;
    auto options = test_options();
    options.max_idle_connections = 1;
    auto client = make_client(first, server.url(), options);
    ASSERT_TRUE(run_awaitable(first, client.get("/api/v1/pods")).has_value());
    ASSERT_TRUE(run_awaitable(second, client.get("/api/v1/pods")).has_value());
    ASSERT_TRUE(run_awaitable(second, client.get("/api/v1/pods")).has_value());
    EXPECT_EQ(client.stats().connections_opened, 2u);
    EXPECT_EQ(client.stats().connections_reused, 1u);
}

TEST(kube_client, pool_of_size_zero_keeps_no_connection)
{
    fake_apiserver server(scripted({}, ok_object("x")));
    net::io_context ioc;
    auto options = test_options();
    options.max_idle_connections = 0;
    auto client = make_client(ioc, server.url(), options);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(run_awaitable(ioc, client.get("/api/v1/pods")).has_value());
    }
    EXPECT_EQ(server.accepted_connections(), 3u);
}

TEST(kube_client, connection_close_answer_is_not_pooled)
{
    auto closing = ok_object("x");
    closing.close_after = true;
    fake_apiserver server(scripted({closing}, ok_object("y")));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    ASSERT_TRUE(run_awaitable(ioc, client.get("/api/v1/pods")).has_value());
    ASSERT_TRUE(run_awaitable(ioc, client.get("/api/v1/pods")).has_value());
    EXPECT_EQ(server.accepted_connections(), 2u);
    EXPECT_EQ(client.stats().stale_connection_retries, 0u);
}

TEST(kube_client, connection_closed_by_the_server_while_idle_is_not_reused)
{
    // Whether the client notices the close before reusing the connection (idle check) or only
    // when the request fails (stale replacement), the call succeeds on a new connection.
    auto first = ok_object("1");
    first.drop_after = true;
    fake_apiserver server(scripted({first}, ok_object("2")));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    ASSERT_TRUE(run_awaitable(ioc, client.get("/api/v1/pods/1")).has_value());
    auto r = run_awaitable(ioc, client.get("/api/v1/pods/2"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->body["metadata"]["name"], "2");
    EXPECT_EQ(server.accepted_connections(), 2u);
    EXPECT_EQ(client.stats().attempts, 2u);
}

TEST(kube_client, stale_pooled_connection_is_replaced_transparently_once)
{
    // Second request arrives on the pooled connection, which the server then drops without an
    // answer (as a server closing an idle connection does); the client resends it on a new one.
    fake_apiserver server(scripted({ok_object("1"), fake_reply::drop(), ok_object("3")}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    ASSERT_TRUE(run_awaitable(ioc, client.get("/api/v1/pods/1")).has_value());
    auto r = run_awaitable(ioc, client.get("/api/v1/pods/2"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->body["metadata"]["name"], "3");
    EXPECT_EQ(client.stats().stale_connection_retries, 1u);
    EXPECT_EQ(client.stats().attempts, 2u) << "the stale replacement is not a retry";
    EXPECT_EQ(server.accepted_connections(), 2u);
}

// --- raw requests and streams ------------------------------------------------------------------

TEST(kube_client, raw_request_passes_non_2xx_answers_through)
{
    auto text404 = fake_reply::json(404, nullptr);
    text404.content_type = "text/plain";
    text404.body = "not found";
    fake_apiserver server(scripted({text404}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    auto r = run_awaitable(
        ioc, client.request("GET", "/apis/cluster.karmada.io/v1alpha1/clusters/*/proxy/api/v1/x",
                            "", {{"Impersonate-User", "alice"}, {"Accept", "text/plain"}}));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 404u);
    EXPECT_EQ(r->body, "not found");
    EXPECT_EQ(r->header("content-type"), "text/plain");
    const auto req = server.requests().at(0);
    EXPECT_EQ(req.header("impersonate-user"), "alice");
    EXPECT_EQ(req.header("accept"), "text/plain");
}

TEST(kube_client, invalid_paths_methods_and_urls_are_rejected_without_sending)
{
    fake_apiserver server(scripted({}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    auto no_slash = run_awaitable(ioc, client.get("api/v1/pods"));
    ASSERT_FALSE(no_slash.has_value());
    EXPECT_EQ(no_slash.error().code, kube_errc::invalid_argument);
    auto crlf = run_awaitable(ioc, client.get("/api/v1/pods\r\nX-Evil: 1"));
    ASSERT_FALSE(crlf.has_value());
    auto bad_method = run_awaitable(ioc, client.request("FROB", "/x"));
    ASSERT_FALSE(bad_method.has_value());
    EXPECT_EQ(server.request_count(), 0u);

    for (const std::string url : {"ftp://host", "https://", "https://host:99999", "host:443",
                                  "https://[::1", "https://h/?q=1"}) {
        config::api_endpoint e;
        e.server = url;
        auto c = kube_client::create(ioc.get_executor(), e);
        ASSERT_FALSE(c.has_value()) << url;
        EXPECT_EQ(c.error().code, kube_errc::invalid_argument) << url;
        EXPECT_NE(c.error().message.find("server"), std::string::npos) << c.error().message;
    }
}

TEST(kube_client, stream_get_delivers_chunks_in_order_until_the_body_ends)
{
    fake_reply logs;
    logs.what = fake_reply::action::stream;
    logs.content_type = "text/plain";
    logs.chunks = {{"line 1\n", 0ms}, {"line 2\n", 20ms}, {"line 3\n", 20ms}};
    fake_apiserver server(scripted({logs}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    std::string received;
    std::size_t calls = 0;
    auto r = run_awaitable(ioc, client.stream_get("/api/v1/namespaces/ml/pods/p/log?follow=true",
                                                  {}, [&](std::string_view d) {
                                                      received.append(d);
                                                      ++calls;
                                                      return true;
                                                  }));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, proxy::stream_end::completed);
    EXPECT_EQ(received, "line 1\nline 2\nline 3\n");
    EXPECT_GE(calls, 1u);
}

TEST(kube_client, stream_get_delivers_data_before_the_body_ends_and_can_stop)
{
    // The server never finishes this body: only incremental delivery lets the callback see
    // the first line, and returning false ends the call.
    fake_reply follow;
    follow.what = fake_reply::action::stream;
    follow.chunks = {{"first\n", 0ms}};
    follow.hold_open = true;
    fake_apiserver server(scripted({follow}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    std::string received;
    auto r = run_awaitable(ioc, client.stream_get("/logs", {}, [&](std::string_view d) {
        received.append(d);
        return received.find('\n') == std::string::npos;
    }));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, proxy::stream_end::stopped);
    EXPECT_EQ(received, "first\n");
}

TEST(kube_client, stream_idle_timeout_ends_a_silent_stream)
{
    fake_reply silent;
    silent.what = fake_reply::action::stream;
    silent.hold_open = true;
    fake_apiserver server(scripted({silent}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    proxy::stream_options so;
    so.idle_timeout = 100ms;
    auto r = run_awaitable(ioc, client.stream_get("/logs", so, [](std::string_view) {
        return true;
    }));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, kube_errc::timeout);
}

TEST(kube_client, stream_get_of_a_missing_pod_is_a_status_error)
{
    fake_apiserver server(scripted({status(404)}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    bool called = false;
    auto r = run_awaitable(ioc, client.stream_get("/logs", {}, [&](std::string_view) {
        called = true;
        return true;
    }));
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(r.error().not_found());
    EXPECT_FALSE(called);
}

// --- watch -----------------------------------------------------------------------------------

nlohmann::json obj(const std::string& name, const std::string& rv)
{
    return {{"metadata", {{"name", name}, {"resourceVersion", rv}}}};
}

TEST(kube_client, watch_resumes_from_the_last_seen_resource_version_including_bookmarks)
{
    fake_apiserver server(scripted({
        fake_reply::watch({{"ADDED", obj("a", "11")}, {"MODIFIED", obj("a", "12")}}),
        fake_reply::watch({{"BOOKMARK", obj("", "15")}}),
        fake_reply::watch({{"ADDED", obj("b", "16")}}, /*hold_open=*/true),
    }));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    std::vector<std::string> seen;
    proxy::watch_options wo;
    wo.resource_version = "10";
    auto r = run_awaitable(ioc, client.watch("/api/v1/pods", wo, [&](const proxy::watch_event& e) {
        seen.push_back(e.type + ":" + e.object["metadata"].value("name", "") + "@" +
                       e.object["metadata"].value("resourceVersion", ""));
        return e.object["metadata"].value("name", "") != "b";
    }));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, "16");
    EXPECT_EQ(seen, (std::vector<std::string>{"ADDED:a@11", "MODIFIED:a@12", "BOOKMARK:@15",
                                              "ADDED:b@16"}));
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);
    std::vector<std::string> versions;
    for (const auto& req : requests) {
        EXPECT_EQ(req.query("watch"), "1");
        EXPECT_EQ(req.query("allowWatchBookmarks"), "true");
        versions.push_back(req.query("resourceVersion"));
    }
    EXPECT_EQ(versions, (std::vector<std::string>{"10", "12", "15"}));
    EXPECT_EQ(client.stats().watch_reconnects, 2u);
}

TEST(kube_client, watch_reports_410_gone_from_an_error_event)
{
    nlohmann::json gone{{"kind", "Status"},   {"status", "Failure"},
                        {"reason", "Expired"}, {"message", "too old resource version: 1 (5)"},
                        {"code", 410}};
    fake_apiserver server(scripted({fake_reply::watch({{"ERROR", gone}})}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    proxy::watch_options wo;
    wo.resource_version = "1";
    auto r = run_awaitable(ioc, client.watch("/api/v1/pods", wo, [](const proxy::watch_event&) {
        return true;
    }));
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(r.error().expired());
    EXPECT_EQ(r.error().reason, "Expired");
}

TEST(kube_client, watch_reports_410_gone_from_the_http_status)
{
    fake_apiserver server(scripted({status(410)}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    auto r = run_awaitable(ioc, client.watch("/api/v1/pods", {}, [](const proxy::watch_event&) {
        return true;
    }));
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(r.error().expired());
    EXPECT_EQ(server.request_count(), 1u);
}

TEST(kube_client, watch_reconnects_after_a_server_error_and_gives_up_on_forbidden)
{
    fake_apiserver server(scripted({status(503), status(403)}));
    net::io_context ioc;
    auto options = test_options();
    options.retry.max_attempts = 1;  // make each reconnect one HTTP attempt
    auto client = make_client(ioc, server.url(), options);
    auto r = run_awaitable(ioc, client.watch("/api/v1/pods", {}, [](const proxy::watch_event&) {
        return true;
    }));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().http_status, 403u);
    EXPECT_EQ(server.request_count(), 2u);
}

TEST(kube_client, watch_rejects_a_malformed_event_line)
{
    fake_reply bad;
    bad.what = fake_reply::action::stream;
    bad.chunks = {{"{\"type\":\"ADDED\"}\n", 0ms}};
    fake_apiserver server(scripted({bad}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    auto r = run_awaitable(ioc, client.watch("/api/v1/pods", {}, [](const proxy::watch_event&) {
        return true;
    }));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, kube_errc::bad_response);
}

TEST(kube_client, watch_events_split_across_chunks_or_sharing_one_are_each_decoded_once)
{
    const std::string a = nlohmann::json{{"type", "ADDED"}, {"object", obj("a", "21")}}.dump();
    const std::string b = nlohmann::json{{"type", "MODIFIED"}, {"object", obj("a", "22")}}.dump();
    const std::string c = nlohmann::json{{"type", "ADDED"}, {"object", obj("c", "23")}}.dump();
    fake_reply split;
    split.what = fake_reply::action::stream;
    // `a` cut in three, then the end of `a` with all of `b` and the start of `c`, a blank
    // keep-alive line in between, then the rest of `c`.
    // (The pauses make each chunk its own read on the client's side.)
    split.chunks = {{a.substr(0, 5), 0ms},
                    {a.substr(5, 10), 2ms},
                    {a.substr(15) + "\n" + b + "\n\r\n" + c.substr(0, 7), 2ms},
                    {c.substr(7) + "\n", 2ms}};
    fake_apiserver server(scripted({split}));
    net::io_context ioc;
    auto client = make_client(ioc, server.url());
    std::vector<std::string> seen;
    auto r = run_awaitable(ioc, client.watch("/api/v1/pods", {}, [&](const proxy::watch_event& e) {
        seen.push_back(e.type + ":" + e.object["metadata"].value("name", "") + "@" +
                       e.object["metadata"].value("resourceVersion", ""));
        return seen.size() < 3;
    }));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, "23");
    EXPECT_EQ(seen, (std::vector<std::string>{"ADDED:a@21", "MODIFIED:a@22", "ADDED:c@23"}));
}

TEST(kube_client, watch_event_larger_than_the_limit_is_rejected)
{
    fake_apiserver server(scripted({fake_reply::watch(
        {{"ADDED", {{"metadata", {{"name", "big"}}}, {"data", std::string(4096, 'x')}}}})}));
    net::io_context ioc;
    auto options = test_options();
    options.max_event_bytes = 1024;
    auto client = make_client(ioc, server.url(), options);
    auto r = run_awaitable(ioc, client.watch("/api/v1/pods", {}, [](const proxy::watch_event&) {
        return true;
    }));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, kube_errc::response_too_large);
}

}  // namespace
