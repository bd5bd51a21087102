#include "broker/auth/authenticator.hpp"
#include "broker/routes/proxy_routes.hpp"
#include "broker/server/response.hpp"

#include <charconv>

namespace broker::routes {

namespace {

using nlohmann::json;
constexpr std::size_t max_selector_bytes = 1024;

/// The validated query of a resources request, or the error response.
struct parsed_query {
    std::optional<proxy::list_query> query;
    std::optional<server::response> error;
};

server::response bad_request(std::string field, std::string message)
{
    server::status_error e = server::make_status(400, field + ": " + message, "BadRequest");
    server::status_details d;
    d.causes.push_back({"FieldValueInvalid", message, std::move(field)});
    e.details = std::move(d);
    return server::status_response(e);
}

parsed_query parse_query(const server::request_context& ctx, const namespace_access& access,
                         const proxy::reader_options& reader)
{
    parsed_query out;
    const auto kind_name = ctx.query.value_or("kind", "");
    if (kind_name.empty()) {
        out.error = bad_request("kind", "required (pods, nodes, namespaces, events, services, "
                                        "deployments, jobs, pytorchjobs, rayjobs, vcjobs, "
                                        "notebooks)");
        return out;
    }
    auto kind = proxy::find_kind(kind_name);
    if (!kind) {
        out.error = server::error_response(
            403, "kind \"" + kind_name + "\" is not readable through the proxy", "Forbidden");
        return out;
    }
    proxy::list_query q;
    q.kind = *kind;
    q.ns = kind->namespaced ? ctx.query.value_or("namespace", "") : "";
    if (!q.ns.empty() && !proxy::valid_namespace(q.ns)) {
        out.error = bad_request("namespace", "not a valid namespace name");
        return out;
    }
    q.label_selector = ctx.query.value_or("labelSelector", "");
    if (q.label_selector.size() > max_selector_bytes) {
        out.error = bad_request("labelSelector", "longer than 1024 bytes");
        return out;
    }
    if (auto limit = ctx.query.get("limit"); limit && !limit->empty()) {
        std::int64_t n = -1;
        auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
        if (ec != std::errc{} || p != limit->data() + limit->size() || n < 0 ||
            static_cast<std::size_t>(n) > reader.max_limit) {
            out.error = bad_request("limit", "must be an integer 0.." +
                                                 std::to_string(reader.max_limit));
            return out;
        }
        q.limit = static_cast<std::size_t>(n);
    }
    q.continue_token = ctx.query.value_or("continue", "");
    if (auto t = ctx.query.get("timeout"); t && !t->empty()) {
        q.timeout = proxy::parse_timeout(*t);
        if (!q.timeout) {
            out.error = bad_request("timeout", "must be a duration such as 500ms or 2s (≤ 5m)");
            return out;
        }
    }
    if (kind->namespaced && !q.ns.empty() && !access.may_read(q.ns)) {
        out.error = server::error_response(
            403, "you may not read namespace \"" + q.ns + "\"", "Forbidden");
        return out;
    }
    q.keep = detail::item_filter(*kind, access);
    out.query = std::move(q);
    return out;
}

/// Answers above this size, or not complete when the status is known, are sent chunked, a
/// piece at a time as the members answer: the broker never holds the serialised answer next
/// to the members' texts, and sending overlaps the slower members' calls.
constexpr std::size_t stream_above_bytes = 1u << 20;
constexpr std::size_t stream_chunk_bytes = 256u << 10;

server::response streamed_response(proxy::streamed_list result)
{
    server::response r;
    r.status = result.http_status();
    if (result.complete() && result.size_hint() <= stream_above_bytes) {
        r.body = result.take_all();
        return r;
    }
    // Owned by the response: when it goes (sent, or the client went away) the members' calls
    // still running are cancelled.
    auto list = std::make_shared<proxy::streamed_list>(std::move(result));
    r.stream = [list](server::chunk_writer& out) -> boost::asio::awaitable<void> {
        std::string chunk;
        chunk.reserve(stream_chunk_bytes + (64u << 10));
        for (;;) {
            chunk.clear();
            const auto step = list->write_some(chunk, stream_chunk_bytes);
            if (!chunk.empty()) {
                const bool written = co_await out.write(chunk);  // not inside && (GCC 12)
                if (!written) {
                    co_return;
                }
            }
            if (step == proxy::streamed_list::progress::done) {
                co_return;
            }
            if (step == proxy::streamed_list::progress::wait) {
                co_await list->wait_ready();
            }
        }
    };
    return r;
}

}  // namespace

namespace detail {

boost::asio::awaitable<namespace_access> access_of(const auth::principal* who,
                                                   const proxy_route_options& options)
{
    namespace_access access;
    if (who == nullptr) {
        co_return access;
    }
    if (who->is_admin()) {
        access.all = true;
        co_return access;
    }
    if (auto it = options.user_namespaces.find(who->user); it != options.user_namespaces.end()) {
        access.allowed.insert(it->second.begin(), it->second.end());
    }
    if (options.namespaces_of) {
        auto more = co_await options.namespaces_of(*who);
        access.allowed.insert(more.begin(), more.end());
    }
    co_return access;
}

std::function<bool(const json&)> item_filter(const proxy::resource_kind& kind,
                                             const namespace_access& access)
{
    if (access.all || (kind.group.empty() && kind.plural == "nodes")) {
        return {};
    }
    const bool is_namespace = kind.group.empty() && kind.plural == "namespaces";
    return [allowed = access.allowed, is_namespace](const json& item) {
        const auto key = proxy::sort_key(item);
        return allowed.count(is_namespace ? key.second : key.first) > 0;
    };
}

}  // namespace detail

std::shared_ptr<const proxy::federated_reader> add_proxy_routes(
    server::router& router, const proxy::kube_client& karmada, proxy::member_registry& members,
    proxy_route_options options)
{
    auto shared = std::make_shared<const proxy_route_options>(std::move(options));
    auto reader = std::make_shared<proxy::federated_reader>(karmada, members, shared->reader);

    auto list_handler = [reader, shared](bool one_cluster) {
        return [reader, shared, one_cluster](server::request_context& ctx)
                   -> boost::asio::awaitable<server::response> {
            const auto* who = auth::principal_of(ctx);
            if (who == nullptr) {
                co_return server::error_response(401, "authentication required",
                                                 "Unauthorized");
            }
            auto access = co_await detail::access_of(who, *shared);
            auto parsed = parse_query(ctx, access, shared->reader);
            if (parsed.error) {
                co_return std::move(*parsed.error);
            }
            if (one_cluster) {
                const auto cluster = ctx.path_params.value_or("cluster", "");
                if (!proxy::valid_cluster_name(cluster)) {
                    co_return bad_request("cluster", "not a valid cluster name");
                }
                parsed.query->only_cluster = cluster;
            }
            auto result = co_await reader->list_streamed(std::move(*parsed.query));
            co_return streamed_response(std::move(result));
        };
    };
    router.add("GET", "/api/v1/proxy/resources", list_handler(false));
    router.add("GET", "/api/v1/proxy/clusters/{cluster}/resources", list_handler(true));
    detail::add_federation_routes(router, reader, shared);
    return reader;
}

}  // namespace broker::routes
