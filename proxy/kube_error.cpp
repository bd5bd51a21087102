#include "proxy/kube_error.hpp"

#include "propagation/error.hpp"

#include <stdexcept>

namespace proxy {

std::string_view to_string(kube_errc code)
{
    switch (code) {
    case kube_errc::invalid_argument: return "invalid_argument";
    case kube_errc::timeout: return "timeout";
    case kube_errc::cancelled: return "cancelled";
    case kube_errc::connect_failed: return "connect_failed";
    case kube_errc::tls_failed: return "tls_failed";
    case kube_errc::connection_lost: return "connection_lost";
    case kube_errc::response_too_large: return "response_too_large";
    case kube_errc::bad_response: return "bad_response";
    case kube_errc::http_status: return "http_status";
    }
    return "unknown";
}

std::string_view reason_for_status(unsigned http_status)
{
    return propagation::status_reason_for_code(http_status);
}

kube_error status_error(unsigned http_status, std::string_view body)
{
    // Plain-text bodies (the cluster proxy's fan-out answers, load balancers) can be long
    // HTML pages; keep enough to be useful in a message.
    constexpr std::size_t max_message_chars = 512;

    kube_error e;
    e.code = kube_errc::http_status;
    e.http_status = http_status;
    auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object() && parsed.value("kind", std::string{}) == "Status") {
        if (auto it = parsed.find("reason"); it != parsed.end() && it->is_string()) {
            e.reason = it->get<std::string>();
        }
        if (auto it = parsed.find("message"); it != parsed.end() && it->is_string()) {
            e.message = it->get<std::string>();
        }
        e.status = std::move(parsed);
    }
    if (e.reason.empty()) {
        e.reason = reason_for_status(http_status);
    }
    if (e.message.empty()) {
        std::string_view text = body.substr(0, max_message_chars);
        while (!text.empty() &&
               (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
            text.remove_suffix(1);
        }
        e.message = text.empty() ? "the server answered " + std::to_string(http_status)
                                 : std::string(text);
    }
    return e;
}

kube_error transport_error(kube_errc code, std::string message, std::string detail)
{
    kube_error e;
    e.code = code;
    e.message = std::move(message);
    e.detail = std::move(detail);
    switch (code) {
    case kube_errc::timeout: e.reason = "Timeout"; break;
    case kube_errc::cancelled: e.reason = "Cancelled"; break;
    case kube_errc::invalid_argument: e.reason = "BadRequest"; break;
    case kube_errc::response_too_large: e.reason = "RequestEntityTooLarge"; break;
    default: e.reason = "ServiceUnavailable"; break;
    }
    return e;
}

void throw_exception_from_error(const kube_error& e, const boost::source_location&)
{
    throw std::runtime_error(std::string(to_string(e.code)) + ": " + e.message);
}

}  // namespace proxy
