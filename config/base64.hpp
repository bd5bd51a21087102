#pragma once
/// Standard base64 (RFC 4648 §4, with padding) as kubeconfigs use it for *-data fields.
///
/// Thread safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace config {

std::string base64_encode(std::string_view bytes);

/// Strict decoding: the standard alphabet, optional '=' padding only at the end, line breaks
/// and spaces ignored; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace config
