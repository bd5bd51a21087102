#pragma once
/// Domain errors of the pure core, returned as values (STYLE.md principle 5).
///
/// An `error` carries a machine-readable `reason` in Kubernetes' vocabulary (`Invalid`,
/// `Unschedulable`, `BadRequest`), a client-visible message, and for validation failures
/// every problem found, each with the field path it concerns (`spec.replicas`,
/// `placement.clusterWeights.cluster-1`). The broker maps `code` to an HTTP status in one
/// place; the offline tools map it to an exit status.
///
/// Thread safety: plain values.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace propagation {

/// What kind of failure; protocol-neutral (the broker maps it to HTTP, the CLI to exit codes).
enum class errc {
    bad_input,      ///< not usable at all: unparsable JSON, wrong JSON type at the top level
    invalid,        ///< usable but invalid: one or more field errors in `causes`
    unschedulable,  ///< valid, but no placement exists
};

/// One problem at one place. `reason` follows Kubernetes' StatusCause reasons:
/// FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueTooLong,
/// FieldValueDuplicate, FieldValueTypeInvalid, FieldValueForbidden, FieldUnknown.
struct field_error {
    std::string field;
    std::string message;
    std::string reason = "FieldValueInvalid";

    friend bool operator==(const field_error&, const field_error&) = default;
};

struct error {
    errc code = errc::invalid;
    std::string reason;   ///< "Invalid", "Unschedulable", "BadRequest"
    std::string message;  ///< one human sentence; for `invalid` it summarises `causes`
    std::vector<field_error> causes;
};

/// Builds the `invalid` error for a non-empty list of field errors; the message joins them
/// the way the Kubernetes API server does: `field: message, field: message`.
error invalid_error(std::vector<field_error> causes);

/// Builds an `unschedulable` error with per-cluster reasons as causes (field = cluster name).
error unschedulable_error(std::string message, std::vector<field_error> causes = {});

/// Builds a `bad_input` error.
error bad_input_error(std::string message);

/// Required by boost::system::result when `.value()` is called on an error: throws
/// `std::runtime_error` with the message. Code paths that handle errors never call it.
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

template <class T>
using result = boost::system::result<T, error>;

/// The `reason` the Kubernetes API server reports with an HTTP status (404 → NotFound, 409 →
/// Conflict, 422 → Invalid, 410 → Expired, ...): InternalError for other 5xx codes, BadRequest
/// for other 4xx codes, Unknown otherwise. Shared by every Status the project writes or reads.
std::string_view status_reason_for_code(unsigned code);

}  // namespace propagation
