#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <any>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace broker::server {

/// An ordered list of name/value pairs (query or path parameters); lookups are case-sensitive
/// and return the first match.
///
/// Thread safety: a plain value.
class param_list {
public:
    std::vector<std::pair<std::string, std::string>> items;

    [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
    [[nodiscard]] std::string value_or(std::string_view name, std::string_view fallback) const;
    [[nodiscard]] bool has(std::string_view name) const { return get(name).has_value(); }
    void set(std::string name, std::string value);
};

/// Request headers in arrival order; lookups ignore case (HTTP field names are case-insensitive).
///
/// Thread safety: a plain value.
class header_list {
public:
    std::vector<std::pair<std::string, std::string>> items;

    [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
    [[nodiscard]] std::string value_or(std::string_view name, std::string_view fallback) const;
};

/// Everything a handler may know about one request, already parsed and size-limited.
///
/// The session fills it; the router adds `route` and `path_params`; middleware may add
/// `attributes` (the broker stores the authenticated principal there). The handler never sees
/// the socket: `client_gone()` and the coroutine's cancellation (terminal, emitted when the peer
/// disconnects) are how it learns the client left.
/// Thread safety: owned by one session; use only on that session's strand (where the handler runs).
class request_context {
public:
    std::string method;     ///< "GET", "POST", ...
    std::string target;     ///< raw request target, e.g. /api/v1/pods?limit=500
    std::string path;       ///< percent-decoded path without the query
    param_list query;       ///< decoded query parameters
    param_list path_params; ///< `{name}` captures of the matched route
    header_list headers;
    std::string body;
    std::string request_id;     ///< X-Request-Id when the client sent a sane one, else generated
    std::string remote_address; ///< peer IP address
    std::uint16_t remote_port = 0;
    bool tls = false;
    boost::asio::any_io_executor executor; ///< the session's strand
    std::string route;                     ///< matched route pattern ("" when none matched)
    std::map<std::string, std::any, std::less<>> attributes;

    /// True once the session saw the peer close its side of the connection.
    [[nodiscard]] bool client_gone() const { return gone_ && *gone_; }

    /// Set by the session: the flag it raises when the peer goes away.
    void bind_gone_flag(std::shared_ptr<const bool> flag) { gone_ = std::move(flag); }

    /// The attribute `name` as a T, or nullptr when absent or of another type.
    template <class T>
    [[nodiscard]] const T* attribute(std::string_view name) const
    {
        auto it = attributes.find(name);
        return it == attributes.end() ? nullptr : std::any_cast<T>(&it->second);
    }

private:
    std::shared_ptr<const bool> gone_;
};

} // namespace broker::server
