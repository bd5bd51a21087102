#include "proxy/list_splice.hpp"

#include "proxy/merge_page.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <tuple>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace proxy {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/// The value of a JSON string literal whose raw content (between the quotes) has escapes.
std::string unescape(std::string_view raw)
{
    std::string literal;
    literal.reserve(raw.size() + 2);
    literal.push_back('"');
    literal.append(raw);
    literal.push_back('"');
    auto v = nlohmann::json::parse(literal, nullptr, false);
    return v.is_string() ? v.get<std::string>() : std::string();
}

bool is_other(char c)
{
    switch (c) {
    case ' ': case '\n': case '\r': case '\t':
    case '{': case '}': case '[': case ']': case ':': case ',': case '"':
        return false;
    default:
        return true;
    }
}

// ---- Stage 1: what each byte of a 64-byte block is ----

/// Bit i of each mask says what byte i of a 64-byte block is.
struct block_classes {
    std::uint64_t quote = 0;
    std::uint64_t backslash = 0;
    std::uint64_t space = 0;    ///< JSON whitespace
    std::uint64_t op = 0;       ///< { } [ ] : ,
    std::uint64_t control = 0;  ///< below 0x20
    std::uint64_t high = 0;     ///< 0x80 and above
};

/// Classifies `blocks` blocks of 64 bytes starting at `b` into `out`.
using classify_fn = void (*)(const unsigned char* b, std::size_t blocks, block_classes* out);

void classify_portable(const unsigned char* b, std::size_t blocks, block_classes* out)
{
    for (std::size_t k = 0; k < blocks; ++k, b += 64) {
        block_classes c;
        for (unsigned i = 0; i < 64; ++i) {
            const std::uint64_t bit = std::uint64_t{1} << i;
            const unsigned char x = b[i];
            switch (x) {
            case '"': c.quote |= bit; break;
            case '\\': c.backslash |= bit; break;
            case ' ': case '\n': case '\r': case '\t': c.space |= bit; break;
            case '{': case '}': case '[': case ']': case ':': case ',': c.op |= bit; break;
            default: break;
            }
            c.control |= x < 0x20 ? bit : 0;
            c.high |= x >= 0x80 ? bit : 0;
        }
        out[k] = c;
    }
}

#if defined(__x86_64__)
// '[' | 0x20 is '{' and ']' | 0x20 is '}': two compares on the folded bytes find all four
// brackets. Bytes below 0x20 are those whose unsigned max with 0x1F is 0x1F.

void classify_sse2(const unsigned char* b, std::size_t blocks, block_classes* out)
{
    const auto bits = [](__m128i m) {
        return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(m)));
    };
    const auto eq = [](__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
    for (std::size_t k = 0; k < blocks; ++k, b += 64) {
        block_classes c;
        for (unsigned part = 0; part < 4; ++part) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * part));
            const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
            const __m128i op = _mm_or_si128(_mm_or_si128(eq(folded, '{'), eq(folded, '}')),
                                            _mm_or_si128(eq(v, ':'), eq(v, ',')));
            const __m128i space = _mm_or_si128(_mm_or_si128(eq(v, ' '), eq(v, '\n')),
                                               _mm_or_si128(eq(v, '\r'), eq(v, '\t')));
            const __m128i control = eq(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), 0x1F);
            const unsigned shift = 16 * part;
            c.quote |= bits(eq(v, '"')) << shift;
            c.backslash |= bits(eq(v, '\\')) << shift;
            c.space |= bits(space) << shift;
            c.op |= bits(op) << shift;
            c.control |= bits(control) << shift;
            c.high |= bits(v) << shift;
        }
        out[k] = c;
    }
}

#define BROKER_AVX2 __attribute__((target("avx2"), always_inline)) inline
BROKER_AVX2 std::uint64_t avx2_bits(__m256i m)
{
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(m)));
}
BROKER_AVX2 __m256i avx2_eq(__m256i v, char c)
{
    return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c));
}
#undef BROKER_AVX2

