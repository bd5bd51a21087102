#include "proxy/federated_reader.hpp"

#include "proxy/fanout.hpp"

#include <algorithm>
#include <charconv>

namespace proxy {

namespace {

using nlohmann::json;

json status_json(unsigned code, std::string reason, std::string message)
{
    json s = json::object();
    s["kind"] = "Status";
    s["apiVersion"] = "v1";
    s["metadata"] = json::object();
    s["status"] = "Failure";
    s["message"] = std::move(message);
    s["reason"] = std::move(reason);
    s["code"] = code;
    return s;
}

aggregate_failure failure_of(const member_outcome& o)
{
    const auto& e = o.result.error();
    std::string reason = e.reason.empty() ? std::string("MemberError") : e.reason;
    if (o.timed_out()) {
        reason = "Timeout";
    }
    return {o.member, std::move(reason), e.message, o.timed_out()};
}

json failures_json(const std::vector<aggregate_failure>& failures)
{
    json out = json::array();
    for (const auto& f : failures) {
        json one = json::object();
        one["cluster"] = f.cluster;
        one["reason"] = f.reason;
        one["message"] = f.message;
        out.push_back(std::move(one));
    }
    return out;
}

/// 502 or 504 when nothing was answered (see federated_reader::list).
unsigned gateway_status(const std::vector<aggregate_failure>& failures)
{
    const bool all_timed_out = std::all_of(failures.begin(), failures.end(),
                                           [](const aggregate_failure& f) { return f.timed_out; });
    return all_timed_out ? 504 : 502;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text)
{
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || value <= 0 || ptr == text.data()) {
        return std::nullopt;
    }
    const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
    std::int64_t ms = 0;
    if (unit == "ms") {
        ms = value;
    } else if (unit == "s") {
        ms = value > 300 ? 0 : value * 1000;
    } else if (unit == "m") {
        ms = value > 5 ? 0 : value * 60000;
    } else {
        return std::nullopt;
    }
    if (ms <= 0 || ms > 300000) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(ms);
}

federated_reader::federated_reader(kube_client client, member_registry& members,
                                   reader_options options)
    : client_(std::move(client)),
      members_(members),
      options_(std::move(options)),
      limiter_(member_limiter::create(options_.max_in_flight_per_member))
{
}

net::awaitable<kube_result<json_response>> federated_reader::call(
    std::string member, std::string path, std::chrono::milliseconds timeout)
{
    auto slot = co_await limiter_->acquire(member);
    if (!slot) {
        co_return transport_error(kube_errc::cancelled, "cancelled while waiting for member " +
                                                            member);
    }
    call_options o;
    o.timeout = timeout;
    co_return co_await client_.get(std::move(path), std::move(o));
}

net::awaitable<read_result> federated_reader::list(list_query query)
{
    read_result out;
    const auto timeout = query.timeout.value_or(options_.member_timeout);
    const auto fingerprint = query_fingerprint(query.kind.group_version() + "/" + query.kind.plural,
                                               query.ns, query.label_selector);
    page_cursor start;
    start.query = fingerprint;
    if (!query.continue_token.empty()) {
        std::string error;
        auto decoded = decode_cursor(query.continue_token, fingerprint, error);
        if (!decoded) {
            out.http_status = 400;
            out.body = status_json(400, "BadRequest", error);
            co_return out;
        }
        start = std::move(*decoded);
    }
    if (query.limit > options_.max_limit) {
        query.limit = options_.max_limit;
    }

    auto snapshot = members_.snapshot();
    std::vector<std::string> asked;
    std::vector<std::string> failed_names;
    for (const auto& m : *snapshot) {
        if (query.only_cluster && m.name != *query.only_cluster) {
            continue;
        }
        if (start.position(m.name).done) {
            continue;
        }
        if (!m.ready) {
            out.failures.push_back({m.name, "ClusterNotReady",
                                    "member " + m.name + " is not Ready (" + m.ready_status +
                                        (m.ready_reason.empty() ? "" : ", " + m.ready_reason) +
                                        ")",
                                    false});
            failed_names.push_back(m.name);
            continue;
        }
        asked.push_back(m.name);
    }
    if (query.only_cluster && asked.empty() && out.failures.empty() &&
        std::none_of(snapshot->begin(), snapshot->end(),
                     [&](const member_cluster& m) { return m.name == *query.only_cluster; })) {
        out.http_status = 404;
        out.body = status_json(404, "NotFound",
                               "clusters.cluster.karmada.io \"" + *query.only_cluster +
                                   "\" not found");
        co_return out;
    }

    const auto base = query.kind.collection_path(query.ns);
    const auto limit = query.limit;
    const auto selector = query.label_selector;
    // Built as a local: g++ 12 mishandles non-trivial temporaries inside a co_await
    // expression (double destruction).
    member_call list_call =
        [this, &start, base, limit, selector, timeout](
            const std::string& member) -> net::awaitable<kube_result<json_response>> {
            const auto& from = start.position(member);
            auto path = cluster_proxy_path(member, base);
            if (!selector.empty()) {
                path = append_query(std::move(path), "labelSelector", selector);
            }
            if (limit > 0) {
                // Enough to fill a page after skipping what earlier pages returned.
                path = append_query(std::move(path), "limit",
                                    std::to_string(limit + static_cast<std::size_t>(from.skip)));
                if (!from.continue_token.empty()) {
                    path = append_query(std::move(path), "continue", from.continue_token);
                }
            }
            co_return co_await call(member, std::move(path), timeout);
        };
    auto outcomes = co_await fan_out(std::move(asked), timeout, std::move(list_call));

    std::vector<member_page> pages;
    std::string kind = query.kind.kind + "List";
    for (auto& o : outcomes) {
        if (!o.result) {
            out.failures.push_back(failure_of(o));
            failed_names.push_back(o.member);
            continue;
        }
        auto& body = o.result->body;
        auto items = body.is_object() ? body.find("items") : body.end();
        if (items == body.end() || !(items->is_array() || items->is_null())) {
            out.failures.push_back(
                {o.member, "BadResponse", "the member's answer is not a list", false});
            failed_names.push_back(o.member);
            continue;
        }
        if (items->is_array() && items->size() > options_.max_items) {
            out.failures.push_back({o.member, "TooManyItems",
                                    "the member answered more than " +
                                        std::to_string(options_.max_items) +
                                        " items; use limit",
                                    false});
            failed_names.push_back(o.member);
            continue;
        }
        member_page page;
        page.cluster = o.member;
        if (items->is_array()) {
            page.items = std::move(*items);
        }
        if (auto meta = body.find("metadata"); meta != body.end() && meta->is_object()) {
            page.next_continue = meta->value("continue", std::string());
        }
        pages.push_back(std::move(page));
        // The member's body is not needed past this point: free it as early as possible.
        o.result->body = nullptr;
    }
    const bool answered = !pages.empty();

    merge_options mo;
    mo.limit = limit;
    mo.cluster_annotation = options_.cluster_annotation;
    mo.keep = query.keep;
    auto merged = merge_pages(std::move(pages), failed_names, start, mo);

    json metadata = json::object();
    if (limit > 0 && merged.more) {
        metadata["continue"] = encode_cursor(merged.next);
    }
    out.body = json::object();
    out.body["apiVersion"] = query.kind.group_version();
    out.body["kind"] = kind;
    out.body["metadata"] = std::move(metadata);
    out.body["items"] = std::move(merged.items);
    out.body["failures"] = failures_json(out.failures);
    if (!answered && !out.failures.empty()) {
        out.http_status = gateway_status(out.failures);
    }
    co_return out;
}

net::awaitable<read_result> federated_reader::get(resource_kind kind, std::string ns,
                                                  std::string name,
                                                  std::optional<std::string> cluster,
                                                  std::optional<std::chrono::milliseconds> timeout)
{
    read_result out;
    const auto deadline = timeout.value_or(options_.member_timeout);
    auto snapshot = members_.snapshot();
    std::vector<std::string> asked;
    for (const auto& m : *snapshot) {
        if (cluster && m.name != *cluster) {
            continue;
        }
        if (!m.ready) {
            out.failures.push_back({m.name, "ClusterNotReady",
                                    "member " + m.name + " is not Ready", false});
            continue;
        }
        asked.push_back(m.name);
    }
    const std::string resource =
        kind.group.empty() ? kind.plural : kind.plural + "." + kind.group;
    if (cluster && asked.empty() && out.failures.empty()) {
        out.http_status = 404;
        out.body = status_json(404, "NotFound",
                               "clusters.cluster.karmada.io \"" + *cluster + "\" not found");
        co_return out;
    }
    const auto path = kind.collection_path(ns) + "/" + name;
    member_call get_call = [this, path, deadline](const std::string& member)
        -> net::awaitable<kube_result<json_response>> {
        auto member_path = cluster_proxy_path(member, path);
        co_return co_await call(member, std::move(member_path), deadline);
    };
    auto outcomes = co_await fan_out(std::move(asked), deadline, std::move(get_call));
    std::vector<std::pair<std::string, json>> found;
    for (auto& o : outcomes) {
        if (o.result) {
            found.emplace_back(o.member, std::move(o.result->body));
        } else if (!o.result.error().not_found()) {
            out.failures.push_back(failure_of(o));
        }
    }
    if (found.size() == 1) {
        auto& object = found.front().second;
        if (object.is_object()) {
            object["metadata"]["annotations"][options_.cluster_annotation] = found.front().first;
        }
        out.body = std::move(object);
        co_return out;
    }
    if (found.size() > 1) {
        std::string names;
        json clusters = json::array();
        for (const auto& [c, object] : found) {
            names += (names.empty() ? "" : ", ") + c;
            clusters.push_back(c);
        }
        out.http_status = 409;
        out.body = status_json(409, "Conflict",
                               resource + " \"" + name + "\" exists in several clusters (" +
                                   names + "); choose one with ?cluster=<name>");
        json details = json::object();
        details["name"] = name;
        details["kind"] = kind.plural;
        json causes = json::array();
        for (const auto& [c, object] : found) {
            json cause = json::object();
            cause["reason"] = "FieldValueDuplicate";
            cause["message"] = "exists in cluster " + c;
            cause["field"] = "cluster";
            causes.push_back(std::move(cause));
        }
        details["causes"] = std::move(causes);
        out.body["details"] = std::move(details);
        co_return out;
    }
    if (out.failures.empty()) {
        out.http_status = 404;
        out.body = status_json(404, "NotFound", resource + " \"" + name + "\" not found");
        json details = json::object();
        details["name"] = name;
        details["kind"] = kind.plural;
        out.body["details"] = std::move(details);
        co_return out;
    }
    out.http_status = gateway_status(out.failures);
    std::string why;
    for (const auto& f : out.failures) {
        why += (why.empty() ? "" : "; ") + f.cluster + ": " + f.reason;
    }
    out.body = status_json(out.http_status, out.http_status == 504 ? "Timeout" : "BadGateway",
                           resource + " \"" + name + "\" not found in the members that answered; " +
                               "members failed: " + why);
    co_return out;
}

}  // namespace proxy
