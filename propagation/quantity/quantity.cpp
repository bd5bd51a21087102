#include "propagation/quantity/quantity.hpp"

#include <array>
#include <limits>
#include <optional>
#include <ostream>
#include <utility>

namespace propagation {

namespace {

__extension__ typedef __int128 i128;

constexpr i128 nanos_per_unit = 1'000'000'000;
constexpr i128 int64_max = std::numeric_limits<std::int64_t>::max();
// Every quantity lies in [-2^63, 2^63-1] base units, in nano units:
constexpr i128 max_nanos = int64_max * nanos_per_unit;
constexpr i128 min_nanos = -(int64_max + 1) * nanos_per_unit;
// 10^30 > 2^93 > max_nanos: a digit string longer than this cannot be in range.
constexpr std::int64_t max_nano_digits = 30;

// Kubernetes' own error texts (resource.ErrFormatWrong, ErrNumeric, ErrSuffix), so a client
// sees what the API server would say for the same input.
constexpr const char* format_wrong =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr const char* numeric_wrong = "unable to parse numeric part of quantity";
constexpr const char* suffix_wrong = "unable to parse quantity's suffix";
constexpr const char* out_of_range =
    "quantity is too large: it must lie between -9223372036854775808 and "
    "9223372036854775807 base units";

error quantity_error(std::string message) {
    return invalid_error({field_error{"", std::move(message), "FieldValueInvalid"}});
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_suffix_letter(char c) {
    switch (c) {
    case 'e': case 'E': case 'i': case 'n': case 'u': case 'm':
    case 'k': case 'K': case 'M': case 'G': case 'T': case 'P':
        return true;
    default:
        return false;
    }
}

struct suffix_meaning {
    int base = 10;               // 10 or 2
    std::int64_t exponent = 0;   // power of `base`
    quantity::format fmt = quantity::format::decimal_si;
};

struct suffix_entry {
    std::string_view text;
    int base;
    int exponent;
};

constexpr std::array<suffix_entry, 16> suffix_table{{
    {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0}, {"k", 10, 3}, {"M", 10, 6},
    {"G", 10, 9}, {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
    {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
}};

/// strconv.ParseInt(s, 10, 64) restricted further to the int32 range: Kubernetes narrows the
/// exponent to int32 with wrap-around, we reject what would wrap.
std::optional<std::int64_t> parse_exponent(std::string_view s) {
    bool negative = false;
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        ++i;
    }
    if (i == s.size()) {
        return std::nullopt;
    }
    constexpr std::int64_t limit = std::numeric_limits<std::int32_t>::max();
    std::int64_t value = 0;
    for (; i < s.size(); ++i) {
        if (!is_digit(s[i])) {
            return std::nullopt;
        }
        value = value * 10 + (s[i] - '0');
        if (value > limit + 1) {
            return std::nullopt;
        }
    }
    if (negative) {
        value = -value;
    }
    if (value > limit || value < -limit - 1) {
        return std::nullopt;
    }
    return value;
}

std::optional<suffix_meaning> interpret_suffix(std::string_view s) {
    for (const auto& e : suffix_table) {
        if (e.text == s) {
            return suffix_meaning{e.base, e.exponent,
                                  e.base == 2 ? quantity::format::binary_si
                                              : quantity::format::decimal_si};
        }
    }
    if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
        if (auto exp = parse_exponent(s.substr(1))) {
            return suffix_meaning{10, *exp, quantity::format::decimal_exponent};
        }
    }
    return std::nullopt;
}

/// Doubles a big-endian decimal digit string in place (for binary suffixes, 2^k).
void double_digits(std::string& digits) {
    int carry = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        int d = (*it - '0') * 2 + carry;
        *it = static_cast<char>('0' + d % 10);
        carry = d / 10;
    }
    if (carry != 0) {
        digits.insert(digits.begin(), static_cast<char>('0' + carry));
    }
}

i128 digits_value(std::string_view digits) {
    i128 v = 0;
    for (char c : digits) {
        v = v * 10 + (c - '0');
    }
    return v;
}

i128 pow10(std::int64_t n) {
    i128 v = 1;
    for (std::int64_t i = 0; i < n; ++i) {
        v *= 10;
    }
    return v;
}

std::string i128_to_string(i128 v) {
    if (v == 0) {
        return "0";
    }
    const bool negative = v < 0;
    // Work on the negative side: it holds every value the positive side does.
    i128 n = negative ? v : -v;
    std::string out;
    while (n != 0) {
        out.insert(out.begin(), static_cast<char>('0' - static_cast<int>(n % 10)));
        n /= 10;
    }
    if (negative) {
        out.insert(out.begin(), '-');
    }
    return out;
}

std::string_view decimal_si_suffix(std::int64_t exponent) {
    switch (exponent) {
    case -9: return "n";
    case -6: return "u";
    case -3: return "m";
    case 0: return "";
    case 3: return "k";
    case 6: return "M";
    case 9: return "G";
    case 12: return "T";
    case 15: return "P";
    case 18: return "E";
    default: return "?";
    }
}

/// Rounds nano units to `unit` nanos away from zero, as Kubernetes' ScaledValue does for the
/// int64 representation.
i128 round_away(i128 nanos, i128 unit) {
    i128 q = nanos / unit;
    if (nanos % unit != 0) {
        q += nanos > 0 ? 1 : -1;
    }
    return q;
}

}  // namespace

result<quantity> quantity::parse(std::string_view text) {
    if (text.empty()) {
        return quantity_error(format_wrong);
    }
    if (text.size() > max_text_bytes) {
        return quantity_error("quantity is too long: at most " + std::to_string(max_text_bytes) +
                              " characters");
    }
    // Scan exactly as ParseQuantity's scanner: sign, integer digits, optional fraction, then
    // suffix letters, an optional sign and digits, and nothing else.
    const std::size_t n = text.size();
    std::size_t pos = 0;
    bool negative = false;
    if (text[0] == '-' || text[0] == '+') {
        negative = text[0] == '-';
        ++pos;
    }
    const std::size_t int_begin = pos;
    while (pos < n && is_digit(text[pos])) {
        ++pos;
    }
    const std::string_view int_digits = text.substr(int_begin, pos - int_begin);
    std::string_view frac_digits;
    if (pos < n && text[pos] == '.') {
        ++pos;
        const std::size_t frac_begin = pos;
        while (pos < n && is_digit(text[pos])) {
            ++pos;
        }
        frac_digits = text.substr(frac_begin, pos - frac_begin);
    }
    const std::size_t suffix_begin = pos;
    while (pos < n && is_suffix_letter(text[pos])) {
        ++pos;
    }
    if (pos < n && (text[pos] == '+' || text[pos] == '-')) {
        ++pos;
    }
    while (pos < n && is_digit(text[pos])) {
        ++pos;
    }
    if (pos != n) {
        return quantity_error(format_wrong);
    }
    if (int_digits.empty() && frac_digits.empty()) {
        return quantity_error(numeric_wrong);
    }
    const auto meaning = interpret_suffix(text.substr(suffix_begin));
    if (!meaning) {
        return quantity_error(suffix_wrong);
    }

    // value = digits × 10^exp10 (× 2^exponent for binary suffixes), exactly.
    std::string digits;
    digits.reserve(int_digits.size() + frac_digits.size() + 20);
    digits.append(int_digits).append(frac_digits);
    const auto first_nonzero = digits.find_first_not_of('0');
    if (first_nonzero == std::string::npos) {
        return quantity(0, meaning->fmt);
    }
    digits.erase(0, first_nonzero);
    std::int64_t exp10 = -static_cast<std::int64_t>(frac_digits.size());
    if (meaning->base == 10) {
        exp10 += meaning->exponent;
    } else {
        for (std::int64_t i = 0; i < meaning->exponent; ++i) {
            double_digits(digits);
        }
    }
    while (digits.back() == '0') {
        digits.pop_back();
        ++exp10;
    }

    // Into nano units; a non-zero remainder finer than 1n rounds away from zero, as Kubernetes
    // rounds "so that if you want some resources, you get some".
    const auto length = static_cast<std::int64_t>(digits.size());
    const std::int64_t shift = exp10 + 9;
    i128 nanos = 0;
    if (shift >= 0) {
        if (length + shift > max_nano_digits) {
            return quantity_error(out_of_range);
        }
        nanos = digits_value(digits) * pow10(shift);
    } else if (-shift >= length) {
        nanos = 1;
    } else {
        const std::int64_t kept = length + shift;
        if (kept > max_nano_digits) {
            return quantity_error(out_of_range);
        }
        // The dropped digits end in a non-zero digit (trailing zeros were stripped).
        nanos = digits_value(std::string_view(digits).substr(0, kept)) + 1;
    }
    if (negative) {
        nanos = -nanos;
    }
    if (nanos > max_nanos || nanos < min_nanos) {
        return quantity_error(out_of_range);
    }
    format f = meaning->fmt;
    if (f == format::binary_si && nanos > -nanos_per_unit && nanos < nanos_per_unit) {
        f = format::decimal_si;  // as Kubernetes: a binary fraction of one prints as decimal
    }
    return quantity(nanos, f);
}

quantity quantity::from_int(std::int64_t value, format f) {
    return quantity(static_cast<i128>(value) * nanos_per_unit, f);
}

quantity quantity::from_milli(std::int64_t milli, format f) {
    return quantity(static_cast<i128>(milli) * 1'000'000, f);
}

std::int64_t quantity::value() const {
    // In range by construction: |nanos_| <= 2^63 × 10^9 and rounding stays within it.
    return static_cast<std::int64_t>(round_away(nanos_, nanos_per_unit));
}

std::int64_t quantity::milli_value() const {
    const i128 milli = round_away(nanos_, 1'000'000);
    if (milli > int64_max) {
        return std::numeric_limits<std::int64_t>::max();
    }
    if (milli < -int64_max - 1) {
        return std::numeric_limits<std::int64_t>::min();
    }
    return static_cast<std::int64_t>(milli);
}

bool quantity::is_zero() const { return nanos_ == 0; }

int quantity::sign() const { return nanos_ > 0 ? 1 : (nanos_ < 0 ? -1 : 0); }

std::string quantity::to_string() const {
    if (nanos_ == 0) {
        return "0";
    }
    format f = format_;
    if (f == format::binary_si) {
        // Kubernetes prints small or fractional binary quantities in decimal SI rather than
        // rounding them.
        const i128 magnitude = nanos_ < 0 ? -nanos_ : nanos_;
        if (magnitude < 1024 * nanos_per_unit || nanos_ % nanos_per_unit != 0) {
            f = format::decimal_si;
        }
    }
    if (f == format::binary_si) {
        i128 units = nanos_ / nanos_per_unit;
        std::size_t power = 0;
        static constexpr std::array<std::string_view, 7> binary_suffixes{
            "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        while (units % 1024 == 0 && power + 1 < binary_suffixes.size()) {
            units /= 1024;
            ++power;
        }
        return i128_to_string(units).append(binary_suffixes[power]);
    }
    // Decimal: strip every factor of ten, then lower the exponent to a multiple of three.
    i128 mantissa = nanos_;
    std::int64_t exponent = -9;
    while (mantissa % 10 == 0) {
        mantissa /= 10;
        ++exponent;
    }
    while (((exponent % 3) + 3) % 3 != 0) {
        mantissa *= 10;
        --exponent;
    }
    std::string out = i128_to_string(mantissa);
    if (f == format::decimal_si && exponent >= -9 && exponent <= 18) {
        out.append(decimal_si_suffix(exponent));
    } else if (exponent != 0) {
        // Decimal exponent, also the fallback beyond "E" as Kubernetes does.
        out.append("e").append(std::to_string(exponent));
    }
    return out;
}

int compare(const quantity& a, const quantity& b) {
    return a.nanos_ < b.nanos_ ? -1 : (a.nanos_ > b.nanos_ ? 1 : 0);
}

result<quantity> quantity::add(const quantity& a, const quantity& b) {
    const i128 sum = a.nanos_ + b.nanos_;
    if (sum > max_nanos || sum < min_nanos) {
        return quantity_error(out_of_range);
    }
    return quantity(sum, a.is_zero() ? b.format_ : a.format_);
}

result<quantity> quantity::sub(const quantity& a, const quantity& b) {
    const i128 difference = a.nanos_ - b.nanos_;
    if (difference > max_nanos || difference < min_nanos) {
        return quantity_error(out_of_range);
    }
    return quantity(difference, a.is_zero() ? b.format_ : a.format_);
}

std::ostream& operator<<(std::ostream& os, const quantity& q) { return os << q.to_string(); }

}  // namespace propagation
