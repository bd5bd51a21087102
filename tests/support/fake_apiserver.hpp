#pragma once
/// A small in-process HTTP(S) server on 127.0.0.1 port 0 that plays a Kubernetes API server
/// for client tests: a handler (or a script of replies) decides each answer, with delays,
/// dropped connections, chunked streams (watch, log follow) that end or stay open, and TLS
/// with an optional client-certificate requirement. It records every request and counts
/// accepted connections so tests can assert on retries and keep-alive reuse.
///
/// Thread safety: the server runs on its own thread. The handler is called on that thread
/// only (one request at a time). `requests()`, `accepted_connections()` and the other
/// accessors may be called from any thread. The destructor stops the server and joins.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace test_support {

struct recorded_request {
    std::string method;
    std::string target;                         ///< path and query as sent
    std::map<std::string, std::string> headers; ///< names lower-cased
    std::string body;
    std::size_t connection = 0;                 ///< 1-based accept order of its connection
    std::string client_cert_cn;                 ///< TLS client certificate's CN, if any

    std::string header(const std::string& lower_name) const;
    std::string path() const;                   ///< target without the query
    /// The (percent-decoded) value of a query parameter, empty when absent.
    std::string query(const std::string& name) const;
};

struct fake_chunk {
    std::string data;
    std::chrono::milliseconds delay{0};  ///< waited before this chunk is written
};

/// What the server does with one request.
struct fake_reply {
    enum class action {
        respond,              ///< a complete response (status, headers, body)
        close_without_reply,  ///< read the request, then close the connection
        stream,               ///< a chunked 2xx body written piece by piece
    };
    action what = action::respond;
    unsigned status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds delay{0};  ///< before anything is written
    std::vector<fake_chunk> chunks;      ///< for stream
    bool hold_open = false;  ///< stream: after the chunks, wait until the client disconnects
    bool close_after = false;  ///< answer with Connection: close and close
    /// After a complete keep-alive answer, close the connection without announcing it (as a
    /// server timing out an idle connection does).
    bool drop_after = false;

    static fake_reply json(unsigned status, const nlohmann::json& body);
    /// A Kubernetes Status error body with the conventional reason for `status`.
    static fake_reply status_error(unsigned status, const std::string& reason,
                                   const std::string& message);
    static fake_reply drop();
    /// A watch stream: one JSON line per event `{"type":..., "object":...}`.
    static fake_reply watch(const std::vector<std::pair<std::string, nlohmann::json>>& events,
                            bool hold_open = false);
};

struct fake_tls {
    std::string cert_pem;
    std::string key_pem;
    std::string client_ca_pem;          ///< CA for client certificates
    bool require_client_cert = false;
};

class fake_apiserver {
public:
    using handler = std::function<fake_reply(const recorded_request&)>;

    explicit fake_apiserver(handler on_request, std::optional<fake_tls> tls = std::nullopt);
    ~fake_apiserver();
    fake_apiserver(const fake_apiserver&) = delete;
    fake_apiserver& operator=(const fake_apiserver&) = delete;

    unsigned short port() const;
    /// "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
    std::string url() const;
    std::size_t accepted_connections() const;
    std::size_t failed_handshakes() const;
    std::vector<recorded_request> requests() const;
    std::size_t request_count() const;

    /// Stops accepting, closes every connection and joins the thread (idempotent).
    void stop();

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

/// A handler answering requests in order from `replies`, then `fallback` for the rest.
fake_apiserver::handler scripted(std::vector<fake_reply> replies,
                                 fake_reply fallback = fake_reply::status_error(
                                     404, "NotFound", "no scripted reply left"));

}  // namespace test_support