__attribute__((target("avx2"))) void classify_avx2(const unsigned char* b, std::size_t blocks,
                                                   block_classes* out)
{
    const auto& bits = avx2_bits;
    const auto& eq = avx2_eq;
    for (std::size_t k = 0; k < blocks; ++k, b += 64) {
        block_classes c;
        for (unsigned part = 0; part < 2; ++part) {
            const __m256i v =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32 * part));
            const __m256i folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
            const __m256i op =
                _mm256_or_si256(_mm256_or_si256(eq(folded, '{'), eq(folded, '}')),
                                _mm256_or_si256(eq(v, ':'), eq(v, ',')));
            const __m256i space = _mm256_or_si256(_mm256_or_si256(eq(v, ' '), eq(v, '\n')),
                                                  _mm256_or_si256(eq(v, '\r'), eq(v, '\t')));
            const __m256i control = eq(_mm256_max_epu8(v, _mm256_set1_epi8(0x1F)), 0x1F);
            const unsigned shift = 32 * part;
            c.quote |= bits(eq(v, '"')) << shift;
            c.backslash |= bits(eq(v, '\\')) << shift;
            c.space |= bits(space) << shift;
            c.op |= bits(op) << shift;
            c.control |= bits(control) << shift;
            c.high |= bits(v) << shift;
        }
        out[k] = c;
    }
}

__attribute__((target("avx512bw"), always_inline)) inline std::uint64_t avx512_eq(__m512i v,
                                                                                  char c)
{
    return _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c));
}

__attribute__((target("avx512bw"))) void classify_avx512(const unsigned char* b,
                                                         std::size_t blocks, block_classes* out)
{
    const auto& eq = avx512_eq;
    for (std::size_t k = 0; k < blocks; ++k, b += 64) {
        const __m512i v = _mm512_loadu_si512(b);
        const __m512i folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
        block_classes c;
        c.quote = eq(v, '"');
        c.backslash = eq(v, '\\');
        c.space = eq(v, ' ') | eq(v, '\n') | eq(v, '\r') | eq(v, '\t');
        c.op = eq(folded, '{') | eq(folded, '}') | eq(v, ':') | eq(v, ',');
        c.control = _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x20));
        c.high = _mm512_movepi8_mask(v);
        out[k] = c;
    }
}
#endif

/// The fastest classifier this CPU runs (chosen once).
classify_fn fastest_classifier()
{
#if defined(__x86_64__)
    static const classify_fn best = [] {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512bw")) {
            return &classify_avx512;
        }
        if (__builtin_cpu_supports("avx2")) {
            return &classify_avx2;
        }
        return &classify_sse2;
    }();
    return best;
#else
    return &classify_portable;
#endif
}

/// Bits set in `x`, without relying on a popcount instruction (x86-64's baseline has none).
unsigned bit_count(std::uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return static_cast<unsigned>((x * 0x0101010101010101ull) >> 56);
}

