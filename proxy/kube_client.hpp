#pragma once
/// A client for one Kubernetes-style API endpoint (Karmada's API server, or a member
/// cluster reached through Karmada's cluster proxy): TLS with SNI and hostname/IP
/// verification, client certificates, bearer/basic auth, pooled keep-alive connections,
/// a deadline on every call, retries with exponential backoff and full jitter, bounded
/// responses, streaming GET and watch with resume.
///
/// Calls are C++20 coroutines (`net::awaitable`). Results are values: a transport failure or
/// a non-2xx answer is a `kube_error` (see kube_error.hpp); only `request()` hands back
/// non-2xx answers as responses, for callers that pass them through (the cluster proxy).
///
/// Retries: on 429 (honouring `Retry-After`), 5xx and connection errors, up to
/// `backoff_policy::max_attempts` attempts, never past the call's deadline; never on other
/// 4xx; a POST (not idempotent) is retried only when it failed before the request was
/// written. A pooled connection that turns out to be stale (closed by the server while idle)
/// is replaced transparently once, without counting as an attempt.
///
/// Deadlines: every call has one (`call_options::timeout`, default
/// `client_options::default_timeout`), measured from the call's start and covering name
/// resolution, connect, TLS handshake, every retry and its backoff. Streaming calls use it
/// until the response headers arrive; after that each read waits at most the idle timeout.
///
/// Thread safety: internally synchronised. A call runs in the awaiting coroutine, on its
/// executor (no hop to another strand), taking a pooled connection for the length of one
/// exchange; the pool is shared under a mutex, so calls may be made concurrently from any
/// thread or executor and run in parallel. Streaming and watch callbacks run on the awaiting
/// coroutine's executor and must not
/// block. Cancelling the awaiting coroutine (e.g. with the `||` operator or a bound
/// cancellation slot, terminal cancellation) cancels the call, which then returns
/// `kube_errc::cancelled`. A call in flight keeps the client's internals alive, so the
/// `kube_client` handle may be destroyed while calls are still running (or before a returned
/// awaitable is awaited). Copies of a `kube_client` share one client. Each call is validated
/// and its deadline fixed when the member function is called; the I/O starts when the
/// returned awaitable is first awaited.

#include "config/kubeconfig.hpp"
#include "proxy/backoff.hpp"
#include "proxy/kube_error.hpp"
#include "proxy/net.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace proxy {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// Client-wide limits and defaults; each has a safe default.
struct client_options {
    std::chrono::milliseconds default_timeout{30000};  ///< deadline of a call without its own
    std::size_t max_idle_connections = 8;              ///< pooled keep-alive connections kept
    std::size_t max_response_bytes = 64u << 20;        ///< body limit of a buffered response
    std::size_t max_header_bytes = 64u << 10;          ///< response header limit
    std::size_t max_event_bytes = 16u << 20;           ///< one watch event (one line)
    std::chrono::milliseconds stream_idle_timeout{std::chrono::minutes(5)};
    backoff_policy retry;
    std::optional<std::uint64_t> rng_seed;  ///< jitter seed; unset: from std::random_device
    std::string user_agent = "gpu-federation-broker/0.1";
    int watch_timeout_seconds = 240;          ///< sent as timeoutSeconds on every watch request
    int watch_max_consecutive_failures = 10;  ///< watch gives up after this many failed reconnects
};

/// Per-call options.
struct call_options {
    std::optional<std::chrono::milliseconds> timeout;  ///< deadline from the call's start
    std::optional<int> max_attempts;                   ///< overrides the policy's attempts (≥ 1)
    header_list headers;  ///< extra request headers; they replace defaults of the same name
    /// False: a 2xx answer's body is read but not parsed (`json_response::body` stays null), for
    /// writes whose echoed object nobody reads. Error answers are always parsed.
    bool parse_body = true;
};

/// Query parameters of a list call; empty/zero members are not sent.
struct list_options {
    std::string label_selector;
    std::string field_selector;
    std::int64_t limit = 0;       ///< page size; 0 = no paging
    std::string continue_token;   ///< `metadata.continue` of the previous page
    std::string resource_version;
};

/// A 2xx answer with its parsed JSON body (null for an empty body).
struct json_response {
    unsigned status = 0;
    nlohmann::json body;
};

/// Any answer, as received (bounded by `max_response_bytes`).
struct raw_response {
    unsigned status = 0;
    header_list headers;
    std::string body;

    /// Value of the first header named `name` (case-insensitive), empty when absent.
    std::string header(std::string_view name) const;
};

struct stream_options {
    call_options call;  ///< its timeout bounds connect + response headers
    std::optional<std::chrono::milliseconds> idle_timeout;  ///< longest silence in the body
};

/// How a streaming call ended when it did not fail.
enum class stream_end {
    completed,  ///< the server finished the body
    stopped,    ///< the callback returned false (the connection is closed, not pooled)
};

