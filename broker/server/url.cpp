#include "broker/server/url.hpp"

namespace broker::server {

namespace {

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

} // namespace

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space)
{
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) {
                return std::nullopt;
            }
            int hi = hex_value(in[i + 1]);
            int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string percent_encode(std::string_view in, bool keep_slash)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(in.size());
    for (char c : in) {
        auto u = static_cast<unsigned char>(c);
        bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                          (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' || u == '~' ||
                          (keep_slash && u == '/');
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(digits[u >> 4]);
            out.push_back(digits[u & 15]);
        }
    }
    return out;
}

std::optional<parsed_target> parse_target(std::string_view target)
{
    if (target.empty() || target.front() != '/') {
        return std::nullopt;
    }
    parsed_target out;
    auto q = target.find('?');
    std::string_view raw_path = target.substr(0, q);
    if (auto frag = raw_path.find('#'); frag != std::string_view::npos) {
        raw_path = raw_path.substr(0, frag);
    }
    std::string_view raw_query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    if (auto frag = raw_query.find('#'); frag != std::string_view::npos) {
        raw_query = raw_query.substr(0, frag);
    }

    // Split before decoding so that an encoded '/' stays inside its segment.
    std::size_t pos = 0;
    while (pos <= raw_path.size()) {
        auto next = raw_path.find('/', pos);
        if (next == std::string_view::npos) {
            next = raw_path.size();
        }
        auto seg = raw_path.substr(pos, next - pos);
        if (!seg.empty()) {
            auto decoded = percent_decode(seg, false);
            if (!decoded) {
                return std::nullopt;
            }
            out.segments.push_back(std::move(*decoded));
        }
        pos = next + 1;
    }
    auto decoded_path = percent_decode(raw_path, false);
    if (!decoded_path) {
        return std::nullopt;
    }
    out.path = decoded_path->empty() ? "/" : std::move(*decoded_path);

    pos = 0;
    while (pos < raw_query.size()) {
        auto next = raw_query.find('&', pos);
        if (next == std::string_view::npos) {
            next = raw_query.size();
        }
        auto pair = raw_query.substr(pos, next - pos);
        if (!pair.empty()) {
            auto eq = pair.find('=');
            auto name = percent_decode(pair.substr(0, eq), true);
            auto value = eq == std::string_view::npos ? std::optional<std::string>(std::string())
                                                      : percent_decode(pair.substr(eq + 1), true);
            if (!name || !value) {
                return std::nullopt;
            }
            out.query.items.emplace_back(std::move(*name), std::move(*value));
        }
        pos = next + 1;
    }
    return out;
}

std::vector<std::string> path_segments(std::string_view path)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        auto next = path.find('/', pos);
        if (next == std::string_view::npos) {
            next = path.size();
        }
        if (next > pos) {
            out.emplace_back(path.substr(pos, next - pos));
        }
        pos = next + 1;
    }
    return out;
}

} // namespace broker::server
