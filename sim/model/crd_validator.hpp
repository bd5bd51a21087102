#pragma once
/// Validation of custom resources against their CRD's openAPIV3Schema, as the API server does
/// it: structural defaults, types, required, enum, minimum/maximum, min/maxItems, min/maxLength,
/// pattern; unknown fields are pruned (or, with strict field validation, reported as
/// `.spec.x: field not declared in schema`). `x-kubernetes-preserve-unknown-fields` and
/// `x-kubernetes-int-or-string` are honoured. Only what fedsim's kinds need; small on purpose.
///
/// Thread safety: immutable after loading; `validate` is const.

#include "sim/model/api_error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fedsim::model {

/// A schema violation: `field` is the API server's path ("spec.replicas"), `reason` a
/// StatusCause reason, `message` its wording ("Unsupported value: \"x\": supported values: ...").
struct schema_problem {
    std::string reason;
    std::string message;
    std::string field;
};

class crd_validator {
public:
    /// One CRD version's schema, as found in a CRD document.
    struct entry {
        std::string group, version, plural, singular, kind, list_kind;
        bool namespaced = true;
        std::vector<std::string> short_names, categories;
        bool has_status = false;
        nlohmann::json schema;           ///< openAPIV3Schema
        nlohmann::json printer_columns;  ///< additionalPrinterColumns (array)
    };

    /// Loads every CRD in the YAML files of `dir` (not recursive). Returns an error message
    /// naming the file on failure.
    std::string load_directory(const std::filesystem::path& dir);
    /// Adds one CRD (a parsed document). Returns an error message or "".
    std::string add_crd(const nlohmann::json& crd);

    const std::vector<entry>& entries() const { return entries_; }
    bool has(std::string_view group, std::string_view version, std::string_view kind) const;

    /// Applies the schema's defaults, validates `object` and prunes unknown fields, in place.
    /// `unknown_fields` receives the dotted paths of pruned fields (".spec.x" style) so the
    /// caller can reject them (Strict) or warn. `problems` receives every violation.
    void validate(std::string_view group, std::string_view version, std::string_view kind,
                  nlohmann::json& object, std::vector<std::string>& unknown_fields,
                  std::vector<schema_problem>& problems) const;

private:
    std::vector<entry> entries_;
    std::map<std::string, std::size_t, std::less<>> by_gvk_;  ///< "group/version/Kind" → index
};

}  // namespace fedsim::model