/// Bit i set when an odd number of bits 0..i of `x` are set.
std::uint64_t prefix_xor(std::uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/// A validating JSON scanner in two stages. Stage 1 classifies the text 64 bytes at a time
/// and keeps only the bytes that matter to the grammar outside strings: the six operators,
/// the opening quote of each string and the first byte of each number or literal. It checks
/// string contents as it goes (control characters, escapes; UTF-8 once at the end when any
/// byte is not ASCII). Stage 2 walks those positions with an explicit stack, so the bytes of
/// most strings are never looked at again: only the keys and values the splice needs (item
/// metadata, the list's `items` and `continue`) are read.
///
/// Why: the byte-at-a-time descent spent most of its time in short strings; member answers
/// are about a quarter strings' quotes and operators, three quarters string bytes.
class scanner {
public:
    scanner(std::string_view text, const scan_options& options)
        : t_(text), n_(text.size()), options_(options),
          classify_(options.simd ? fastest_classifier() : &classify_portable)
    {
#if defined(__x86_64__)
        bit_instructions_ = options.simd && __builtin_cpu_supports("popcnt") &&
                            __builtin_cpu_supports("bmi");
#endif
        stack_.reserve(16);
    }

    std::optional<scanned_list> run(scan_error& error, std::string& message)
    {
        const bool ok = walk();
        if (!ok) {
            error = too_many_ ? scan_error::too_many_items : scan_error::invalid_json;
            message = too_many_ ? "more than " + std::to_string(options_.max_items) + " items"
                                : why_;
            return std::nullopt;
        }
        if (!(root_is_object_ && has_items_)) {
            error = scan_error::not_a_list;
            message = "the answer is not a list";
            return std::nullopt;
        }
        auto& items = out_.items;
        for (std::size_t i = 1; i < items.size() && out_.sorted; ++i) {
            out_.sorted = std::tie(items[i - 1].ns, items[i - 1].name) <=
                          std::tie(items[i].ns, items[i].name);
        }
        error = scan_error::none;
        return std::move(out_);
    }

private:
    static constexpr std::size_t window_blocks = 64;  // 4 KiB of text per refill
    /// What an open object or array is to the splice.
    enum class role : std::uint8_t { other, root, root_metadata, items, item, item_metadata,
                                     annotations };
    /// What the value about to be read is to the splice.
    enum class slot : std::uint8_t { other, root_items, root_metadata, continue_token,
                                     item_metadata, ns, name, annotations };
    struct frame {
        role r = role::other;
        bool array = false;
        bool empty = true;
    };

    bool fail(const char* why, std::size_t at)
    {
        if (why_.empty()) {
            why_ = std::string(why) + " at byte " + std::to_string(at);
        }
        return false;
    }

    /// Stage 1 over the next window of the text into `tokens_`; false at the end of the text
    /// or on an error (then `why_` says which).
    bool refill()
    {
        const auto* bytes = reinterpret_cast<const unsigned char*>(t_.data());
        while (next_block_ < n_ && why_.empty()) {
            window_ = next_block_;
            const std::size_t blocks =
                std::min(window_blocks, (n_ - window_ + 63) / 64);
            const std::size_t whole = std::min(blocks, (n_ - window_) / 64);
            classify_(bytes + window_, whole, classes_);
            if (whole < blocks) {
                // The last partial block, padded with spaces (nothing to the grammar).
                unsigned char padded[64];
                std::memset(padded, ' ', sizeof padded);
                std::memcpy(padded, bytes + window_ + whole * 64, n_ - window_ - whole * 64);
                classify_(padded, 1, classes_ + whole);
            }
            count_ = 0;
#if defined(__x86_64__)
            const bool ok = bit_instructions_ ? index_window_bmi(blocks) : index_window<false>(blocks);
#else
            const bool ok = index_window<false>(blocks);
#endif
            if (!ok) {
                return false;
            }
            next_block_ = window_ + blocks * 64;
            if (count_ > 0) {
                return true;
            }
        }
        return false;
    }

    /// Stage 1 for the `blocks` classified blocks of the window: their positions into
    /// `tokens_`. `hw`: popcount and tzcnt are instructions here (see index_window_bmi).
    template <bool hw>
    __attribute__((always_inline)) bool index_window(std::size_t blocks)
    {
        for (std::size_t k = 0; k < blocks; ++k) {
            std::uint64_t found = 0;
            if (!index_block(window_ + k * 64, classes_[k], found)) {
                return false;
            }
            // Eight at a time, one branch per eight (countr_zero(0) is 64: the extra
            // entries written past the count are never read).
            const auto offset = static_cast<std::uint32_t>(k * 64);
            const unsigned n = hw ? static_cast<unsigned>(std::popcount(found)) : bit_count(found);
            std::uint32_t* out = tokens_ + count_;
            const auto one = [&](unsigned at) {
                out[at] = offset + static_cast<std::uint32_t>(std::countr_zero(found));
                found &= found - 1;
            };
            for (unsigned i = 0; i < n; i += 8) {
                one(i);
                one(i + 1);
                one(i + 2);
                one(i + 3);
                one(i + 4);
                one(i + 5);
                one(i + 6);
                one(i + 7);
            }
            count_ += n;
        }
        return true;
    }

#if defined(__x86_64__)
    /// index_window compiled with POPCNT and BMI (one instruction each for counting the
    /// positions and finding the next; x86-64's baseline has neither).
    __attribute__((target("popcnt,bmi"))) bool index_window_bmi(std::size_t blocks)
    {
        return index_window<true>(blocks);
    }
#endif

    bool unexpected_end() { return fail("unexpected end", n_); }

    /// Stage 2: the grammar over the positions stage 1 keeps. Each label is a state; only
    /// objects the splice cares about (role other than `other`) cost more than a look at
    /// one byte per position.
    bool walk()
    {
        // The window's cursor in locals, so that it stays in registers across the calls below.
        std::size_t window = 0;
        std::size_t count = 0;
        std::size_t taken = 0;
        const char* const t = t_.data();
        // The next grammar position into `p`; false at the end of the text or on an error.
        const auto next = [&](std::size_t& p) {
            if (taken == count) {
                if (!refill()) {
                    return false;
                }
                window = window_;
                count = count_;
                taken = 0;
            }
            p = window + tokens_[taken++];
            return true;
        };
        std::size_t p = 0;
        if (!next(p)) {
            return unexpected_end();
        }
    value:
        if (!value(p)) {
            return false;
        }
        switch (t[p]) {
        case '{':
            if (!next(p)) {
                return unexpected_end();
            }
            if (t[p] == '}') {
                goto close;
            }
            goto member;
        case '[':
            if (!next(p)) {
                return unexpected_end();
            }
            if (t[p] == ']') {
                goto close;
            }
            goto value;
        default:
            break;
        }
    after_value:
        if (stack_.empty()) {
            if (next(p)) {
                return fail("unexpected text after the JSON value", p);
            }
            if (!why_.empty()) {
                return false;
            }
            if (in_string_) {
                return fail("unterminated string", n_);
            }
            return !high_ || utf8_valid();
        }
        if (!next(p)) {
            return unexpected_end();
        }
        if (t[p] == ',') {
            if (!next(p)) {
                return unexpected_end();
            }
            if (stack_.back().array) {
                goto value;
            }
            goto member;
        }
        if (t[p] == (stack_.back().array ? ']' : '}')) {
            goto close;
        }
        return fail(stack_.back().array ? "expected ',' or ']'" : "expected ',' or '}'", p);
    member:
        if (t[p] != '"') {
            return fail("expected a member name", p);
        }
        stack_.back().empty = false;
        if (stack_.back().r != role::other && !key(p)) {
            return false;
        }
        if (!next(p)) {
            return unexpected_end();
        }
        if (t[p] != ':') {
            return fail("expected ':'", p);
        }
        if (!next(p)) {
            return unexpected_end();
        }
        goto value;
    close:
        if (!close(p)) {
            return false;
        }
        goto after_value;
    }

    /// Stage 1 for the block at `b`: sets `found` to the grammar's positions in it.
    __attribute__((always_inline)) bool index_block(std::size_t b, const block_classes& c,
                                                    std::uint64_t& found)
    {
        // Backslashes: each one not itself escaped escapes the byte after it.
        std::uint64_t pending = c.backslash;
        std::uint64_t escaped = 0;
        std::uint64_t escapers = 0;
        if (escape_next_) {
            escaped = 1;
            pending &= ~std::uint64_t{1};
            escape_next_ = false;
        }
        while (pending != 0) {
            const int i = std::countr_zero(pending);
            escapers |= std::uint64_t{1} << i;
            if (i == 63) {
                escape_next_ = true;
                break;
            }
            escaped |= std::uint64_t{2} << i;
            pending &= ~(std::uint64_t{3} << i);
        }
        const std::uint64_t quotes = c.quote & ~escaped;
        // Set from each opening quote up to (not including) its closing quote.
        const std::uint64_t inside = prefix_xor(quotes) ^ (in_string_ ? ~std::uint64_t{0} : 0);
        in_string_ = (inside >> 63) != 0;
        const std::uint64_t content = inside & ~quotes;
        const std::uint64_t outside = ~(inside | quotes);
        if (const std::uint64_t bad = c.control & content; bad != 0) {
            return fail("control character in a string", b + std::countr_zero(bad));
        }
        for (std::uint64_t e = escapers & content; e != 0; e &= e - 1) {
            if (!escape_valid(b + static_cast<std::size_t>(std::countr_zero(e)))) {
                return false;
            }
        }
        high_ = high_ || c.high != 0;
        // Numbers and literals: the first of each run of other bytes outside strings.
        const std::uint64_t other = outside & ~c.space & ~c.op;
        const std::uint64_t starts = other & ~((other << 1) | (other_before_ ? 1u : 0u));
        other_before_ = (other >> 63) != 0;
        found = (c.op & outside) | (quotes & inside) | starts;
        return true;
    }

    /// Four hex digits at `at`; their value or -1.
    int hex4(std::size_t at) const
    {
        if (at + 4 > n_) {
            return -1;
        }
        int v = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            const int h = hex_value(t_[at + i]);
            if (h < 0) {
                return -1;
            }
            v = v * 16 + h;
        }
        return v;
    }

    /// The escape whose backslash is at `at`, inside a string.
    bool escape_valid(std::size_t at)
    {
        if (at < surrogate_checked_until_) {
            return true;  // the low half of a pair already checked with its high half
        }
        if (at + 1 >= n_) {
            return fail("unterminated string", at);
        }
        const char e = t_[at + 1];
        if (e != 'u') {
            if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') {
                return fail("invalid escape", at);
            }
            return true;
        }
        const int v = hex4(at + 2);
        if (v < 0) {
            return fail("invalid \\u escape", at);
        }
        if (v >= 0xDC00 && v <= 0xDFFF) {
            return fail("unpaired surrogate", at);
        }
        if (v >= 0xD800 && v <= 0xDBFF) {
            if (at + 8 > n_ || t_[at + 6] != '\\' || t_[at + 7] != 'u') {
                return fail("unpaired surrogate", at);
            }
            const int low = hex4(at + 8);
            if (low < 0xDC00 || low > 0xDFFF) {
                return fail("unpaired surrogate", at);
            }
            surrogate_checked_until_ = at + 7;
        }
        return true;
    }

    /// The whole text as UTF-8 (RFC 3629 table 4); run once when any byte is not ASCII.
    bool utf8_valid()
    {
        const auto* b = reinterpret_cast<const unsigned char*>(t_.data());
        std::size_t p = 0;
        while (p < n_) {
            if (n_ - p >= 8) {
                std::uint64_t v = 0;
                std::memcpy(&v, b + p, 8);
                if ((v & 0x8080808080808080ull) == 0) {
                    p += 8;
                    continue;
                }
            }
            const unsigned char c = b[p];
            if (c < 0x80) {
                ++p;
                continue;
            }
            std::size_t len = 0;
            unsigned char lo = 0x80;
            unsigned char hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                len = 2;
            } else if (c >= 0xE0 && c <= 0xEF) {
                len = 3;
                lo = c == 0xE0 ? 0xA0 : 0x80;
                hi = c == 0xED ? 0x9F : 0xBF;
            } else if (c >= 0xF0 && c <= 0xF4) {
                len = 4;
                lo = c == 0xF0 ? 0x90 : 0x80;
                hi = c == 0xF4 ? 0x8F : 0xBF;
            } else {
                return fail("invalid UTF-8", p);
            }
            if (n_ - p < len || b[p + 1] < lo || b[p + 1] > hi) {
                return fail("invalid UTF-8", p);
            }
            for (std::size_t i = 2; i < len; ++i) {
                if (b[p + i] < 0x80 || b[p + i] > 0xBF) {
                    return fail("invalid UTF-8", p);
                }
            }
            p += len;
        }
        return true;
    }

    /// The closing quote of the string opening at `open` (npos when there is none).
    std::size_t string_end(std::size_t open) const
    {
        std::size_t from = open + 1;
        for (;;) {
            const void* hit = std::memchr(t_.data() + from, '"', n_ - from);
            if (hit == nullptr) {
                return std::string_view::npos;
            }
            const auto at = static_cast<std::size_t>(static_cast<const char*>(hit) - t_.data());
            std::size_t run = at;
            while (run > open + 1 && t_[run - 1] == '\\') {
                --run;
            }
            if (((at - run) & 1) == 0) {
                return at;
            }
            from = at + 1;
        }
    }

    /// The string opening at `open`: its raw content and whether it has escapes.
    bool read_string(std::size_t open, std::string_view& raw, bool& escaped, std::size_t& close)
    {
        close = string_end(open);
        if (close == std::string_view::npos) {
            return fail("unterminated string", open);
        }
        raw = t_.substr(open + 1, close - open - 1);
        escaped = std::memchr(raw.data(), '\\', raw.size()) != nullptr;
        return true;
    }

    /// The number at `p`; `end` just past it.
    bool number(std::size_t p, std::size_t& end)
    {
        const std::size_t start = p;
        if (t_[p] == '-') {
            ++p;
        }
        const auto digits = [&] {
            const std::size_t from = p;
            while (p < n_ && is_digit(t_[p])) {
                ++p;
            }
            return p > from;
        };
        if (p >= n_ || !is_digit(t_[p])) {
            return fail("invalid number", start);
        }
        if (t_[p] == '0') {
            ++p;
        } else {
            digits();
        }
        if (p < n_ && t_[p] == '.') {
            ++p;
            if (!digits()) {
                return fail("invalid number", start);
            }
        }
        if (p < n_ && (t_[p] == 'e' || t_[p] == 'E')) {
            ++p;
            if (p < n_ && (t_[p] == '+' || t_[p] == '-')) {
                ++p;
            }
            if (!digits()) {
                return fail("invalid number", start);
            }
        }
        end = p;
        return true;
    }

    /// The number or literal whose first byte is at `p`; `end` just past it.
    bool scalar(std::size_t p, std::size_t& end)
    {
        const auto word = [&](std::string_view w) {
            if (t_.substr(p, w.size()) != w) {
                return fail("invalid literal", p);
            }
            end = p + w.size();
            return true;
        };
        bool ok = false;
        switch (t_[p]) {
        case 't': ok = word("true"); break;
        case 'f': ok = word("false"); break;
        case 'n': ok = word("null"); break;
        default:
            if (t_[p] != '-' && !is_digit(t_[p])) {
                return fail("unexpected character", p);
            }
            ok = number(p, end);
        }
        if (ok && end < n_ && is_other(t_[end])) {
            return fail("unexpected character", end);
        }
        return ok;
    }

    bool push(role r, bool array, std::size_t p)
    {
        if (stack_.size() + 1 > options_.max_depth) {
            return fail("nesting too deep", p);
        }
        stack_.push_back(frame{r, array, true});
        return true;
    }

    void rebuild() { item_.kind = splice_kind::rebuild; }

    /// A member name at `p` (its opening quote) in an object the splice cares about: sets
    /// `pending_` to what its value is to the splice.
    bool key(std::size_t p)
    {
        const role r = stack_.back().r;
        pending_ = slot::other;
        std::string_view raw;
        bool escaped = false;
        std::size_t close = 0;
        if (!read_string(p, raw, escaped, close)) {
            return false;
        }
        switch (r) {
        case role::root:
            if (!escaped && raw == "items") {
                // A repeated key: the last one wins, as in nlohmann's and Go's decoders.
                out_.items.clear();
                pending_ = slot::root_items;
            } else if (!escaped && raw == "metadata") {
                pending_ = slot::root_metadata;
            }
            break;
        case role::root_metadata:
            if (!escaped && raw == "continue") {
                pending_ = slot::continue_token;
            }
            break;
        case role::item:
            if (escaped || (raw == "metadata" && seen_metadata_)) {
                rebuild();  // let the DOM decide which one wins
            } else if (raw == "metadata") {
                seen_metadata_ = true;
                pending_ = slot::item_metadata;
            }
            break;
        case role::item_metadata:
            if (escaped) {
                rebuild();
            } else if (raw == "namespace" || raw == "name") {
                bool& seen = raw == "name" ? seen_name_ : seen_ns_;
                if (seen) {
                    rebuild();
                }
                seen = true;
                pending_ = raw == "name" ? slot::name : slot::ns;
            } else if (raw == "annotations") {
                if (seen_annotations_) {
                    rebuild();
                } else {
                    pending_ = slot::annotations;
                }
                seen_annotations_ = true;
            }
            break;
        case role::annotations:
            if (escaped || raw == options_.marker_key) {
                rebuild();
            }
            break;
        case role::other:
        case role::items:
            break;
        }
        return true;
    }

    /// A value whose first byte is at `p`: opens its object or array (the walker goes on
    /// inside), or reads it whole and calls value_done.
    bool value(std::size_t p)
    {
        const char c = t_[p];
        if (stack_.empty()) {
            if (c == '{') {
                root_is_object_ = true;
                return push(role::root, false, p);
            }
        } else {
            frame& parent = stack_.back();
            parent.empty = false;
            if (parent.r == role::items) {
                item_ = list_item{};
                item_.begin = p;
                item_.kind = c == '{' ? splice_kind::metadata : splice_kind::verbatim;
                item_.insert_at = p + 1;
                seen_metadata_ = seen_ns_ = seen_name_ = seen_annotations_ = false;
                if (c == '{') {
                    return push(role::item, false, p);
                }
                if (c == '"') {
                    const std::size_t close = string_end(p);
                    if (close == std::string_view::npos) {
                        return fail("unterminated string", p);
                    }
                    return value_done(close + 1);
                }
            } else if (pending_ != slot::other) {
                return slot_value(p);
            }
        }
        return plain_value(p);
    }

    /// A value the splice does not look into.
    bool plain_value(std::size_t p)
    {
        switch (t_[p]) {
        case '{':
            return push(role::other, false, p);
        case '[':
            return push(role::other, true, p);
        case '"':
            // Its end is not needed: the next position is whatever follows the string.
            return value_done(p);
        case '}':
        case ']':
        case ':':
        case ',':
            return fail("unexpected character", p);
        default: {
            std::size_t end = 0;
            return scalar(p, end) && value_done(end);
        }
        }
    }

    /// A value the splice cares about (`pending_` says which), starting at `p`.
    bool slot_value(std::size_t p)
    {
        const slot s = pending_;
        pending_ = slot::other;
        const char c = t_[p];
        switch (s) {
        case slot::root_items:
            has_items_ = c == '[' || c == 'n';
            if (c == '[') {
                return push(role::items, true, p);
            }
            break;
        case slot::root_metadata:
            if (c == '{') {
                return push(role::root_metadata, false, p);
            }
            break;
        case slot::item_metadata:
        case slot::annotations:
            if (c != '{') {
                rebuild();
                break;
            }
            if (item_.kind != splice_kind::rebuild) {
                item_.kind = s == slot::item_metadata ? splice_kind::annotations
                                                      : splice_kind::annotation;
                item_.insert_at = p + 1;
            }
            return push(s == slot::item_metadata ? role::item_metadata : role::annotations,
                        false, p);
        case slot::continue_token:
        case slot::ns:
        case slot::name: {
            std::string& field = s == slot::ns ? item_.ns : item_.name;
            if (c != '"') {
                if (s != slot::continue_token) {
                    field.clear();
                }
                break;
            }
            std::string_view raw;
            bool escaped = false;
            std::size_t close = 0;
            if (!read_string(p, raw, escaped, close)) {
                return false;
            }
            if (s == slot::continue_token) {
                out_.continue_token = escaped ? unescape(raw) : std::string(raw);
            } else {
                if (escaped) {
                    rebuild();
                }
                field.assign(raw);
            }
            return value_done(close + 1);
        }
        case slot::other:
            break;
        }
        return plain_value(p);
    }

    /// A value inside the innermost open object or array ended before `end` (used only for
    /// an item: other string values pass their start).
    bool value_done(std::size_t end)
    {
        if (stack_.empty() || stack_.back().r != role::items) {
            return true;
        }
        item_.end = end;
        if (item_.kind == splice_kind::rebuild) {
            auto dom =
                nlohmann::json::parse(t_.substr(item_.begin, end - item_.begin), nullptr, false);
            auto key = sort_key(dom);
            item_.ns = std::move(key.first);
            item_.name = std::move(key.second);
        }
        out_.items.push_back(std::move(item_));
        if (out_.items.size() > options_.max_items) {
            too_many_ = true;
            return false;
        }
        return true;
    }

    /// The closing bracket at `p` of the innermost open object or array.
    bool close(std::size_t p)
    {
        const frame f = stack_.back();
        stack_.pop_back();
        switch (f.r) {
        case role::annotations:
            if (item_.kind == splice_kind::annotation) {
                item_.target_empty = f.empty;
            }
            break;
        case role::item_metadata:
            if (item_.kind == splice_kind::annotations) {
                item_.target_empty = f.empty;
            }
            break;
        case role::item:
            if (item_.kind == splice_kind::metadata) {
                item_.target_empty = f.empty;
            }
            break;
        default:
            break;
        }
        return value_done(p + 1);
    }

    std::string_view t_;
    std::size_t n_;
    const scan_options& options_;
    std::string why_;
    bool too_many_ = false;

    // Stage 1, carried from one block to the next.
    bool in_string_ = false;     // the block starts inside a string
    bool escape_next_ = false;   // its first byte is escaped
    bool other_before_ = false;  // the byte before it belongs to a number or literal
    bool high_ = false;          // some byte is not ASCII
    std::size_t surrogate_checked_until_ = 0;

    std::size_t next_block_ = 0;  // where the next window starts
    std::size_t window_ = 0;      // where the current one starts
    std::size_t count_ = 0;       // positions in it
    std::uint32_t tokens_[window_blocks * 64 + 8];  // offsets from window_ (+ 8: see refill)
    block_classes classes_[window_blocks];
    classify_fn classify_;
    bool bit_instructions_ = false;  // the CPU has POPCNT and BMI

    // Stage 2.
    slot pending_ = slot::other;
    std::vector<frame> stack_;
    bool root_is_object_ = false;
    bool has_items_ = false;
    list_item item_;
    bool seen_metadata_ = false;
    bool seen_ns_ = false;
    bool seen_name_ = false;
    bool seen_annotations_ = false;
    scanned_list out_;
};

}  // namespace

