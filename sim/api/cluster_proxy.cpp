#include "sim/api/cluster_proxy.hpp"

#include "sim/api/app.hpp"
#include "sim/api/kube_api.hpp"
#include "broker/server/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace fedsim::api {

namespace net = boost::asio;
using broker::server::request_context;
using broker::server::response;
using nlohmann::json;

namespace {

constexpr std::string_view proxy_prefix = "/apis/cluster.karmada.io/v1alpha1/clusters/";

api_scope member_scope(app& a, const std::string& name)
{
    api_scope s;
    s.store = a.federation().member(name);
    s.surface = api_surface::member;
    s.cluster = name;
    s.url_prefix = std::string(proxy_prefix) + name + "/proxy";
    s.version = a.federation().config().kubernetes_version;
    for (const auto& c : a.federation().config().clusters) {
        if (c.name == name) {
            s.version = c.kubernetes_version;
        }
    }
    return s;
}

bool member_reachable(app& a, const std::string& name)
{
    const auto* f = a.federation().fault(name);
    return !f || (f->ready && !f->unavailable);
}

response plain(unsigned status, std::string text)
{
    return broker::server::text_response(status, std::move(text));
}

/// `clusters/*/proxy/...`: Karmada's aggregate behaviour (pkg/registry/cluster/storage/
/// aggregate.go) — lists concatenated, named objects routed to their one owner.
net::awaitable<response> serve_aggregate(app& a, const std::vector<std::string>& segs,
                                         request_context& ctx)
{
    std::optional<resource_path> p;
    if (segs.size() >= 2 && segs[0] == "api" && segs[1] == "v1") {
        p = parse_resource_path("", "v1", std::vector<std::string>(segs.begin() + 2, segs.end()));
    } else if (segs.size() >= 3 && segs[0] == "apis") {
        p = parse_resource_path(segs[1], segs[2], std::vector<std::string>(segs.begin() + 3, segs.end()));
    }
    if (!p || p->discovery) {
        // Non-resource paths are answered by the Karmada API server itself.
        api_scope cp;
        cp.store = &a.federation().control_plane();
        cp.version = a.federation().config().kubernetes_version;
        co_return co_await serve_api_root(a, cp, segs, ctx);
    }
    if (p->name.empty()) {
        if (ctx.method != "GET" || ctx.query.value_or("watch", "") == "true") {
            co_return plain(405, "method not allowed");
        }
        // Plain JSON lists from every member, items concatenated.
        request_context sub = ctx;
        sub.headers.items.clear();
        json merged;
        for (const auto& name : a.federation().member_names()) {
            if (!member_reachable(a, name)) {
                continue;
            }
            auto r = co_await serve_resource(a, member_scope(a, name), *p, sub);
            if (r.status != 200) {
                continue;
            }
            auto body = json::parse(r.body, nullptr, false);
            if (!body.is_object() || !body.contains("items")) {
                continue;
            }
            if (merged.is_null()) {
                merged = std::move(body);
            } else {
                for (auto& item : body["items"]) {
                    merged["items"].push_back(std::move(item));
                }
            }
        }
        if (merged.is_null()) {
            co_return plain(404, "not found");
        }
        response r;
        r.body = merged.dump();
        co_return r;
    }
    std::vector<std::string> owners;
    const auto* info = a.federation().registry().find(p->group, p->version, p->resource);
    if (info) {
        for (const auto& name : a.federation().member_names()) {
            const auto* store = a.federation().member(name);
            if (member_reachable(a, name) && store &&
                store->find(*info, p->namespace_, p->name)) {
                owners.push_back(name);
            }
        }
    }
    if (owners.empty()) {
        co_return plain(404, "not found");
    }
    if (owners.size() > 1) {
        std::string list;
        for (const auto& o : owners) {
            list += (list.empty() ? "" : ",") + o;
        }
        co_return plain(409, "conflict resource, exist in more than one cluster: " + list);
    }
    co_return co_await serve_resource(a, member_scope(a, owners.front()), *p, ctx);
}

} // namespace

net::awaitable<std::optional<response>> apply_fault(app& a, std::string_view cluster,
                                                    request_context& ctx)
{
    const auto* f = a.federation().fault(cluster);
    if (!f || !f->any()) {
        co_return std::nullopt;
    }
    if (f->latency_ms > 0) {
        auto delay = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(f->latency_ms),
                                                         a.options().max_fault_latency);
        net::steady_timer t(co_await net::this_coro::executor, delay);
        co_await t.async_wait(net::as_tuple(net::use_awaitable));
        f = a.federation().fault(cluster); // faults may have changed meanwhile
        if (!f) {
            co_return std::nullopt;
        }
    }
    if (f->unavailable || (!cluster.empty() && !f->ready)) {
        a.count(cluster.empty() ? "faults.controlplane.unavailable"
                                : "faults.cluster." + std::string(cluster) + ".unavailable");
        std::string msg = cluster.empty()
                              ? "the server is currently unable to handle the request"
                              : "error trying to reach service: cluster \"" +
                                    std::string(cluster) + "\" is unavailable";
        co_return to_response(model::service_unavailable(std::move(msg)));
    }
    if (a.federation().consume_failure(cluster)) {
        a.count(cluster.empty() ? "faults.controlplane.injected"
                                : "faults.cluster." + std::string(cluster) + ".injected");
        co_return to_response(model::internal_error("injected failure (failNextRequests)"));
    }
    (void)ctx;
    co_return std::nullopt;
}

net::awaitable<response> serve_cluster_proxy(app& a, request_context& ctx)
{
    const std::string name = ctx.path_params.value_or("name", "");
    a.count("requests.controlplane");
    a.count("requests.proxy." + name);
    if (auto failed = co_await apply_fault(a, "", ctx)) {
        co_return std::move(*failed);
    }
    auto segs = broker::server::path_segments(ctx.path_params.value_or("path", ""));
    if (name == "*") {
        co_return co_await serve_aggregate(a, segs, ctx);
    }
    if (!a.federation().member(name)) {
        co_return to_response(model::not_found("cluster.karmada.io", "clusters", name));
    }
    if (auto failed = co_await apply_fault(a, name, ctx)) {
        co_return std::move(*failed);
    }
    co_return co_await serve_api_root(a, member_scope(a, name), segs, ctx);
}

} // namespace fedsim::api
