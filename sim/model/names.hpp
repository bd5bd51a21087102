#pragma once
/// Kubernetes name validation (k8s.io/apimachinery/pkg/util/validation), returning the API
/// server's own wording so 422 causes read exactly as kube-apiserver's.
///
/// Thread safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

namespace fedsim::model {

/// Every problem with `name` as an RFC 1123 subdomain (≤253, lowercase alnum, '-', '.').
std::vector<std::string> dns1123_subdomain_errors(std::string_view name);
/// Every problem with `name` as an RFC 1123 label (≤63, lowercase alnum, '-').
std::vector<std::string> dns1123_label_errors(std::string_view name);
/// Every problem with `name` as an RFC 1035 label (starts with a letter).
std::vector<std::string> dns1035_label_errors(std::string_view name);
/// First problem with a qualified name (`[prefix/]name`, label keys), or "".
std::string validate_qualified_name(std::string_view name);
/// First problem with a label value, or "".
std::string validate_label_value(std::string_view value);

/// `Invalid value: "x": ` — how field errors quote a string value.
std::string invalid_value_prefix(std::string_view value);

}  // namespace fedsim::model
