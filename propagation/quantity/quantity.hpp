#pragma once
/// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), parsed and printed
/// with the API server's semantics.
///
/// Grammar (ParseQuantity's scanner): `<sign?><digits>[.<digits>]<suffix?>` where suffix is a
/// binary SI suffix (Ki Mi Gi Ti Pi Ei), a decimal SI suffix (n u m "" k M G T P E) or a decimal
/// exponent (`e3`, `E-2`, `e+6`). As Kubernetes does, a non-zero value finer than 1n is rounded
/// up (away from zero) to the next nano, a binary quantity below 1 becomes decimal SI, and
/// `to_string()` gives the canonical form of CanonicalizeBytes ("1.5" → "1500m", "1.5Gi" →
/// "1536Mi", "0.1" → "100m", "1000m" → "1", "1e3" → "1e3", "100000k" → "100M").
///
/// Deliberate differences from ParseQuantity, all rejections or canonicalisations:
/// - a number must have a digit: "", "-", ".", "k" are rejected (ParseQuantity reads the last
///   three as 0; the OpenAPI pattern for quantities rejects them);
/// - the value must fit int64 base units, [-2^63, 2^63-1]: "12E" or "9Ei" are rejected
///   (Kubernetes keeps the former in inf.Dec and caps the latter silently at 2^63-1);
/// - input longer than `max_text_bytes` is rejected;
/// - `to_string()` is always the canonical form; Kubernetes echoes some accepted non-canonical
///   inputs verbatim ("+1", "01", "1.500k"), which we print as "1", "1", "1500".
///
/// Thread safety: a value type.

#include "propagation/error.hpp"

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace propagation {

class quantity {
public:
    enum class format { decimal_si, binary_si, decimal_exponent };

    /// Zero, decimal SI.
    quantity() = default;

    /// Parses `text`; on failure the error is `invalid` with one cause whose message says why
    /// (field left empty: the caller fills in the path).
    static result<quantity> parse(std::string_view text);

    /// Exact construction from an integer number of base units (e.g. bytes, GPUs).
    static quantity from_int(std::int64_t value, format f = format::decimal_si);
    /// Exact construction from thousandths of a base unit (e.g. millicores).
    static quantity from_milli(std::int64_t milli, format f = format::decimal_si);

    /// Value rounded to a whole unit away from zero, as Kubernetes' `Value()` ("1500m" → 2,
    /// "-1500m" → -2); always in range because every quantity fits int64 base units.
    std::int64_t value() const;
    /// Value in thousandths rounded away from zero, as Kubernetes' `MilliValue()`; saturates at
    /// the int64 limits where Kubernetes would overflow.
    std::int64_t milli_value() const;
    /// Canonical string, as the API server would serialise it.
    std::string to_string() const;

    format fmt() const { return format_; }
    bool is_zero() const;
    int sign() const;

    /// Exact comparison of the represented values (format ignored).
    friend int compare(const quantity& a, const quantity& b);
    friend bool operator==(const quantity& a, const quantity& b) { return compare(a, b) == 0; }
    friend bool operator<(const quantity& a, const quantity& b) { return compare(a, b) < 0; }

    /// Exact sum / difference; a result outside int64 base units is an error, never wrapped.
    /// As Kubernetes' Add/Sub, the result keeps `a`'s format unless `a` is zero.
    static result<quantity> add(const quantity& a, const quantity& b);
    static result<quantity> sub(const quantity& a, const quantity& b);

    /// Writes `to_string()` (for test output and logs).
    friend std::ostream& operator<<(std::ostream& os, const quantity& q);

    /// Inputs longer than this are rejected before scanning.
    static constexpr std::size_t max_text_bytes = 256;

private:
    // The value in nano units (10^-9), exact: every accepted quantity is a multiple of 1n and
    // lies in int64 base units, so |nanos_| <= 2^63 * 10^9 < 2^93 and sums of two never overflow.
    __extension__ typedef __int128 nano_count;

    quantity(nano_count nanos, format f) : nanos_(nanos), format_(f) {}

    nano_count nanos_ = 0;
    format format_ = format::decimal_si;
};

}  // namespace propagation
