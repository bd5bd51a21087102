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

/// True when `status.conditions` holds a condition of `type` whose status is "True".
inline bool condition_true(const nlohmann::json& status, const std::string& type) {
    const nlohmann::json& conds = jget(status, "conditions");
    if (!conds.is_array())
        return false;
    for (const auto& c : conds) {
        if (sget(c, "type") == type && sget(c, "status") == "True")
            return true;
    }
    return false;
}

/// Sets or replaces the condition of `cond`'s type in `conditions` (made an array when it is
/// not one), keeping lastTransitionTime when the status did not change, as the API's
/// condition helpers do.
inline void upsert_condition(nlohmann::json& conditions, nlohmann::json cond) {
    if (!conditions.is_array())
        conditions = nlohmann::json::array();
    for (auto& c : conditions) {
        if (sget(c, "type") == sget(cond, "type")) {
            if (sget(c, "status") == sget(cond, "status")) {
                cond["lastTransitionTime"] =
                    c.value("lastTransitionTime", cond["lastTransitionTime"]);
            }
            c = std::move(cond);
            return;
        }
    }
    conditions.push_back(std::move(cond));
}

}  // namespace fedsim::model
