#pragma once
/// Kubernetes `Status` errors as values: what every fedsim model operation returns instead of
/// an object when it fails, worded exactly as kube-apiserver words them (karmada/SPEC.md §f).
///
/// The HTTP layer turns an `api_error` into a response with `code` as the HTTP status and
/// `to_status()` as the body; nothing else needs mapping.
///
/// Thread safety: plain values.

#include <boost/system/result.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fedsim::model {

struct resource_info;

/// One StatusCause: `reason` is FieldValueInvalid, FieldValueRequired, FieldValueNotSupported,
/// FieldValueDuplicate, FieldValueTooLong, FieldValueTypeInvalid, FieldValueForbidden or
/// FieldValueUnknown (unknown fields under strict validation).
struct status_cause {
    std::string reason;
    std::string message;
    std::string field;
    friend bool operator==(const status_cause&, const status_cause&) = default;
};

/// StatusDetails. `kind` is the plural resource for NotFound/AlreadyExists/Conflict and the Kind
/// for Invalid, as the API server fills it. Empty strings are omitted from the JSON.
struct status_details {
    std::string name;
    std::string group;
    std::string kind;
    std::string uid;
    std::vector<status_cause> causes;
    std::optional<int> retry_after_seconds;
};

struct api_error {
    int code = 500;
    std::string reason;  ///< NotFound, AlreadyExists, Conflict, Invalid, BadRequest, Expired...
    std::string message;
    std::optional<status_details> details;

    /// `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",...}`.
    nlohmann::json to_status() const;
};

/// Required by boost::system::result when `.value()` is called on an error: throws
/// std::runtime_error carrying the message. Code that handles errors never calls it.
[[noreturn]] void throw_exception_from_error(const api_error& e, const boost::source_location& loc);

template <class T>
using api_result = boost::system::result<T, api_error>;

/// `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success",...}` as DELETE returns
/// it for resources that do not return the deleted object.
nlohmann::json success_status(const resource_info& resource, std::string_view name,
                              std::string_view uid);

// Builders, one per error the API server produces. `resource` gives the `<plural>.<group>`
// qualified name used in messages ("jobs.batch", or "pods" for the core group).

/// 404 `<res> "<name>" not found`.
api_error not_found(const resource_info& resource, std::string_view name);
/// 404 for a name in a group/plural the caller knows only as strings (e.g. the proxy's
/// unknown cluster): `<plural>.<group> "<name>" not found`.
api_error not_found(std::string_view group, std::string_view plural, std::string_view name);
/// 404 "the server could not find the requested resource" (unknown path / resource).
api_error not_found_path();
/// 409 `<res> "<name>" already exists`.
api_error already_exists(const resource_info& resource, std::string_view name);
/// 409 Conflict `Operation cannot be fulfilled on <res> "<name>": <why>`; `why` defaults to
/// the stale-resourceVersion wording.
api_error conflict(const resource_info& resource, std::string_view name,
                   std::string_view why =
                       "the object has been modified; please apply your "
                       "changes to the latest version and try again");
/// 422 `<Kind>.<group> "<name>" is invalid: <field>: <msg>, ...` with the causes.
api_error invalid(const resource_info& resource, std::string_view name,
                  std::vector<status_cause> causes);
/// 400 BadRequest with `message`.
api_error bad_request(std::string message);
/// 403 Forbidden with `message` (details name/group/kind as given).
api_error forbidden(const resource_info& resource, std::string_view name, std::string message);
/// 405 MethodNotAllowed "the server does not allow this method on the requested resource".
api_error method_not_allowed();
/// 410 Expired with `message` (e.g. "too old resource version: 5 (17)").
api_error expired(std::string message);
/// 500 InternalError "Internal error occurred: <message>".
api_error internal_error(std::string message);
/// 503 ServiceUnavailable with `message`.
api_error service_unavailable(std::string message);
/// 429 TooManyRequests with retryAfterSeconds.
api_error too_many_requests(std::string message, int retry_after_seconds);

}  // namespace fedsim::model
