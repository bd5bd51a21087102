#include "propagation/error.hpp"

#include <stdexcept>

namespace propagation {

error invalid_error(std::vector<field_error> causes) {
    std::string message;
    for (const auto& c : causes) {
        if (!message.empty()) {
            message += ", ";
        }
        message += c.field.empty() ? c.message : c.field + ": " + c.message;
    }
    return error{errc::invalid, "Invalid", std::move(message), std::move(causes)};
}

error unschedulable_error(std::string message, std::vector<field_error> causes) {
    return error{errc::unschedulable, "Unschedulable", std::move(message), std::move(causes)};
}

error bad_input_error(std::string message) {
    return error{errc::bad_input, "BadRequest", std::move(message), {}};
}

std::string_view status_reason_for_code(unsigned code) {
    switch (code) {
        case 400: return "BadRequest";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "NotFound";
        case 405: return "MethodNotAllowed";
        case 406: return "NotAcceptable";
        case 409: return "Conflict";
        case 410: return "Expired";
        case 413: return "RequestEntityTooLarge";
        case 415: return "UnsupportedMediaType";
        case 422: return "Invalid";
        case 429: return "TooManyRequests";
        case 431: return "RequestHeaderFieldsTooLarge";
        case 500: return "InternalError";
        case 502: return "BadGateway";
        case 503: return "ServiceUnavailable";
        case 504: return "Timeout";
        default: break;
    }
    if (code >= 500) {
        return "InternalError";
    }
    return code >= 400 ? "BadRequest" : "Unknown";
}

void throw_exception_from_error(const error& e, const boost::source_location&) {
    throw std::runtime_error(e.reason + ": " + e.message);
}

}  // namespace propagation
