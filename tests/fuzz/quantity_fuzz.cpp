// libFuzzer target: quantity::parse on arbitrary bytes. Accepted quantities must print a
// canonical form that parses back to the same value and prints itself; rounding and sums must
// stay exact and in range (UBSan flags any overflow).
#include "propagation/quantity/quantity.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using propagation::quantity;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto q = quantity::parse(text);
    if (!q) {
        if (q.error().causes.size() != 1) {
            __builtin_trap();
        }
        return 0;
    }
    const std::string canonical = q->to_string();
    auto again = quantity::parse(canonical);
    if (!again || !(*again == *q) || again->to_string() != canonical) {
        __builtin_trap();
    }

    // value() rounds away from zero: |value| is the smallest whole number not below |q|.
    const std::int64_t v = q->value();
    const int above = compare(quantity::from_int(v), *q);
    if ((q->sign() > 0 && above < 0) || (q->sign() < 0 && above > 0) ||
        (q->sign() == 0 && v != 0)) {
        __builtin_trap();
    }
    (void)q->milli_value();

    auto twice = quantity::add(*q, *q);
    if (twice && compare(*twice, *q) != q->sign()) {
        __builtin_trap();
    }
    auto zero = quantity::sub(*q, *q);
    if (!zero || !zero->is_zero() || zero->to_string() != "0") {
        __builtin_trap();
    }
    return 0;
}