std::optional<scanned_list> scan_list(std::string_view text, const scan_options& options,
                                      scan_error& error, std::string& message)
{
    scanner s(text, options);
    return s.run(error, message);
}

std::string json_quote(std::string_view value)
{
    return nlohmann::json(std::string(value)).dump();
}

cluster_marker::cluster_marker(std::string k, std::string c)
    : key(std::move(k)), cluster(std::move(c)), key_json(json_quote(key)),
      cluster_json(json_quote(cluster))
{
}

void append_marked_item(std::string& out, std::string_view text, const list_item& item,
                        const cluster_marker& marker)
{
    const auto head = text.substr(item.begin, item.insert_at - item.begin);
    const auto tail = text.substr(item.insert_at, item.end - item.insert_at);
    const std::string_view comma = item.target_empty ? "" : ",";
    switch (item.kind) {
    case splice_kind::verbatim:
        out.append(text.substr(item.begin, item.end - item.begin));
        return;
    case splice_kind::annotation:
        out.append(head).append(marker.key_json).append(":").append(marker.cluster_json);
        out.append(comma).append(tail);
        return;
    case splice_kind::annotations:
        out.append(head).append("\"annotations\":{").append(marker.key_json).append(":");
        out.append(marker.cluster_json).append("}").append(comma).append(tail);
        return;
    case splice_kind::metadata:
        out.append(head).append("\"metadata\":{\"annotations\":{").append(marker.key_json);
        out.append(":").append(marker.cluster_json).append("}}").append(comma).append(tail);
        return;
    case splice_kind::rebuild:
        break;
    }
    auto dom = nlohmann::json::parse(text.substr(item.begin, item.end - item.begin), nullptr,
                                     false);
    if (dom.is_object()) {
        auto& meta = dom["metadata"];
        if (!meta.is_object()) {
            meta = nlohmann::json::object();
        }
        auto& annotations = meta["annotations"];
        if (!annotations.is_object()) {
            annotations = nlohmann::json::object();
        }
        annotations[marker.key] = marker.cluster;
    }
    out.append(dom.dump());
}

}  // namespace proxy