struct watch_event {
    std::string type;  ///< ADDED, MODIFIED, DELETED or BOOKMARK
    nlohmann::json object;
};

struct watch_options {
    std::string resource_version;  ///< start after this version; empty = current state first
    std::string label_selector;
    std::string field_selector;
    bool allow_bookmarks = true;
    call_options call;  ///< per (re)connection: timeout until the stream's headers arrive
    std::optional<std::chrono::milliseconds> idle_timeout;
};

/// Counters (monotonic), for /metrics and tests.
struct client_stats {
    std::uint64_t attempts = 0;                  ///< HTTP exchanges started, retries included
    std::uint64_t retries = 0;                   ///< backoff retries taken
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_reused = 0;
    std::uint64_t stale_connection_retries = 0;  ///< pooled connection found dead, replaced once
    std::uint64_t timeouts = 0;
    std::uint64_t tls_failures = 0;
    std::uint64_t connect_failures = 0;
    std::uint64_t oversized_responses = 0;
    std::uint64_t watch_reconnects = 0;
    std::int64_t last_retry_delay_ms = -1;       ///< delay before the latest retry, -1 if none
};

class kube_client {
public:
    /// Validates the endpoint (URL, PEM material) and builds the client. Errors:
    /// `invalid_argument` with the offending kubeconfig field in the message.
    static kube_result<kube_client> create(net::any_io_executor executor,
                                           const config::api_endpoint& endpoint,
                                           client_options options = {});

    /// Copies are handles to the same client (same pool and counters).
    kube_client(const kube_client&);
    kube_client& operator=(const kube_client&);
    kube_client(kube_client&&) noexcept;
    kube_client& operator=(kube_client&&) noexcept;
    ~kube_client();

    /// A strand of the client's executor, for a caller that wants one of its own (the
    /// reflector runs its watch there); calls do not use it.
    net::any_io_executor strand() const;
    /// The server URL as configured.
    const std::string& server() const;

    /// Paths are absolute API paths with an optional query ("/api/v1/namespaces/ml/pods");
    /// the server URL's path prefix is prepended.
    net::awaitable<kube_result<json_response>> get(std::string path, call_options options = {});
    net::awaitable<kube_result<json_response>> list(std::string path, list_options query,
                                                    call_options options = {});
    /// POST of `object` (not retried once sent).
    net::awaitable<kube_result<json_response>> create(std::string path, const nlohmann::json& object,
                                                      call_options options = {});
    /// PUT of `object` (its metadata.resourceVersion makes it a compare-and-swap).
    net::awaitable<kube_result<json_response>> update(std::string path, const nlohmann::json& object,
                                                      call_options options = {});
    /// PATCH with `application/merge-patch+json`.
    net::awaitable<kube_result<json_response>> merge_patch(std::string path, nlohmann::json patch,
                                                           call_options options = {});
    /// DELETE; `delete_options` (e.g. propagationPolicy) is sent as the body when not null.
    net::awaitable<kube_result<json_response>> remove(std::string path, call_options options = {},
                                                      nlohmann::json delete_options = nullptr);

    /// Any method ("GET", "POST", ...), raw body and headers. Non-2xx answers are responses,
    /// not errors. POST and PATCH are treated as not idempotent here.
    net::awaitable<kube_result<raw_response>> request(std::string method, std::string path,
                                                      std::string body = {},
                                                      header_list headers = {},
                                                      call_options options = {});

    /// GET whose 2xx body is delivered incrementally (decoded chunks, in order) to `on_data`
    /// on the awaiting coroutine's executor; return false from it to stop. A non-2xx answer is an error.
    /// Retries apply only until the first response headers arrive.
    net::awaitable<kube_result<stream_end>> stream_get(
        std::string path, stream_options options,
        std::function<bool(std::string_view chunk)> on_data);

    /// Watches the collection at `path` (e.g. "/apis/cluster.karmada.io/v1alpha1/clusters"),
    /// calling `on_event` per event (bookmarks included; it may move the event's object out).
    /// On a disconnect or a server-side timeout it reconnects from the last seen
    /// resourceVersion, with backoff after failures. Returns the last seen resourceVersion when `on_event` returns false; returns
    /// an error with `expired()` on 410 Gone (relist, then watch again), `cancelled` when
    /// cancelled, or the last error after `watch_max_consecutive_failures` failed reconnects.
    net::awaitable<kube_result<std::string>> watch(
        std::string path, watch_options options,
        std::function<bool(watch_event& event)> on_event);

    client_stats stats() const;

    /// Closes the pooled idle connections (e.g. after a credential rotation).
    void close_idle_connections();

    struct state;

private:
    explicit kube_client(std::shared_ptr<state> s);
    std::shared_ptr<state> state_;
};

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
std::string query_escape(std::string_view value);

/// Appends `name=escaped(value)` to `path` with `?` or `&` as needed.
std::string append_query(std::string path, std::string_view name, std::string_view value);

}  // namespace proxy
