#pragma once
/// Name and label validation with Kubernetes' rules and error texts
/// (k8s.io/apimachinery/pkg/util/validation and pkg/api/validate/content).
///
/// Each function returns the list of problems, empty when the value is valid, in the words the
/// API server uses, so a form rejected here reads like the rejection Kubernetes would give.
///
/// Thread safety: pure functions.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace propagation::form {

/// Maximum lengths Kubernetes enforces.
inline constexpr std::size_t dns1123_label_max_length = 63;
inline constexpr std::size_t dns1123_subdomain_max_length = 253;
inline constexpr std::size_t dns1035_label_max_length = 63;
inline constexpr std::size_t label_value_max_length = 63;
inline constexpr std::size_t label_key_name_max_length = 63;

/// RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (IsDNS1123Label).
std::vector<std::string> is_dns1123_label(std::string_view value);

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters (IsDNS1123Subdomain).
std::vector<std::string> is_dns1123_subdomain(std::string_view value);

/// RFC 1035 label: `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (IsDNS1035Label).
std::vector<std::string> is_dns1035_label(std::string_view value);

/// Label key / qualified name: `[prefix/]name`, prefix a DNS-1123 subdomain, name at most 63
/// characters of `[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]` (IsLabelKey, formerly IsQualifiedName).
std::vector<std::string> is_label_key(std::string_view value);

/// Kubernetes' older name for the same rule (IsQualifiedName).
inline std::vector<std::string> is_qualified_name(std::string_view value) {
    return is_label_key(value);
}

/// Label value: empty, or at most 63 characters shaped like a label key's name (IsLabelValue).
std::vector<std::string> is_label_value(std::string_view value);

/// Environment variable name: `[-._a-zA-Z][-._a-zA-Z0-9]*`, not ".", "..", nor starting with
/// ".." (IsEnvVarName, the strict rule every Kubernetes version accepts).
std::vector<std::string> is_env_var_name(std::string_view value);

/// Kubernetes' "must be no more than N characters".
std::string max_len_error(std::size_t length);

/// Joins a problem list the way Kubernetes joins them in one field error (", " separated).
std::string join_errors(const std::vector<std::string>& errors);

}  // namespace propagation::form
