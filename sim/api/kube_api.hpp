#pragma once

#include "broker/server/request_context.hpp"
#include "broker/server/response.hpp"
#include "sim/api/discovery.hpp"
#include "sim/model/api_error.hpp"
#include "sim/model/object_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace fedsim::api {

class app;

/// One Kubernetes API surface: the control plane, or one member behind the cluster proxy.
struct api_scope {
    model::object_store* store = nullptr;
    api_surface surface = api_surface::control_plane;
    std::string cluster;       ///< member name; "" for the control plane
    std::string url_prefix;    ///< path prefix of this surface ("" or ".../clusters/x/proxy")
    std::string version;       ///< gitVersion served at /version
};

/// A resource URL below a group-version: `[namespaces/{ns}/]{resource}[/{name}[/{sub}]]`.
struct resource_path {
    std::string group;
    std::string version;
    std::string namespace_;
    std::string resource;
    std::string name;
    std::string subresource;
    bool discovery = false; ///< the group-version root itself
};

/// Parses the segments after `/api/v1` or `/apis/{g}/{v}`; nullopt when the shape is not a
/// Kubernetes resource URL (→ 404). `namespaces/{ns}/status|finalize` is the namespace's own
/// subresource.
/// Thread safety: pure function.
std::optional<resource_path> parse_resource_path(std::string group, std::string version,
                                                 const std::vector<std::string>& rest);

/// A model error as an HTTP response (its code, its Status body, Retry-After).
broker::server::response to_response(const model::api_error& error);

/// Serves one resource request (get, list, watch, create, update, patch, delete, status,
/// pods/log on members) against `scope`.
boost::asio::awaitable<broker::server::response>
serve_resource(app& a, const api_scope& scope, const resource_path& path,
               broker::server::request_context& ctx);

/// Serves any path below a Kubernetes API root (`segments` relative to it): /version, /api,
/// /apis, discovery, /openapi/v3, health and resources. Used for members behind the proxy.
boost::asio::awaitable<broker::server::response>
serve_api_root(app& a, const api_scope& scope, const std::vector<std::string>& segments,
               broker::server::request_context& ctx);

/// Discovery and OpenAPI answers shared by the control plane routes and the proxy; null
/// response status 0 means "not a discovery path".
broker::server::response discovery_response(app& a, const api_scope& scope,
                                            const std::vector<std::string>& segments,
                                            broker::server::request_context& ctx);

} // namespace fedsim::api
