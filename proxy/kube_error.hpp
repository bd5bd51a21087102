#pragma once
/// Errors of the Kubernetes REST client, returned as values (STYLE.md principle 5).
///
/// One type covers both failure channels a caller has to tell apart: the transport failed
/// (no usable answer: deadline, connect, TLS, broken connection, oversized or garbled
/// response) or the server answered with a non-2xx status, in which case `http_status`,
/// `reason` and `message` come from its `metav1.Status` body (or are synthesised from the
/// status code when the body is not a Status, as the cluster proxy's plain-text 404/409 are).
///
/// Thread safety: plain values.

#include <boost/system/result.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace proxy {

/// What went wrong, protocol-neutral enough for the broker's single error mapping.
enum class kube_errc {
    invalid_argument,    ///< bad endpoint configuration, URL, path or option; nothing was sent
    timeout,             ///< the call's deadline (or a stream's idle timeout) passed
    cancelled,           ///< the caller cancelled the operation
    connect_failed,      ///< name resolution or TCP connect failed
    tls_failed,          ///< TLS handshake or certificate verification failed
    connection_lost,     ///< the connection broke after the request was (possibly) sent
    response_too_large,  ///< the body or one watch event exceeded the configured limit
    bad_response,        ///< not parsable as HTTP, or a JSON body that does not parse
    http_status,         ///< the server answered with a non-2xx status; see http_status/reason
};

/// Stable lower-case name of an error code ("timeout", "http_status", ...), for logs and tests.
std::string_view to_string(kube_errc code);

struct kube_error {
    kube_errc code = kube_errc::connection_lost;
    unsigned http_status = 0;  ///< the HTTP status when code == http_status, else 0
    std::string reason;        ///< Status.reason ("NotFound", "Expired", ...) or a transport reason
    std::string message;       ///< client-visible sentence
    std::string detail;        ///< internal detail for logs only (system error text, URL)
    nlohmann::json status;     ///< the Status object as the server sent it; null when none
    int attempts = 0;          ///< how many attempts the call made before giving up

    bool is_status(unsigned code_value) const
    {
        return code == kube_errc::http_status && http_status == code_value;
    }
    bool not_found() const { return is_status(404); }
    bool conflict() const { return is_status(409); }
    /// 410 Gone / reason Expired: a watch or list continue token is too old; relist.
    bool expired() const { return is_status(410); }
};

/// Builds the error for a non-2xx answer: parses a `kind: Status` JSON body when there is
/// one, otherwise synthesises the reason from the status code (404 → NotFound, 429 →
/// TooManyRequests, ...) and takes the message from the (truncated) body text.
kube_error status_error(unsigned http_status, std::string_view body);

/// Builds a transport error.
kube_error transport_error(kube_errc code, std::string message, std::string detail = {});

/// The Kubernetes reason phrase conventionally used for an HTTP status ("NotFound" for 404).
std::string_view reason_for_status(unsigned http_status);

/// Required by boost::system::result when `.value()` is called on an error: throws
/// `std::runtime_error` with the message. Code paths that handle errors never call it.
[[noreturn]] void throw_exception_from_error(const kube_error& e,
                                             const boost::source_location& loc);

template <class T>
using kube_result = boost::system::result<T, kube_error>;

}  // namespace proxy
