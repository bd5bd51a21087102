#include "proxy/merge_page.hpp"

#include <algorithm>
#include <array>

namespace proxy {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t max_token_bytes = 64u << 10;

std::string base64url(std::string_view in)
{
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const auto n = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                       (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (i < in.size()) {
        unsigned n = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
        if (i + 1 < in.size()) {
            n |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
        }
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        if (i + 1 < in.size()) {
            out += alphabet[(n >> 6) & 63];
        }
    }
    return out;
}

std::optional<std::string> unbase64url(std::string_view in)
{
    std::array<int, 256> value{};
    value.fill(-1);
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        value[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
    }
    if (in.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        const int v = value[static_cast<unsigned char>(c)];
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

std::string string_at(const nlohmann::json& object, const char* key)
{
    if (!object.is_object()) {
        return {};
    }
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

const member_position& page_cursor::position(const std::string& cluster) const
{
    static const member_position start{};
    auto it = members.find(cluster);
    return it == members.end() ? start : it->second;
}

std::string query_fingerprint(std::string_view kind, std::string_view ns,
                              std::string_view label_selector)
{
    std::string q;
    q.append(kind).append("|").append(ns).append("|").append(label_selector);
    return q;
}

std::string encode_cursor(const page_cursor& cursor)
{
    nlohmann::json members = nlohmann::json::object();
    for (const auto& [cluster, p] : cursor.members) {
        if (p.done) {
            members[cluster] = 0;
        } else {
            members[cluster] = nlohmann::json::array({p.continue_token, p.skip});
        }
    }
    nlohmann::json doc = nlohmann::json::object();
    doc["v"] = 1;
    doc["q"] = cursor.query;
    doc["m"] = std::move(members);
    return base64url(doc.dump());
}

std::optional<page_cursor> decode_cursor(std::string_view token, std::string_view expected_query,
                                         std::string& error)
{
    if (token.size() > max_token_bytes) {
        error = "continue: the token is too long";
        return std::nullopt;
    }
    auto text = unbase64url(token);
    if (!text) {
        error = "continue: not a token issued by this API";
        return std::nullopt;
    }
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object() || doc.value("v", 0) != 1 || !doc.contains("q") ||
        !doc["q"].is_string() || !doc.contains("m") || !doc["m"].is_object()) {
        error = "continue: not a token issued by this API";
        return std::nullopt;
    }
    page_cursor cursor;
    cursor.query = doc["q"].get<std::string>();
    if (cursor.query != expected_query) {
        error = "continue: the token belongs to another query (kind, namespace or labelSelector "
                "changed)";
        return std::nullopt;
    }
    for (const auto& [cluster, v] : doc["m"].items()) {
        member_position p;
        if (v.is_number_integer() && v.get<std::int64_t>() == 0) {
            p.done = true;
        } else if (v.is_array() && v.size() == 2 && v[0].is_string() &&
                   v[1].is_number_integer() && v[1].get<std::int64_t>() >= 0) {
            p.continue_token = v[0].get<std::string>();
            p.skip = v[1].get<std::int64_t>();
        } else {
            error = "continue: not a token issued by this API";
            return std::nullopt;
        }
        cursor.members.emplace(cluster, std::move(p));
    }
    return cursor;
}

std::pair<std::string, std::string> sort_key(const nlohmann::json& item)
{
    if (!item.is_object()) {
        return {};
    }
    auto meta = item.find("metadata");
    if (meta == item.end()) {
        return {};
    }
    return {string_at(*meta, "namespace"), string_at(*meta, "name")};
}

merged_page merge_pages(std::vector<member_page> answered, const std::vector<std::string>& failed,
                        const page_cursor& start, const merge_options& options)
{
    merged_page out;
    out.next = start;
    for (const auto& f : failed) {
        out.next.members[f].done = true;
    }
    std::sort(answered.begin(), answered.end(),
              [](const member_page& a, const member_page& b) { return a.cluster < b.cluster; });

    std::size_t emitted = 0;
    const bool paged = options.limit > 0;
    for (auto& page : answered) {
        const member_position from = start.position(page.cluster);
        std::vector<nlohmann::json> items;
        if (page.items.is_array()) {
            items.reserve(page.items.size());
            for (auto& item : page.items) {
                items.push_back(std::move(item));
            }
        }
        // Members list in key order already; sorting again makes the order ours, not theirs.
        std::stable_sort(items.begin(), items.end(),
                         [](const nlohmann::json& a, const nlohmann::json& b) {
                             return sort_key(a) < sort_key(b);
                         });
        const auto skip = static_cast<std::size_t>(std::min<std::int64_t>(
            from.skip, static_cast<std::int64_t>(items.size())));
        std::size_t read = skip;
        for (; read < items.size(); ++read) {
            if (paged && emitted >= options.limit) {
                break;
            }
            auto& item = items[read];
            if (options.keep && !options.keep(item)) {
                continue;
            }
            if (item.is_object()) {
                auto& meta = item["metadata"];
                if (!meta.is_object()) {
                    meta = nlohmann::json::object();
                }
                auto& annotations = meta["annotations"];
                if (!annotations.is_object()) {
                    annotations = nlohmann::json::object();
                }
                annotations[options.cluster_annotation] = page.cluster;
            }
            out.items.push_back(std::move(item));
            ++emitted;
        }
        member_position next;
        if (read >= items.size()) {
            next.done = page.next_continue.empty();
            next.continue_token = page.next_continue;
        } else {
            next.continue_token = from.continue_token;
            next.skip = static_cast<std::int64_t>(read);
        }
        out.next.members[page.cluster] = std::move(next);
    }
    for (const auto& [cluster, p] : out.next.members) {
        out.more = out.more || !p.done;
    }
    return out;
}

}  // namespace proxy
