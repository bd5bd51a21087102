#include "config/duration.hpp"

#include <cmath>
#include <cstdint>

namespace config {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text == "0") {
        return std::chrono::milliseconds(0);
    }
    if (text.empty() || text.size() > 64) {
        return std::nullopt;
    }
    double total_ms = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t start = i;
        bool dot = false;
        while (i < text.size() &&
               ((text[i] >= '0' && text[i] <= '9') || (text[i] == '.' && !dot))) {
            dot = dot || text[i] == '.';
            ++i;
        }
        const std::string number(text.substr(start, i - start));
        if (number.empty() || number == ".") {
            return std::nullopt;
        }
        const std::size_t unit_start = i;
        while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') {
            ++i;
        }
        const std::string_view unit = text.substr(unit_start, i - unit_start);
        double scale = 0;
        if (unit == "ns") {
            scale = 1e-6;
        } else if (unit == "us") {
            scale = 1e-3;
        } else if (unit == "ms") {
            scale = 1;
        } else if (unit == "s") {
            scale = 1000;
        } else if (unit == "m") {
            scale = 60'000;
        } else if (unit == "h") {
            scale = 3'600'000;
        } else {
            return std::nullopt;
        }
        total_ms += std::stod(number) * scale;
    }
    // Ten years is far beyond any timeout or interval and keeps the value in range.
    if (total_ms > 315'360'000'000.0) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(total_ms)));
}

std::string format_duration(std::chrono::milliseconds d) {
    const auto ms = d.count();
    if (ms != 0 && ms % 3'600'000 == 0) {
        return std::to_string(ms / 3'600'000) + "h";
    }
    if (ms != 0 && ms % 60'000 == 0) {
        return std::to_string(ms / 60'000) + "m";
    }
    if (ms != 0 && ms % 1000 == 0) {
        return std::to_string(ms / 1000) + "s";
    }
    return std::to_string(ms) + "ms";
}

}  // namespace config
