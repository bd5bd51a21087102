#pragma once
/// Label and field selectors with the API server's syntax and error wording.
///
/// Label selectors: comma-separated requirements `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
/// `k notin (a,b)`, `k` (exists), `!k` (does not exist); keys are qualified names
/// (`prefix/name`), values label values. Field selectors: `f=v`, `f==v`, `f!=v` over the fields
/// a resource supports (metadata.name, metadata.namespace, plus a few per kind).
///
/// Thread safety: immutable values after parsing.

#include "sim/model/api_error.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace fedsim::model {

struct resource_info;

class label_selector {
public:
    enum class op { equals, not_equals, in, not_in, exists, does_not_exist };
    struct requirement {
        std::string key;
        op operation = op::equals;
        std::vector<std::string> values;
    };

    /// Parses the query-parameter form. 400 BadRequest `unable to parse requirement: ...`.
    static api_result<label_selector> parse(std::string_view text);
    /// From a metav1.LabelSelector object (`matchLabels`, `matchExpressions` with In, NotIn,
    /// Exists, DoesNotExist). An absent/null selector matches everything; `{}` too.
    static api_result<label_selector> from_json(const nlohmann::json& selector);

    /// `labels` is an object of strings (or null).
    bool matches(const nlohmann::json& labels) const;
    bool empty() const { return requirements_.empty(); }
    const std::vector<requirement>& requirements() const { return requirements_; }

private:
    std::vector<requirement> requirements_;
};

class field_selector {
public:
    struct requirement {
        std::string field;
        bool negate = false;
        std::string value;
    };

    /// 400 BadRequest `"x" is not a known field selector: only "metadata.name",
    /// "metadata.namespace"` for fields `resource` does not support.
    static api_result<field_selector> parse(std::string_view text, const resource_info& resource);

    bool matches(const nlohmann::json& object) const;
    bool empty() const { return requirements_.empty(); }
    const std::vector<requirement>& requirements() const { return requirements_; }

private:
    std::vector<requirement> requirements_;
};

/// Field selectors `resource` supports besides metadata.name / metadata.namespace
/// (pods: spec.nodeName, status.phase, ...; events: involvedObject.*).
std::vector<std::string> supported_fields(const resource_info& resource);

}  // namespace fedsim::model
