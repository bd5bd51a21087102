#include "broker/store/store_error.hpp"

#include <stdexcept>

namespace broker::store {

std::string_view to_string(store_errc code) {
    switch (code) {
        case store_errc::unavailable:
            return "unavailable";
        case store_errc::timeout:
            return "timeout";
        case store_errc::not_found:
            return "not_found";
        case store_errc::conflict:
            return "conflict";
        case store_errc::idempotency_mismatch:
            return "idempotency_mismatch";
        case store_errc::invalid:
            return "invalid";
        case store_errc::internal:
            return "internal";
    }
    return "internal";
}

void throw_exception_from_error(const store_error& e, const boost::source_location&) {
    throw std::runtime_error(std::string(to_string(e.code)) + ": " + e.message);
}

store_error make_error(store_errc code, std::string message, std::string detail) {
    return store_error{code, std::move(message), std::move(detail)};
}

}  // namespace broker::store
