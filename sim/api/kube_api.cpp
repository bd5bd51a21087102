#include "sim/api/kube_api.hpp"

#include "sim/api/app.hpp"
#include "sim/api/openapi.hpp"
#include "sim/api/table.hpp"
#include "sim/model/yaml_json.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace fedsim::api {

namespace net = boost::asio;
using broker::server::chunk_writer;
using broker::server::request_context;
using broker::server::response;
using nlohmann::json;

namespace {

constexpr std::string_view json_type = "application/json";

response json_reply(unsigned status, const json& body)
{
    response r;
    r.status = status;
    r.body = body.dump();
    return r;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

/// The media type of Content-Type without parameters, lower-cased.
std::string media_type(const request_context& ctx)
{
    auto ct = lower(ctx.headers.value_or("Content-Type", ""));
    auto semi = ct.find(';');
    if (semi != std::string::npos) {
        ct.resize(semi);
    }
    while (!ct.empty() && ct.back() == ' ') {
        ct.pop_back();
    }
    return ct;
}

std::optional<std::int64_t> parse_int(std::string_view s)
{
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

bool truthy(std::optional<std::string_view> v)
{
    return v && (*v == "true" || *v == "1" || *v == "True");
}

template <class T>
model::api_result<T> fail(model::api_error e)
{
    return model::api_result<T>(boost::system::in_place_error, std::move(e));
}

model::api_result<json> parse_body(const request_context& ctx, bool yaml_allowed)
{
    if (ctx.body.empty()) {
        return fail<json>(model::bad_request("the body of the request was empty"));
    }
    auto type = media_type(ctx);
    bool yaml = type == "application/yaml" || type == "application/apply-patch+yaml" ||
                type == "text/yaml";
    if (yaml && yaml_allowed) {
        std::vector<json> docs;
        std::string error;
        if (!model::yaml_to_json(ctx.body, docs, error)) {
            return fail<json>(model::bad_request("error converting YAML to JSON: " + error));
        }
        if (docs.size() != 1) {
            return fail<json>(
                model::bad_request("the request body must hold exactly one YAML document"));
        }
        return model::api_result<json>(boost::system::in_place_value, std::move(docs.front()));
    }
    auto parsed = json::parse(ctx.body, nullptr, false);
    if (parsed.is_discarded()) {
        return fail<json>(model::bad_request(
            "couldn't get version/kind; json parse error: invalid JSON in the request body"));
    }
    return model::api_result<json>(boost::system::in_place_value, std::move(parsed));
}

model::api_result<model::write_options> parse_write_options(const request_context& ctx,
                                                            std::vector<std::string>* warnings)
{
    model::write_options wo;
    wo.warnings = warnings;
    auto dry = ctx.query.get("dryRun");
    if (dry && !dry->empty()) {
        if (*dry != "All") {
            return model::bad_request("dryRun: Unsupported value: \"" + std::string(*dry) +
                                      "\": supported values: \"All\"");
        }
        wo.dry_run = true;
    }
    auto fv = ctx.query.value_or("fieldValidation", "");
    if (fv == "Strict") {
        wo.validation = model::field_validation::strict;
    } else if (fv == "Ignore") {
        wo.validation = model::field_validation::ignore;
    } else if (fv.empty() || fv == "Warn") {
        wo.validation = model::field_validation::warn;
    } else {
        return model::bad_request("fieldValidation: Unsupported value: \"" + fv +
                                  "\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
    }
    wo.field_manager = ctx.query.value_or("fieldManager", "");
    wo.force = truthy(ctx.query.get("force"));
    return wo;
}

/// A JSON reply carrying `warnings` as Warning headers (code 299), as the API server sends them.
response warned_reply(unsigned status, const json& body,
                      const std::vector<std::string>& warnings)
{
    response r = json_reply(status, body);
    for (const auto& w : warnings) {
        std::string text;
        for (char c : w) {
            text += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
        }
        r.headers.emplace_back("Warning", "299 - \"" + text + "\"");
    }
    return r;
}

std::string table_meta_rv(const model::object_ptr& obj)
{
    if (obj && obj->contains("metadata") && (*obj)["metadata"].contains("resourceVersion") &&
        (*obj)["metadata"]["resourceVersion"].is_string()) {
        return (*obj)["metadata"]["resourceVersion"].get<std::string>();
    }
    return "";
}

response object_reply(unsigned status, const model::object_ptr& obj,
                      const model::resource_info& info, const request_context& ctx,
                      const model::object_store& store)
{
    if (ctx.method == "GET" && wants_table(ctx.headers.value_or("Accept", ""))) {
        return json_reply(status, to_table(info, {obj}, app::now(),
                                           json{{"resourceVersion", table_meta_rv(obj)}}));
    }
    response r;
    r.status = status;
    r.body = *store.serialized(obj);
    return r;
}

model::api_result<model::list_options> parse_list_options(const request_context& ctx)
{
    model::list_options lo;
    lo.label_selector = ctx.query.value_or("labelSelector", "");
    lo.field_selector = ctx.query.value_or("fieldSelector", "");
    lo.continue_token = ctx.query.value_or("continue", "");
    lo.resource_version = ctx.query.value_or("resourceVersion", "");
    if (auto l = ctx.query.get("limit"); l && !l->empty()) {
        auto v = parse_int(*l);
        if (!v || *v < 0) {
            return model::bad_request("limit: Invalid value: \"" + std::string(*l) +
                                      "\": must be a non-negative integer");
        }
        lo.limit = *v;
    }
    return lo;
}

std::string error_event_line(const model::api_error& e)
{
    return json{{"type", "ERROR"}, {"object", e.to_status()}}.dump() + "\n";
}

std::string event_line(const model::object_store& store, const model::watch_event& e,
                       const model::resource_info& info, bool table)
{
    if (!table || e.type == model::event_type::bookmark || !e.object) {
        // The object's text is the store's cached one (what GETs and LISTs of it serve).
        const auto text = store.serialized(e.object);
        std::string line;
        line.reserve(text->size() + 32);
        line += R"({"type":")";
        line += model::to_string(e.type);
        line += R"(","object":)";
        line += *text;
        line += "}\n";
        return line;
    }
    json t = to_table(info, {e.object}, app::now(),
                      json{{"resourceVersion", std::to_string(e.resource_version)}});
    return json{{"type", std::string(model::to_string(e.type))}, {"object", std::move(t)}}.dump() +
           "\n";
}

response watch_reply(app& a, const model::object_store& store, const model::resource_info& info,
                     model::watch_cursor cursor, std::chrono::seconds timeout, bool bookmarks,
                     bool table)
{
    response res;
    res.content_type = std::string(json_type);
    res.stream = [&a, &store, &info, cursor = std::move(cursor), timeout, bookmarks,
                  table](chunk_writer& w) mutable -> net::awaitable<void> {
        using clock = std::chrono::steady_clock;
        const auto deadline = clock::now() + timeout;
        auto next_bookmark = clock::now() + a.options().bookmark_interval;
        for (;;) {
            if (a.hub().closed()) {
                co_return;
            }
            auto events = store.watch_next(cursor);
            if (!events) {
                co_await w.write(error_event_line(events.error()));
                co_return;
            }
            if (!events->empty()) {
                std::string batch;
                for (const auto& e : *events) {
                    batch += event_line(store, e, info, table);
                }
                if (!co_await w.write(batch)) {
                    co_return;
                }
                continue;
            }
            auto now = clock::now();
            if (now >= deadline) {
                co_return;
            }
            if (bookmarks && now >= next_bookmark) {
                if (!co_await w.write(event_line(store, store.bookmark(cursor), info, false))) {
                    co_return;
                }
                next_bookmark = now + a.options().bookmark_interval;
                continue;
            }
            auto until = bookmarks ? std::min(deadline, next_bookmark) : deadline;
            co_await a.hub().wait(until - now);
        }
    };
    return res;
}

response start_watch(app& a, const api_scope& scope, const model::resource_info& info,
                     const resource_path& p, const request_context& ctx)
{
    model::watch_options wo;
    wo.namespace_ = p.namespace_;
    wo.name = p.name;
    wo.label_selector = ctx.query.value_or("labelSelector", "");
    wo.field_selector = ctx.query.value_or("fieldSelector", "");
    wo.resource_version = ctx.query.value_or("resourceVersion", "");
    wo.allow_bookmarks = truthy(ctx.query.get("allowWatchBookmarks"));
    wo.send_initial_events = truthy(ctx.query.get("sendInitialEvents"));
    auto timeout = a.options().max_watch_timeout;
    if (auto t = ctx.query.get("timeoutSeconds"); t && !t->empty()) {
        auto v = parse_int(*t);
        if (!v || *v < 0) {
            return to_response(model::bad_request("timeoutSeconds: Invalid value: \"" +
                                                  std::string(*t) +
                                                  "\": must be a non-negative integer"));
        }
        if (*v > 0) {
            timeout = std::min(timeout, std::chrono::seconds(*v));
        }
    }
    auto cursor = scope.store->watch(info, wo);
    if (!cursor) {
        if (cursor.error().code == 410) {
            // As the API server: a 200 stream carrying one ERROR event with the 410 Status.
            response res;
            res.content_type = std::string(json_type);
            res.stream = [line = error_event_line(cursor.error())](
                             chunk_writer& w) -> net::awaitable<void> { co_await w.write(line); };
            return res;
        }
        return to_response(cursor.error());
    }
    bool table = wants_table(ctx.headers.value_or("Accept", ""));
    return watch_reply(a, *scope.store, info, std::move(*cursor), timeout, wo.allow_bookmarks,
                       table);
}

model::api_result<model::delete_options> parse_delete_options(const request_context& ctx)
{
    model::delete_options d;
    if (!ctx.body.empty()) {
        auto body = json::parse(ctx.body, nullptr, false);
        if (body.is_discarded() || !body.is_object()) {
            return model::bad_request("the DeleteOptions body is not a JSON object");
        }
        if (auto it = body.find("propagationPolicy"); it != body.end() && it->is_string()) {
            d.propagation_policy = it->get<std::string>();
        }
        if (auto it = body.find("gracePeriodSeconds"); it != body.end() && it->is_number_integer()) {
            d.grace_period_seconds = it->get<std::int64_t>();
        }
        if (auto it = body.find("preconditions"); it != body.end() && it->is_object()) {
            if (it->contains("uid") && (*it)["uid"].is_string()) {
                d.precondition_uid = (*it)["uid"].get<std::string>();
            }
            if (it->contains("resourceVersion") && (*it)["resourceVersion"].is_string()) {
                d.precondition_resource_version = (*it)["resourceVersion"].get<std::string>();
            }
        }
        if (auto it = body.find("dryRun"); it != body.end() && it->is_array() && !it->empty()) {
            d.dry_run = true;
        }
        if (auto it = body.find("orphanDependents"); it != body.end() && it->is_boolean() &&
                                                     d.propagation_policy.empty()) {
            d.propagation_policy = it->get<bool>() ? "Orphan" : "Background";
        }
    }
    if (auto v = ctx.query.get("propagationPolicy"); v && !v->empty()) {
        d.propagation_policy = std::string(*v);
    }
    if (auto v = ctx.query.get("gracePeriodSeconds"); v && !v->empty()) {
        auto n = parse_int(*v);
        if (!n) {
            return model::bad_request("gracePeriodSeconds: Invalid value: \"" + std::string(*v) +
                                      "\"");
        }
        d.grace_period_seconds = *n;
    }
    if (ctx.query.value_or("dryRun", "") == "All") {
        d.dry_run = true;
    }
    return d;
}

net::awaitable<response> serve_pod_log(app& a, const api_scope& scope, const resource_path& p,
                                       const request_context& ctx)
{
    if (scope.cluster.empty()) {
        // The Karmada control plane runs no pods.
        co_return to_response(model::not_found_path());
    }
    model::log_options lo;
    lo.container = ctx.query.value_or("container", "");
    lo.timestamps = truthy(ctx.query.get("timestamps"));
    lo.previous = truthy(ctx.query.get("previous"));
    for (const char* name : {"tailLines", "limitBytes"}) {
        if (auto v = ctx.query.get(name); v && !v->empty()) {
            auto n = parse_int(*v);
            if (!n || *n < 0) {
                co_return to_response(model::bad_request(std::string(name) + ": Invalid value: \"" +
                                                         std::string(*v) + "\""));
            }
            (std::string_view(name) == "tailLines" ? lo.tail_lines : lo.limit_bytes) = *n;
        }
    }
    a.advance_now();
    auto first = a.federation().pod_log(scope.cluster, p.namespace_, p.name, lo);
    if (!first) {
        co_return to_response(first.error());
    }
    if (!truthy(ctx.query.get("follow")) || first->finished) {
        co_return broker::server::text_response(200, std::move(first->text), "text/plain");
    }
    response res;
    res.content_type = "text/plain";
    res.stream = [&a, cluster = scope.cluster, ns = p.namespace_, pod = p.name, lo,
                  chunk = std::move(*first)](chunk_writer& w) mutable -> net::awaitable<void> {
        if (!chunk.text.empty()) {
            const bool written = co_await w.write(chunk.text);  // not inside && (GCC 12)
            if (!written) {
                co_return;
            }
        }
        auto next = chunk.next_line;
        lo.tail_lines.reset();
        lo.limit_bytes.reset();
        while (!a.hub().closed()) {
            co_await a.hub().wait(a.options().log_poll_interval);
            a.advance_now();
            lo.from_line = next;
            auto more = a.federation().pod_log(cluster, ns, pod, lo);
            if (!more) {
                co_return; // the pod is gone
            }
            if (!more->text.empty()) {
                const bool written = co_await w.write(more->text);
                if (!written) {
                    co_return;
                }
            }
            next = more->next_line;
            if (more->finished) {
                co_return;
            }
        }
    };
    co_return res;
}

std::optional<model::patch_type> patch_type_of(const std::string& media)
{
    if (media == "application/merge-patch+json") {
        return model::patch_type::merge;
    }
    if (media == "application/strategic-merge-patch+json") {
        return model::patch_type::strategic;
    }
    if (media == "application/json-patch+json") {
        return model::patch_type::json_patch;
    }
    if (media == "application/apply-patch+yaml" || media == "application/apply-patch+json") {
        return model::patch_type::apply;
    }
    return std::nullopt;
}

} // namespace

broker::server::response to_response(const model::api_error& error)
{
    response r;
    r.status = static_cast<unsigned>(error.code);
    r.body = error.to_status().dump();
    if (error.details && error.details->retry_after_seconds) {
        r.headers.emplace_back("Retry-After", std::to_string(*error.details->retry_after_seconds));
    }
    return r;
}

std::optional<resource_path> parse_resource_path(std::string group, std::string version,
                                                 const std::vector<std::string>& rest)
{
    resource_path p;
    p.group = std::move(group);
    p.version = std::move(version);
    if (rest.empty()) {
        p.discovery = true;
        return p;
    }
    std::size_t i = 0;
    if (rest[0] == "namespaces" && rest.size() >= 3 &&
        !(rest.size() == 3 && (rest[2] == "status" || rest[2] == "finalize"))) {
        p.namespace_ = rest[1];
        i = 2;
    }
    std::size_t left = rest.size() - i;
    if (left < 1 || left > 3) {
        return std::nullopt;
    }
    p.resource = rest[i];
    if (left >= 2) {
        p.name = rest[i + 1];
    }
    if (left == 3) {
        p.subresource = rest[i + 2];
    }
    return p;
}

net::awaitable<response> serve_resource(app& a, const api_scope& scope, const resource_path& p,
                                        request_context& ctx)
{
    auto& registry = a.federation().registry();
    const auto* info = registry.find(p.group, p.version, p.resource);
    if (!info || !serves(scope.surface, *info) || (!info->namespaced && !p.namespace_.empty())) {
        co_return to_response(model::not_found_path());
    }
    auto& store = *scope.store;
    const std::string& m = ctx.method;
    const bool has_name = !p.name.empty();
    const std::string& sub = p.subresource;
    if (!sub.empty() && sub != "status" && !(sub == "log" && info->plural == "pods" && info->group.empty())) {
        co_return to_response(model::not_found_path());
    }
    std::vector<std::string> warnings;

    if (m == "GET" || m == "HEAD") {
        if (sub == "log") {
            a.count("requests.verb.get");
            co_return co_await serve_pod_log(a, scope, p, ctx);
        }
        bool watch = truthy(ctx.query.get("watch"));
        if (watch) {
            a.count("requests.verb.watch");
            co_return start_watch(a, scope, *info, p, ctx);
        }
        if (has_name) {
            a.count("requests.verb.get");
            auto obj = store.get(*info, p.namespace_, p.name);
            if (!obj) {
                co_return to_response(obj.error());
            }
            co_return object_reply(200, *obj, *info, ctx, store);
        }
        a.count("requests.verb.list");
        auto lo = parse_list_options(ctx);
        if (!lo) {
            co_return to_response(lo.error());
        }
        auto page = store.list(*info, p.namespace_, *lo);
        if (!page) {
            co_return to_response(page.error());
        }
        if (wants_table(ctx.headers.value_or("Accept", ""))) {
            json meta = {{"resourceVersion", page->resource_version}};
            if (!page->continue_token.empty()) {
                meta["continue"] = page->continue_token;
            }
            if (page->remaining_item_count) {
                meta["remainingItemCount"] = *page->remaining_item_count;
            }
            co_return json_reply(200, to_table(*info, page->items, app::now(), meta));
        }
        // The cached per-object texts make a large list a concatenation, not a re-dump.
        response r;
        r.status = 200;
        r.body = store.serialize_list(*info, *page);
        co_return r;
    }

    if (m == "POST") {
        if (has_name) {
            co_return to_response(model::method_not_allowed());
        }
        a.count("requests.verb.create");
        auto wo = parse_write_options(ctx, &warnings);
        if (!wo) {
            co_return to_response(wo.error());
        }
        auto body = parse_body(ctx, true);
        if (!body) {
            co_return to_response(body.error());
        }
        auto created = store.create(*info, p.namespace_, std::move(*body), *wo);
        if (!created) {
            co_return to_response(created.error());
        }
        a.advance_now();
        co_return warned_reply(201, **created, warnings);
    }

    if (m == "PUT") {
        if (!has_name) {
            co_return to_response(model::method_not_allowed());
        }
        a.count("requests.verb.update");
        auto wo = parse_write_options(ctx, &warnings);
        if (!wo) {
            co_return to_response(wo.error());
        }
        auto body = parse_body(ctx, true);
        if (!body) {
            co_return to_response(body.error());
        }
        auto updated =
            store.update(*info, p.namespace_, p.name, std::move(*body), *wo, sub == "status");
        if (!updated) {
            co_return to_response(updated.error());
        }
        a.advance_now();
        co_return warned_reply(200, **updated, warnings);
    }

    if (m == "PATCH") {
        if (!has_name) {
            co_return to_response(model::method_not_allowed());
        }
        a.count("requests.verb.patch");
        auto type = patch_type_of(media_type(ctx));
        if (!type) {
            model::api_error e;
            e.code = 415;
            e.reason = "UnsupportedMediaType";
            e.message = "the body of the request was in an unknown format - accepted media types "
                        "include: application/json-patch+json, application/merge-patch+json, "
                        "application/apply-patch+yaml, application/strategic-merge-patch+json";
            co_return to_response(e);
        }
        auto wo = parse_write_options(ctx, &warnings);
        if (!wo) {
            co_return to_response(wo.error());
        }
        auto body = parse_body(ctx, *type == model::patch_type::apply);
        if (!body) {
            co_return to_response(body.error());
        }
        bool existed = store.find(*info, p.namespace_, p.name) != nullptr;
        auto patched = store.patch(*info, p.namespace_, p.name, *type, *body, *wo, sub == "status");
        if (!patched) {
            co_return to_response(patched.error());
        }
        a.advance_now();
        co_return warned_reply(existed ? 200 : 201, **patched, warnings);
    }

    if (m == "DELETE") {
        a.count("requests.verb.delete");
        auto d = parse_delete_options(ctx);
        if (!d) {
            co_return to_response(d.error());
        }
        if (!has_name) {
            auto lo = parse_list_options(ctx);
            if (!lo) {
                co_return to_response(lo.error());
            }
            auto removed = store.remove_collection(*info, p.namespace_, *lo, *d);
            if (!removed) {
                co_return to_response(removed.error());
            }
            a.advance_now();
            co_return json_reply(200, *removed);
        }
        auto removed = store.remove(*info, p.namespace_, p.name, *d);
        if (!removed) {
            co_return to_response(removed.error());
        }
        a.advance_now();
        co_return json_reply(200, removed->body);
    }
    co_return to_response(model::method_not_allowed());
}

response discovery_response(app& a, const api_scope& scope, const std::vector<std::string>& segs,
                            request_context& ctx)
{
    auto& registry = a.federation().registry();
    const auto accept = ctx.headers.value_or("Accept", "");
    auto reply = [](const json& body) { return json_reply(200, body); };
    auto not_found = [] { return to_response(model::not_found_path()); };
    auto n = segs.size();
    if (n == 1 && segs[0] == "version") {
        return reply(version_info(scope.version));
    }
    if (n == 1 && (segs[0] == "healthz" || segs[0] == "livez" || segs[0] == "readyz")) {
        return broker::server::text_response(200, "ok");
    }
    if (n == 1 && (segs[0] == "api" || segs[0] == "apis")) {
        bool legacy = segs[0] == "api";
        if (wants_aggregated_discovery(accept)) {
            auto r = reply(aggregated_discovery(registry, scope.surface, legacy));
            r.content_type = std::string(aggregated_discovery_content_type);
            r.headers.emplace_back("Vary", "Accept");
            return r;
        }
        auto r = reply(legacy ? api_versions(a.server_address())
                              : api_group_list(registry, scope.surface));
        r.headers.emplace_back("Vary", "Accept");
        return r;
    }
    if (n == 2 && segs[0] == "apis") {
        auto g = api_group(registry, scope.surface, segs[1]);
        return g.is_null() ? not_found() : reply(g);
    }
    if (n >= 2 && segs[0] == "openapi") {
        if (segs[1] != "v3") {
            return not_found(); // no /openapi/v2: kubectl tolerates the 404
        }
        if (n == 2) {
            return reply(openapi_v3_root(registry, scope.surface, scope.url_prefix));
        }
        json doc;
        if (n == 4 && segs[2] == "api") {
            doc = openapi_v3_group_version(registry, scope.surface, "", segs[3]);
        } else if (n == 5 && segs[2] == "apis") {
            doc = openapi_v3_group_version(registry, scope.surface, segs[3], segs[4]);
        }
        return doc.is_null() ? not_found() : reply(doc);
    }
    response none;
    none.status = 0;
    return none;
}

net::awaitable<response> serve_api_root(app& a, const api_scope& scope,
                                        const std::vector<std::string>& segs, request_context& ctx)
{
    if (ctx.method == "GET" || ctx.method == "HEAD") {
        auto d = discovery_response(a, scope, segs, ctx);
        if (d.status != 0) {
            co_return d;
        }
    }
    std::optional<resource_path> p;
    if (segs.size() >= 2 && segs[0] == "api" && segs[1] == "v1") {
        p = parse_resource_path("", "v1", std::vector<std::string>(segs.begin() + 2, segs.end()));
    } else if (segs.size() >= 3 && segs[0] == "apis") {
        p = parse_resource_path(segs[1], segs[2], std::vector<std::string>(segs.begin() + 3, segs.end()));
    }
    if (!p) {
        co_return to_response(model::not_found_path());
    }
    if (p->discovery) {
        if (ctx.method != "GET" && ctx.method != "HEAD") {
            co_return to_response(model::method_not_allowed());
        }
        auto list = api_resource_list(a.federation().registry(), scope.surface, p->group,
                                      p->version);
        co_return list.is_null() ? to_response(model::not_found_path()) : json_reply(200, list);
    }
    co_return co_await serve_resource(a, scope, *p, ctx);
}

} // namespace fedsim::api
