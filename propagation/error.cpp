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

void throw_exception_from_error(const error& e, const boost::source_location&) {
    throw std::runtime_error(e.reason + ": " + e.message);
}

}  // namespace propagation
