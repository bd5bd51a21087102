#pragma once
/// The PATCH bodies kubectl and the client libraries send: JSON merge patch (RFC 7386), JSON
/// patch (RFC 6902) and strategic merge patch for the built-in kinds (maps merged, lists of
/// containers / env / volumes / ports / conditions merged by their key, `$patch`,
/// `$setElementOrder`, `$retainKeys`, `$deleteFromPrimitiveList` directives honoured or
/// dropped). Server-side apply is approximated by a merge of the applied configuration.
///
/// Thread safety: pure functions.

#include <nlohmann/json.hpp>

#include <string>

namespace fedsim::model {

/// RFC 7386: `target` updated in place.
void apply_merge_patch(nlohmann::json& target, const nlohmann::json& patch);

/// Strategic merge patch (the subset kubectl uses). `target` updated in place.
void apply_strategic_merge_patch(nlohmann::json& target, const nlohmann::json& patch);

/// RFC 6902. Returns "" or the error message (`target` unspecified on error).
std::string apply_json_patch(nlohmann::json& target, const nlohmann::json& patch);

}  // namespace fedsim::model
