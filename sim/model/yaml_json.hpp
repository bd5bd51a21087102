#pragma once
/// YAML → JSON for configuration files and CRD documents, resolving plain scalars with the
/// YAML 1.2 core schema (null, booleans, integers, floats; everything quoted is a string), as
/// Kubernetes' sigs.k8s.io/yaml does for manifests.
///
/// Thread safety: pure functions.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace fedsim::model {

/// Parses every document of `text`. On a YAML syntax error returns false and sets `error`
/// ("line 3, column 5: ..."). Limits: nesting depth 128.
bool yaml_to_json(std::string_view text, std::vector<nlohmann::json>& documents,
                  std::string& error);

}  // namespace fedsim::model
