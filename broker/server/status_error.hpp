#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker::server {

/// One problem inside a Status error (`details.causes[]`), as the Kubernetes API reports it.
///
/// Thread safety: a plain value.
struct status_cause {
    std::string reason;  ///< e.g. FieldValueRequired, FieldValueInvalid
    std::string message; ///< e.g. "Required value"
    std::string field;   ///< field path, e.g. spec.resourceSelectors
};

/// `details` of a Status error: which object the error is about and its causes.
///
/// Thread safety: a plain value.
struct status_details {
    std::string name;
    std::string group;
    std::string kind;
    std::string uid;
    std::vector<status_cause> causes;
    std::optional<int> retry_after_seconds;
};

/// A Kubernetes `Status` failure: the one error body of every HTTP API in this project.
///
/// `reason` may be left empty; `to_json` then fills the reason the API server uses for `code`.
/// Thread safety: a plain value.
struct status_error {
    unsigned code = 500;
    std::string reason;
    std::string message;
    std::optional<status_details> details;
};

/// The reason the Kubernetes API server reports for an HTTP code (404 → NotFound, 409 → Conflict,
/// 422 → Invalid, ...); "InternalError" for 5xx codes it has no name for, "BadRequest" for 4xx.
/// Thread safety: pure function.
std::string default_status_reason(unsigned code);

/// Builds `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message",
/// "reason","details":{...},"code"}`; `details` is omitted when absent, as the API server does.
/// Thread safety: pure function.
nlohmann::json to_json(const status_error& error);

/// `to_json(error).dump()`.
/// Thread safety: pure function.
std::string status_body(const status_error& error);

/// Shorthand constructors for the common cases.
/// Thread safety: pure functions.
status_error make_status(unsigned code, std::string message, std::string reason = {});
status_error not_found_status(std::string_view resource_group, std::string_view name);
} // namespace broker::server
