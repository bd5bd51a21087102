#pragma once
/// Tolerant readers for Kubernetes objects held as JSON: a missing member, or one of another
/// type, reads as empty / null / the default, as the controllers want when objects are partial.
///
/// Thread safety: pure functions (the empty values returned by reference are immutable).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace fedsim::model {

inline const std::string& sget(const nlohmann::json& j, const char* key) {
    static const std::string empty;
    if (!j.is_object())
        return empty;
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get_ref<const std::string&>() : empty;
}

inline const nlohmann::json& jget(const nlohmann::json& j, const char* key) {
    static const nlohmann::json null;
    if (!j.is_object())
        return null;
    auto it = j.find(key);
    return it != j.end() ? *it : null;
}

inline std::int64_t iget(const nlohmann::json& j, const char* key, std::int64_t def) {
    const nlohmann::json& v = jget(j, key);
    return v.is_number_integer() ? v.get<std::int64_t>() : def;
}

}  // namespace fedsim::model
