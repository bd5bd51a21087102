#pragma once
/// Read-only access into parsed Kubernetes objects without copies: nlohmann's `value(key,
/// default)` returns a copy of the member (of a whole `spec`, say) on every call, which is what
/// the hot paths over watch events must not pay.
///
/// Thread safety: pure functions over const documents.

#include <nlohmann/json.hpp>

#include <string_view>

namespace propagation::json_access {

/// `object[key]` when `object` is an object that has it; else a shared null document.
inline const nlohmann::json& child(const nlohmann::json& object, std::string_view key) {
    static const nlohmann::json null_value;
    if (!object.is_object()) {
        return null_value;
    }
    const auto it = object.find(key);
    return it == object.end() ? null_value : *it;
}

/// The string at `object[key]`, or empty when it is absent or not a string.
inline std::string_view text(const nlohmann::json& object, std::string_view key) {
    const auto& value = child(object, key);
    return value.is_string() ? std::string_view(value.get_ref<const std::string&>())
                             : std::string_view();
}

}  // namespace propagation::json_access
