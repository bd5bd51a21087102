#include "proxy/list_splice.hpp"

#include "proxy/merge_page.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace proxy {

namespace {

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
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

/// A validating one-pass JSON scanner over a text. Each function starts at the first byte of
/// what it reads (after whitespace) and leaves `p_` just past it.
class scanner {
public:
    scanner(std::string_view text, const scan_options& options)
        : t_(text), n_(text.size()), options_(options)
    {
    }

    std::optional<scanned_list> run(scan_error& error, std::string& message)
    {
        scanned_list out;
        bool list_shaped = false;
        ws();
        if (p_ < n_ && t_[p_] == '{') {
            list_shaped = true;
            bool has_items = false;
            const bool ok = members(1, [&](std::string_view key, bool escaped) {
                if (escaped) {
                    return value(1);
                }
                if (key == "items") {
                    // A repeated key: the last one wins, as in nlohmann's and Go's decoders.
                    out.items.clear();
                    out.sorted = true;
                    if (p_ < n_ && t_[p_] == '[') {
                        has_items = true;
                        return items(out);
                    }
                    if (p_ < n_ && t_[p_] == 'n') {
                        has_items = true;
                        return literal("null");
                    }
                    has_items = false;
                    return value(1);
                }
                if (key == "metadata" && p_ < n_ && t_[p_] == '{') {
                    return members(2, [&](std::string_view k, bool esc) {
                        if (!esc && k == "continue" && p_ < n_ && t_[p_] == '"') {
                            std::string_view raw;
                            bool e = false;
                            if (!string(raw, e)) {
                                return false;
                            }
                            out.continue_token = e ? unescape(raw) : std::string(raw);
                            return true;
                        }
                        return value(2);
                    });
                }
                return value(1);
            });
            if (!ok) {
                error = too_many_ ? scan_error::too_many_items : scan_error::invalid_json;
                message = too_many_ ? "more than " + std::to_string(options_.max_items) + " items"
                                    : why_;
                return std::nullopt;
            }
            list_shaped = has_items;
        } else if (!value(0)) {
            error = scan_error::invalid_json;
            message = why_;
            return std::nullopt;
        }
        ws();
        if (p_ != n_) {
            error = scan_error::invalid_json;
            message = "unexpected text after the JSON value at byte " + std::to_string(p_);
            return std::nullopt;
        }
        if (!list_shaped) {
            error = scan_error::not_a_list;
            message = "the answer is not a list";
            return std::nullopt;
        }
        for (std::size_t i = 1; i < out.items.size() && out.sorted; ++i) {
            const auto& a = out.items[i - 1];
            const auto& b = out.items[i];
            out.sorted = std::tie(a.ns, a.name) <= std::tie(b.ns, b.name);
        }
        error = scan_error::none;
        return out;
    }

private:
    bool fail(const char* why)
    {
        if (why_.empty()) {
            why_ = std::string(why) + " at byte " + std::to_string(p_);
        }
        return false;
    }

    /// After an element of an object or array closed by `close`: consumes ',' (`done` false)
    /// or `close` (`done` true); anything else is a failure.
    bool after_element(char close, bool& done)
    {
        ws();
        if (p_ < n_ && (t_[p_] == ',' || t_[p_] == close)) {
            done = t_[p_++] == close;
            return true;
        }
        return fail(close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }

    void ws()
    {
        while (p_ < n_ && is_ws(t_[p_])) {
            ++p_;
        }
    }

    bool literal(std::string_view word)
    {
        if (t_.substr(p_, word.size()) != word) {
            return fail("invalid literal");
        }
        p_ += word.size();
        return true;
    }

    bool number()
    {
        if (t_[p_] == '-') {
            ++p_;
        }
        if (p_ >= n_ || !is_digit(t_[p_])) {
            return fail("invalid number");
        }
        if (t_[p_] == '0') {
            ++p_;
        } else {
            while (p_ < n_ && is_digit(t_[p_])) {
                ++p_;
            }
        }
        if (p_ < n_ && t_[p_] == '.') {
            ++p_;
            if (p_ >= n_ || !is_digit(t_[p_])) {
                return fail("invalid number");
            }
            while (p_ < n_ && is_digit(t_[p_])) {
                ++p_;
            }
        }
        if (p_ < n_ && (t_[p_] == 'e' || t_[p_] == 'E')) {
            ++p_;
            if (p_ < n_ && (t_[p_] == '+' || t_[p_] == '-')) {
                ++p_;
            }
            if (p_ >= n_ || !is_digit(t_[p_])) {
                return fail("invalid number");
            }
            while (p_ < n_ && is_digit(t_[p_])) {
                ++p_;
            }
        }
        return true;
    }

    /// Four hex digits at p_ (after "\u"); their value or -1.
    int hex4()
    {
        if (n_ - p_ < 4) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < 4; ++i) {
            const int h = hex_value(t_[p_ + static_cast<std::size_t>(i)]);
            if (h < 0) {
                return -1;
            }
            v = v * 16 + h;
        }
        p_ += 4;
        return v;
    }

