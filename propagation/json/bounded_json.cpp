#include "propagation/json/bounded_json.hpp"

#include <string>

namespace propagation::json {

result<nlohmann::json> parse_bounded(std::string_view text, const json_limits& limits) {
    if (text.size() > limits.max_bytes) {
        return bad_input_error("document is " + std::to_string(text.size()) +
                               " bytes; the limit is " + std::to_string(limits.max_bytes));
    }
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limits.max_depth) {
                return bad_input_error("document nests deeper than " +
                                       std::to_string(limits.max_depth) + " levels at byte " +
                                       std::to_string(i));
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    try {
        // nlohmann::json converts from almost anything, so name the alternative explicitly.
        return result<nlohmann::json>(boost::system::in_place_value,
                                      nlohmann::json::parse(text.begin(), text.end()));
    } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers out of range
        // nlohmann's message reads "[json.exception.parse_error.101] parse error at line 1, ...";
        // keep the part after the bracketed id.
        std::string what = e.what();
        if (auto pos = what.find("] "); pos != std::string::npos) {
            what.erase(0, pos + 2);
        }
        return bad_input_error("invalid JSON: " + what);
    }
}

std::string_view type_name(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::null: return "null";
        case nlohmann::json::value_t::object: return "object";
        case nlohmann::json::value_t::array: return "array";
        case nlohmann::json::value_t::string: return "string";
        case nlohmann::json::value_t::boolean: return "boolean";
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned: return "integer";
        case nlohmann::json::value_t::number_float: return "number";
        default: return "unknown";
    }
}

}  // namespace propagation::json
