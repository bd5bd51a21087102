#pragma once
/// Readable gtest output for config_error values (found by argument-dependent lookup).

#include "config/config_error.hpp"

#include <ostream>

namespace config {

inline void PrintTo(const config_error& e, std::ostream* os) {
    *os << '"' << e.path << ": " << e.message << '"';
}

}  // namespace config