    /// A UTF-8 sequence starting with a byte ≥ 0x80 (RFC 3629 table 4).
    bool utf8()
    {
        const auto b = [&](std::size_t i) { return static_cast<unsigned char>(t_[p_ + i]); };
        const unsigned char c = b(0);
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
            return fail("invalid UTF-8");
        }
        if (n_ - p_ < len || b(1) < lo || b(1) > hi) {
            return fail("invalid UTF-8");
        }
        for (std::size_t i = 2; i < len; ++i) {
            if (b(i) < 0x80 || b(i) > 0xBF) {
                return fail("invalid UTF-8");
            }
        }
        p_ += len;
        return true;
    }

    /// A string at p_ (the opening quote); `raw` is its content between the quotes.
    bool string(std::string_view& raw, bool& escaped)
    {
        ++p_;
        const std::size_t start = p_;
        escaped = false;
        for (;;) {
            // Plain ASCII runs are the common case: skip them eight bytes at a time (a word
            // with no quote, backslash, control or non-ASCII byte), then byte by byte.
            constexpr std::uint64_t ones = 0x0101010101010101ull;
            constexpr std::uint64_t highs = 0x8080808080808080ull;
            while (n_ - p_ >= 8) {
                std::uint64_t v = 0;
                std::memcpy(&v, t_.data() + p_, 8);
                const std::uint64_t quote = v ^ (ones * '"');
                const std::uint64_t slash = v ^ (ones * '\\');
                // (x - ones) & ~x & highs is non-zero when some byte of x is zero; false hits
                // only make us look closer, byte by byte.
                const std::uint64_t special = ((quote - ones) & ~quote) |
                                              ((slash - ones) & ~slash) |
                                              ((v - ones * 0x20) & ~v) | v;
                if ((special & highs) != 0) {
                    break;
                }
                p_ += 8;
            }
            while (p_ < n_) {
                const auto c = static_cast<unsigned char>(t_[p_]);
                if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
                    break;
                }
                ++p_;
            }
            if (p_ >= n_) {
                return fail("unterminated string");
            }
            const auto c = static_cast<unsigned char>(t_[p_]);
            if (c == '"') {
                raw = t_.substr(start, p_ - start);
                ++p_;
                return true;
            }
            if (c < 0x20) {
                return fail("control character in a string");
            }
            if (c >= 0x80) {
                if (!utf8()) {
                    return false;
                }
                continue;
            }
            // A backslash escape.
            escaped = true;
            ++p_;
            if (p_ >= n_) {
                return fail("unterminated string");
            }
            const char e = t_[p_++];
            if (e == 'u') {
                const int v = hex4();
                if (v < 0) {
                    return fail("invalid \\u escape");
                }
                if (v >= 0xDC00 && v <= 0xDFFF) {
                    return fail("unpaired surrogate");
                }
                if (v >= 0xD800 && v <= 0xDBFF) {
                    if (n_ - p_ < 2 || t_[p_] != '\\' || t_[p_ + 1] != 'u') {
                        return fail("unpaired surrogate");
                    }
                    p_ += 2;
                    const int low = hex4();
                    if (low < 0xDC00 || low > 0xDFFF) {
                        return fail("unpaired surrogate");
                    }
                }
            } else if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') {
                return fail("invalid escape");
            }
        }
    }

    /// An object at p_; `on_member(key, key_escaped)` is called with p_ at the member's value
    /// (whitespace skipped) and must read it.
    template <class F>
    bool members(std::size_t depth, F&& on_member, bool* empty = nullptr)
    {
        if (depth > options_.max_depth) {
            return fail("nesting too deep");
        }
        ++p_;
        ws();
        if (p_ < n_ && t_[p_] == '}') {
            ++p_;
            if (empty != nullptr) {
                *empty = true;
            }
            return true;
        }
        if (empty != nullptr) {
            *empty = false;
        }
        for (;;) {
            ws();
            if (p_ >= n_ || t_[p_] != '"') {
                return fail("expected a member name");
            }
            std::string_view key;
            bool escaped = false;
            if (!string(key, escaped)) {
                return false;
            }
            ws();
            if (p_ >= n_ || t_[p_] != ':') {
                return fail("expected ':'");
            }
            ++p_;
            ws();
            if (p_ >= n_) {
                return fail("unexpected end");
            }
            if (!on_member(key, escaped)) {
                return false;
            }
            bool done = false;
            if (!after_element('}', done)) {
                return false;
            }
            if (done) {
                return true;
            }
        }
    }

    /// Any value at p_ (whitespace allowed before it).
    bool value(std::size_t depth)
    {
        ws();
        if (p_ >= n_) {
            return fail("unexpected end");
        }
        switch (t_[p_]) {
        case '{':
            return members(depth + 1, [&](std::string_view, bool) { return value(depth + 1); });
        case '[': {
            if (depth + 1 > options_.max_depth) {
                return fail("nesting too deep");
            }
            ++p_;
            ws();
            if (p_ < n_ && t_[p_] == ']') {
                ++p_;
                return true;
            }
            for (;;) {
                bool done = false;
                if (!value(depth + 1) || !after_element(']', done)) {
                    return false;
                }
                if (done) {
                    return true;
                }
            }
        }
        case '"': {
            std::string_view raw;
            bool escaped = false;
            return string(raw, escaped);
        }
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            if (t_[p_] == '-' || is_digit(t_[p_])) {
                return number();
            }
            return fail("unexpected character");
        }
    }

    /// The `items` array at p_.
    bool items(scanned_list& out)
    {
        ++p_;
        ws();
        if (p_ < n_ && t_[p_] == ']') {
            ++p_;
            return true;
        }
        for (;;) {
            ws();
            list_item it;
            if (!item(it)) {
                return false;
            }
            out.items.push_back(std::move(it));
            if (out.items.size() > options_.max_items) {
                too_many_ = true;
                return false;
            }
            bool done = false;
            if (!after_element(']', done)) {
                return false;
            }
            if (done) {
                return true;
            }
        }
    }

    /// A string value into `into`, or marks the item for rebuilding when it has escapes; a
    /// non-string value leaves `into` empty (as sort_key does).
    bool key_field(list_item& it, std::string& into, bool& seen)
    {
        if (seen) {
            it.kind = splice_kind::rebuild;  // repeated key: let the DOM decide which wins
        }
        seen = true;
        if (t_[p_] != '"') {
            into.clear();
            return value(4);
        }
        std::string_view raw;
        bool escaped = false;
        if (!string(raw, escaped)) {
            return false;
        }
        if (escaped) {
            it.kind = splice_kind::rebuild;
        }
        into.assign(raw);
        return true;
    }

    bool item(list_item& it)
    {
        it.begin = p_;
        if (p_ >= n_ || t_[p_] != '{') {
            it.kind = splice_kind::verbatim;
            if (!value(2)) {
                return false;
            }
            it.end = p_;
            return true;
        }
        it.kind = splice_kind::metadata;
        it.insert_at = p_ + 1;
        bool seen_metadata = false;
        bool item_empty = false;
        const bool ok = members(
            3,
            [&](std::string_view key, bool escaped) {
                if (escaped || (key == "metadata" && seen_metadata)) {
                    it.kind = splice_kind::rebuild;
                    return value(3);
                }
                if (key != "metadata") {
                    return value(3);
                }
                seen_metadata = true;
                if (t_[p_] != '{') {
                    it.kind = splice_kind::rebuild;
                    return value(3);
                }
                return metadata(it);
            },
            &item_empty);
        if (!ok) {
            return false;
        }
        it.end = p_;
        if (it.kind == splice_kind::metadata) {
            it.target_empty = item_empty;
        }
        if (it.kind == splice_kind::rebuild) {
            auto dom = nlohmann::json::parse(t_.substr(it.begin, it.end - it.begin), nullptr,
                                             false);
            auto key = sort_key(dom);
            it.ns = std::move(key.first);
            it.name = std::move(key.second);
        }
        return true;
    }

    bool metadata(list_item& it)
    {
        if (it.kind != splice_kind::rebuild) {
            it.kind = splice_kind::annotations;
            it.insert_at = p_ + 1;
        }
        bool seen_ns = false;
        bool seen_name = false;
        bool seen_annotations = false;
        bool meta_empty = false;
        const bool ok = members(
            4,
            [&](std::string_view key, bool escaped) {
                if (escaped) {
                    it.kind = splice_kind::rebuild;
                    return value(4);
                }
                if (key == "namespace") {
                    return key_field(it, it.ns, seen_ns);
                }
                if (key == "name") {
                    return key_field(it, it.name, seen_name);
                }
                if (key != "annotations") {
                    return value(4);
                }
                if (seen_annotations || t_[p_] != '{') {
                    it.kind = splice_kind::rebuild;
                    seen_annotations = true;
                    return value(4);
                }
                seen_annotations = true;
                if (it.kind != splice_kind::rebuild) {
                    it.kind = splice_kind::annotation;
                    it.insert_at = p_ + 1;
                }
                bool annotations_empty = false;
                const bool good = members(
                    5,
                    [&](std::string_view k, bool esc) {
                        if (esc || k == options_.marker_key) {
                            it.kind = splice_kind::rebuild;
                        }
                        return value(5);
                    },
                    &annotations_empty);
                if (it.kind == splice_kind::annotation) {
                    it.target_empty = annotations_empty;
                }
                return good;
            },
            &meta_empty);
        if (it.kind == splice_kind::annotations) {
            it.target_empty = meta_empty;
        }
        return ok;
    }

    std::string_view t_;
    std::size_t n_;
    std::size_t p_ = 0;
    const scan_options& options_;
    std::string why_;
    bool too_many_ = false;
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
