#include "broker/auth/authenticator.hpp"
#include "broker/routes/proxy_routes.hpp"
#include "broker/server/response.hpp"
#include "proxy/table_view.hpp"

#include <algorithm>

namespace broker::routes::detail {

namespace {

using nlohmann::json;

/// The Kubernetes minor version /federation reports; kubectl 1.32 is what the image ships.
constexpr const char* reported_minor = "32";

std::vector<std::string> split_path(const std::string& rest)
{
    std::vector<std::string> segments;
    std::size_t start = 0;
    while (start <= rest.size()) {
        auto end = rest.find('/', start);
        if (end == std::string::npos) {
            end = rest.size();
        }
        if (end > start) {
            segments.push_back(rest.substr(start, end - start));
        }
        start = end + 1;
    }
    return segments;
}

server::response not_found(const std::string& path)
{
    return server::error_response(404, "the server could not find the requested resource (" +
                                            path + ")",
                                  "NotFound");
}

json api_resource(const proxy::resource_kind& k)
{
    json r = json::object();
    r["name"] = k.plural;
    r["singularName"] = k.singular;
    r["namespaced"] = k.namespaced;
    r["kind"] = k.kind;
    r["verbs"] = json::array({"get", "list"});
    if (!k.short_names.empty()) {
        r["shortNames"] = k.short_names;
    }
    return r;
}

std::vector<std::string> groups_in_order()
{
    std::vector<std::string> groups;
    for (const auto& k : proxy::allowed_kinds()) {
        if (!k.group.empty() && std::find(groups.begin(), groups.end(), k.group) == groups.end()) {
            groups.push_back(k.group);
        }
    }
    return groups;
}

json api_group(const std::string& group)
{
    json versions = json::array();
    std::string preferred;
    for (const auto& k : proxy::allowed_kinds()) {
        if (k.group != group) {
            continue;
        }
        bool seen = false;
        for (const auto& v : versions) {
            seen = seen || v["version"] == k.version;
        }
        if (!seen) {
            json v = json::object();
            v["groupVersion"] = k.group_version();
            v["version"] = k.version;
            versions.push_back(std::move(v));
        }
    }
    json g = json::object();
    g["name"] = group;
    g["versions"] = versions;
    g["preferredVersion"] = versions.empty() ? json::object() : versions.front();
    return g;
}

json resource_list(const std::string& group, const std::string& version)
{
    json resources = json::array();
    for (const auto& k : proxy::allowed_kinds()) {
        if (k.group == group && k.version == version) {
            resources.push_back(api_resource(k));
        }
    }
    json list = json::object();
    list["kind"] = "APIResourceList";
    list["apiVersion"] = "v1";
    list["groupVersion"] = group.empty() ? version : group + "/" + version;
    list["resources"] = std::move(resources);
    return list;
}

/// Discovery answers; nullopt when `s` is not a discovery path.
std::optional<json> discovery(const std::vector<std::string>& s,
                              const server::request_context& ctx)
{
    if (s.size() == 1 && s[0] == "version") {
        json v = json::object();
        v["major"] = "1";
        v["minor"] = reported_minor;
        v["gitVersion"] = std::string("v1.") + reported_minor + ".0-federation";
        v["platform"] = "linux/amd64";
        return v;
    }
    if (s.size() == 1 && s[0] == "api") {
        json cidr = json::object();
        cidr["clientCIDR"] = "0.0.0.0/0";
        cidr["serverAddress"] = ctx.headers.value_or("Host", "");
        json v = json::object();
        v["kind"] = "APIVersions";
        v["versions"] = json::array({"v1"});
        v["serverAddressByClientCIDRs"] = json::array({cidr});
        return v;
    }
    if (s.size() == 2 && s[0] == "api" && s[1] == "v1") {
        return resource_list("", "v1");
    }
    if (s.size() == 1 && s[0] == "apis") {
        json groups = json::array();
        for (const auto& g : groups_in_order()) {
            groups.push_back(api_group(g));
        }
        json list = json::object();
        list["kind"] = "APIGroupList";
        list["apiVersion"] = "v1";
        list["groups"] = std::move(groups);
        return list;
    }
    if (s.size() == 2 && s[0] == "apis") {
        auto groups = groups_in_order();
        if (std::find(groups.begin(), groups.end(), s[1]) != groups.end()) {
            json g = api_group(s[1]);
            g["kind"] = "APIGroup";
            g["apiVersion"] = "v1";
            return g;
        }
    }
    if (s.size() == 3 && s[0] == "apis") {
        auto list = resource_list(s[1], s[2]);
        if (!list["resources"].empty()) {
            return list;
        }
    }
    return std::nullopt;
}

/// A Kubernetes `Warning` header value (kubectl prints these on stderr).
std::string warning_for(const proxy::aggregate_failure& f)
{
    std::string text = "cluster " + f.cluster + ": " + f.reason + ": " + f.message;
    std::replace(text.begin(), text.end(), '"', '\'');
    return "299 - \"" + text + "\"";
}

server::response with_warnings(server::response r, const std::vector<proxy::aggregate_failure>& fs)
{
    for (const auto& f : fs) {
        r.with_header("Warning", warning_for(f));
    }
    return r;
}

}  // namespace

void add_federation_routes(server::router& router,
                           std::shared_ptr<proxy::federated_reader> reader,
                           std::shared_ptr<const proxy_route_options> options)
{
    router.add("*", "/federation/{rest...}",
               [reader, options](server::request_context& ctx)
                   -> boost::asio::awaitable<server::response> {
        if (ctx.method != "GET" && ctx.method != "HEAD") {
            co_return server::error_response(
                405, "the federation API is read-only (" + ctx.method + " not allowed)",
                "MethodNotAllowed");
        }
        const auto* who = auth::principal_of(ctx);
        if (who == nullptr) {
            co_return server::error_response(401, "authentication required", "Unauthorized");
        }
        const auto s = split_path(ctx.path_params.value_or("rest", ""));
        if (auto d = discovery(s, ctx)) {
            co_return server::json_response(200, *d);
        }
        if (ctx.query.value_or("watch", "") == "true" || ctx.query.value_or("watch", "") == "1") {
            co_return server::error_response(405, "watch is not supported by the federation API",
                                             "MethodNotAllowed");
        }
        // /api/v1/... or /apis/{group}/{version}/...
        std::string group;
        std::string version;
        std::size_t at = 0;
        if (s.size() >= 3 && s[0] == "api" && s[1] == "v1") {
            version = "v1";
            at = 2;
        } else if (s.size() >= 4 && s[0] == "apis") {
            group = s[1];
            version = s[2];
            at = 3;
        } else {
            co_return not_found(ctx.path);
        }
        std::vector<std::string> r(s.begin() + static_cast<std::ptrdiff_t>(at), s.end());
        std::string ns;
        std::string plural;
        std::string name;
        if (r.size() >= 3 && r[0] == "namespaces") {
            ns = r[1];
            plural = r[2];
            if (r.size() == 4) {
                name = r[3];
            } else if (r.size() > 4) {
                co_return server::error_response(
                    403, "subresources are not readable through the federation API",
                    "Forbidden");
            }
        } else if (r.size() == 1 || r.size() == 2) {
            plural = r[0];
            if (r.size() == 2) {
                name = r[1];
            }
        } else {
            co_return not_found(ctx.path);
        }
        auto kind = proxy::find_kind(group, version, plural);
        if (!kind) {
            co_return server::error_response(
                403, "resource \"" + plural + "\" is not readable through the federation API",
                "Forbidden");
        }
        if (!ns.empty() && (!kind->namespaced || !proxy::valid_namespace(ns))) {
            co_return not_found(ctx.path);
        }
        if (kind->namespaced && ns.empty() && !name.empty()) {
            co_return not_found(ctx.path);  // a namespaced object is read in its namespace
        }
        if (!name.empty() && !proxy::valid_object_name(name)) {
            co_return server::error_response(400, "invalid name \"" + name + "\"", "BadRequest");
        }
        std::optional<std::string> cluster;
        if (auto c = ctx.query.get("cluster"); c && !c->empty()) {
            if (!proxy::valid_cluster_name(*c)) {
                co_return server::error_response(400, "invalid cluster name", "BadRequest");
            }
            cluster = std::string(*c);
        }
        auto access = co_await access_of(who, *options);
        const bool is_namespace_kind = kind->group.empty() && kind->plural == "namespaces";
        if (!access.all && ((!ns.empty() && !access.may_read(ns)) ||
                            (is_namespace_kind && !name.empty() && !access.may_read(name)))) {
            co_return server::error_response(403, "you may not read this namespace",
                                             "Forbidden");
        }
        const bool table = proxy::wants_table(ctx.headers.value_or("Accept", ""));
        const bool include_object = ctx.query.value_or("includeObject", "") == "Object";
        const auto& annotation = options->reader.cluster_annotation;
        const auto now = std::chrono::system_clock::now();

        if (!name.empty()) {
            auto got = co_await reader->get(*kind, ns, name, cluster);
            if (got.http_status != 200 || !table) {
                co_return with_warnings(server::json_response(got.http_status, got.body),
                                        got.failures);
            }
            json items = json::array({std::move(got.body)});
            co_return with_warnings(
                server::json_response(200, proxy::to_table(*kind, items, json::object(),
                                                           annotation, include_object, now)),
                got.failures);
        }

        proxy::list_query q;
        q.kind = *kind;
        q.ns = ns;
        q.label_selector = ctx.query.value_or("labelSelector", "");
        if (q.label_selector.size() > 1024) {
            co_return server::error_response(400, "labelSelector: longer than 1024 bytes",
                                             "BadRequest");
        }
        if (auto l = ctx.query.get("limit"); l && !l->empty()) {
            try {
                const auto n = std::stoll(std::string(*l));
                q.limit = n <= 0 ? 0
                                 : std::min<std::size_t>(static_cast<std::size_t>(n),
                                                         options->reader.max_limit);
            } catch (const std::exception&) {
                co_return server::error_response(400, "limit: not an integer", "BadRequest");
            }
        }
        q.continue_token = ctx.query.value_or("continue", "");
        q.only_cluster = cluster;
        q.keep = item_filter(*kind, access);
        auto result = co_await reader->list(std::move(q));
        if (result.http_status != 200) {
            if (result.body.value("kind", "") == "Status") {
                co_return server::json_response(result.http_status, result.body);
            }
            std::string why;
            for (const auto& f : result.failures) {
                why += (why.empty() ? "" : "; ") + f.cluster + ": " + f.reason;
            }
            co_return server::error_response(
                result.http_status, "no member cluster answered: " + why,
                result.http_status == 504 ? "Timeout" : "BadGateway");
        }
        if (table) {
            co_return with_warnings(
                server::json_response(200, proxy::to_table(*kind, result.body["items"],
                                                           result.body["metadata"], annotation,
                                                           include_object, now)),
                result.failures);
        }
        co_return with_warnings(server::json_response(200, result.body), result.failures);
    });
}

}  // namespace broker::routes::detail
