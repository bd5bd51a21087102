#include "proxy/federated_reader.hpp"

#include "proxy/fanout.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>
#include <tuple>

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

aggregate_failure failure_of_error(const std::string& member, const kube_error& e,
                                   bool timed_out)
{
    std::string reason = e.reason.empty() ? std::string("MemberError") : e.reason;
    if (timed_out) {
        reason = "Timeout";
    }
    return {member, std::move(reason), e.message, timed_out};
}

aggregate_failure failure_of(const member_outcome& o)
{
    return failure_of_error(o.member, o.result.error(), o.timed_out());
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

/// The answer up to and including `"items":[`.
std::string list_head(const resource_kind& kind)
{
    return "{\"apiVersion\":" + json_quote(kind.group_version()) +
           ",\"kind\":" + json_quote(kind.kind + "List") + ",\"metadata\":{},\"items\":[";
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
      limiter_(member_limiter::create(options_.max_in_flight_per_member)),
      memo_(std::make_shared<scan_memo>(scan_memo_options{.max_bytes = options_.scan_memo_bytes}))
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

std::optional<read_result> federated_reader::select_members(
    const list_query& query, const page_cursor& start, std::vector<std::string>& asked,
    std::vector<aggregate_failure>& failures, std::vector<std::string>& failed_names) const
{
    auto snapshot = members_.snapshot();
    for (const auto& m : *snapshot) {
        if (query.only_cluster && m.name != *query.only_cluster) {
            continue;
        }
        if (start.position(m.name).done) {
            continue;
        }
        if (!m.ready) {
            failures.push_back({m.name, "ClusterNotReady",
                                "member " + m.name + " is not Ready (" + m.ready_status +
                                    (m.ready_reason.empty() ? "" : ", " + m.ready_reason) + ")",
                                false});
            failed_names.push_back(m.name);
            continue;
        }
        asked.push_back(m.name);
    }
    if (query.only_cluster && asked.empty() && failures.empty() &&
        std::none_of(snapshot->begin(), snapshot->end(),
                     [&](const member_cluster& m) { return m.name == *query.only_cluster; })) {
        read_result out;
        out.http_status = 404;
        out.body = status_json(404, "NotFound",
                               "clusters.cluster.karmada.io \"" + *query.only_cluster +
                                   "\" not found");
        return out;
    }
    return std::nullopt;
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

    std::vector<std::string> asked;
    std::vector<std::string> failed_names;
    if (auto not_found = select_members(query, start, asked, out.failures, failed_names)) {
        co_return std::move(*not_found);
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

// --- the splice path -------------------------------------------------------------------

std::size_t spliced_list::size_hint() const
{
    std::size_t n = head_.size() + tail_.size();
    for (const auto& p : parts_) {
        // The marker adds at most `"metadata":{"annotations":{k:v}},` to each item.
        n += p.text.size() +
             p.list.items.size() * (p.marker.key_json.size() + p.marker.cluster_json.size() + 36);
    }
    return n;
}

bool spliced_list::write_some(std::string& out, std::size_t max_bytes)
{
    if (done_) {
        return false;
    }
    const std::size_t start = out.size();
    if (!head_done_) {
        out.append(head_);
        head_done_ = true;
        std::string().swap(head_);
    }
    while (part_ < parts_.size()) {
        auto& p = parts_[part_];
        while (item_ < p.list.items.size()) {
            if (wrote_item_) {
                out.push_back(',');
            }
            append_marked_item(out, p.text, p.list.items[item_++], p.marker);
            wrote_item_ = true;
            if (out.size() - start >= max_bytes) {
                return true;
            }
        }
        // This member is written: give its text back now, not with the whole answer.
        std::string().swap(p.text);
        std::vector<list_item>().swap(p.list.items);
        ++part_;
        item_ = 0;
    }
    out.append(tail_);
    done_ = true;
    return false;
}

std::string spliced_list::take_all()
{
    std::string out;
    out.reserve(size_hint());
    while (write_some(out, static_cast<std::size_t>(-1))) {
    }
    return out;
}

net::awaitable<kube_result<scanned_member>> federated_reader::call_scanned(
    std::string member, std::string path, std::chrono::milliseconds timeout, member_slot slot)
{
    if (!slot) {
        slot = co_await limiter_->acquire(member);
    }
    if (!slot) {
        co_return transport_error(kube_errc::cancelled, "cancelled while waiting for member " +
                                                            member);
    }
    call_options o;
    o.timeout = timeout;
    const std::string memo_key = path;  // names the member: a cluster proxy path
    auto answer = co_await client_.request("GET", std::move(path), {}, {}, std::move(o));
    if (!answer) {
        co_return std::move(answer.error());
    }
    if (answer->status / 100 != 2) {
        co_return status_error(answer->status, answer->body);
    }
    scanned_member out;
    out.text = std::move(answer->body);
    scan_options so;
    so.max_items = options_.max_items;
    so.marker_key = options_.cluster_annotation;
    scan_error why = scan_error::none;
    std::string message;
    auto scanned = memo_->scan(memo_key, out.text, so, why, message);
    if (!scanned) {
        kube_error e = transport_error(kube_errc::bad_response,
                                       why == scan_error::too_many_items
                                           ? "the member answered more than " +
                                                 std::to_string(options_.max_items) +
                                                 " items; use limit"
                                           : why == scan_error::not_a_list
                                                 ? std::string("the member's answer is not a list")
                                                 : "the member's answer is not valid JSON: " +
                                                       message);
        e.reason = why == scan_error::too_many_items ? "TooManyItems" : "BadResponse";
        co_return e;
    }
    out.list = std::move(*scanned);
    co_return out;
}

scanned_call federated_reader::make_list_call(const list_query& query,
                                              std::chrono::milliseconds timeout,
                                              member_slot* held)
{
    return [this, base = query.kind.collection_path(query.ns), selector = query.label_selector,
            timeout, keep = query.keep,
            held](const std::string& member) -> net::awaitable<kube_result<scanned_member>> {
        auto path = cluster_proxy_path(member, base);
        if (!selector.empty()) {
            path = append_query(std::move(path), "labelSelector", selector);
        }
        member_slot slot;
        if (held != nullptr) {
            slot = std::move(*held);
        }
        auto answer = co_await call_scanned(member, std::move(path), timeout, std::move(slot));
        if (answer) {
            auto& items = answer->list.items;
            if (keep) {
                // Filters decide on (namespace, name) only: give them just that.
                std::erase_if(items, [&](const list_item& it) {
                    nlohmann::json meta = nlohmann::json::object();
                    meta["namespace"] = it.ns;
                    meta["name"] = it.name;
                    nlohmann::json item = nlohmann::json::object();
                    item["metadata"] = std::move(meta);
                    return !keep(item);
                });
            }
            if (!answer->list.sorted) {
                std::stable_sort(items.begin(), items.end(),
                                 [](const list_item& a, const list_item& b) {
                                     return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
                                 });
            }
        }
        co_return answer;
    };
}

net::awaitable<spliced_list> federated_reader::list_spliced(list_query query)
{
    spliced_list out;
    if (query.limit > 0 || !query.continue_token.empty()) {
        auto paged = co_await list(std::move(query));
        out.http_status = paged.http_status;
        out.failures = std::move(paged.failures);
        out.head_ = paged.body.dump();
        co_return out;
    }
    const auto timeout = query.timeout.value_or(options_.member_timeout);
    page_cursor start;
    std::vector<std::string> asked;
    std::vector<std::string> failed_names;
    if (auto not_found = select_members(query, start, asked, out.failures, failed_names)) {
        out.http_status = not_found->http_status;
        out.head_ = not_found->body.dump();
        co_return out;
    }
    // One member with a free slot (the per-cluster route, usually): called directly, without
    // fan_out's child coroutines and timer race; the client's own deadline (the member
    // timeout, from now) bounds the call just the same.
    member_slot held;
    if (asked.size() == 1) {
        held = limiter_->try_acquire(asked.front());
    }
    scanned_call list_call = make_list_call(query, timeout, &held);
    std::vector<scanned_outcome> outcomes;
    if (held) {
        scanned_outcome one;
        one.member = asked.front();
        const auto started = std::chrono::steady_clock::now();
        one.result = co_await list_call(one.member);
        one.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        outcomes.push_back(std::move(one));
    } else {
        outcomes = co_await fan_out(std::move(asked), timeout, std::move(list_call));
    }
    std::sort(outcomes.begin(), outcomes.end(),
              [](const scanned_outcome& a, const scanned_outcome& b) {
                  return a.member < b.member;
              });
    std::vector<aggregate_failure> call_failures;
    for (auto& o : outcomes) {
        if (!o.result) {
            call_failures.push_back(failure_of_error(o.member, o.result.error(), o.timed_out()));
            continue;
        }
        out.parts_.push_back({std::move(o.result->text), std::move(o.result->list),
                              cluster_marker(options_.cluster_annotation, o.member)});
    }
    // Failures in the order `list` reports them: not Ready first, then the calls' order.
    std::sort(call_failures.begin(), call_failures.end(),
              [&](const aggregate_failure& a, const aggregate_failure& b) {
                  return a.cluster < b.cluster;
              });
    for (auto& f : call_failures) {
        out.failures.push_back(std::move(f));
    }
    if (out.parts_.empty() && !out.failures.empty()) {
        out.http_status = gateway_status(out.failures);
    }
    out.head_ = list_head(query.kind);
    out.tail_ = "],\"failures\":" + failures_json(out.failures).dump() + "}";
    co_return out;
}

// --- the streamed path ------------------------------------------------------------------

struct streamed_list::state {
    explicit state(net::any_io_executor executor)
        : wake(std::move(executor), std::chrono::steady_clock::time_point::max())
    {
    }

    /// Set when the whole answer was made before list_streamed returned.
    std::optional<spliced_list> whole;
    unsigned http_status = 200;
    std::vector<std::string> names;  ///< the members called, in name order
    std::vector<std::optional<scanned_outcome>> outcomes;  ///< by index into `names`
    std::size_t remaining = 0;                             ///< members not yet in
    bool any_ok = false;
    /// Not Ready first (from the start), then the calls' failures as they are written.
    std::vector<aggregate_failure> failures;
    std::string marker_key;
    std::string head;
    std::size_t part = 0;
    std::size_t item = 0;
    bool head_done = false;
    bool wrote_item = false;
    bool done = false;
    std::optional<cluster_marker> marker;
    net::steady_timer wake;  ///< cancelled to wake the writer when a member is in
    net::cancellation_signal cancel;

    void deliver(std::size_t index, scanned_outcome outcome)
    {
        if (index >= outcomes.size() || outcomes[index]) {
            return;
        }
        any_ok = any_ok || static_cast<bool>(outcome.result);
        outcomes[index] = std::move(outcome);
        --remaining;
        wake.cancel();
    }

    /// Members the fan-out could not deliver (it failed as a whole) count as failed.
    void fail_rest()
    {
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            if (!outcomes[i]) {
                scanned_outcome o;
                o.member = names[i];
                o.result = transport_error(kube_errc::cancelled,
                                           "the call to member " + names[i] + " did not run");
                deliver(i, std::move(o));
            }
        }
    }

    bool next_ready() const { return whole || part >= names.size() || outcomes[part]; }
};

streamed_list::~streamed_list()
{
    if (state_ && state_->remaining > 0) {
        state_->cancel.emit(net::cancellation_type::terminal);
    }
}

unsigned streamed_list::http_status() const
{
    return state_ ? state_->http_status : 200;
}

bool streamed_list::complete() const
{
    return !state_ || state_->whole || state_->remaining == 0;
}

std::size_t streamed_list::size_hint() const
{
    if (!state_) {
        return 0;
    }
    const auto& s = *state_;
    if (s.whole) {
        return s.whole->size_hint();
    }
    std::size_t n = s.head.size() + 64 + s.failures.size() * 128;
    for (std::size_t i = s.part; i < s.outcomes.size(); ++i) {
        const auto& o = s.outcomes[i];
        if (o && o->result) {
            n += o->result->text.size() +
                 o->result->list.items.size() * (s.marker_key.size() + o->member.size() + 40);
        } else if (o) {
            n += 128;
        }
    }
    return n;
}

streamed_list::progress streamed_list::write_some(std::string& out, std::size_t max_bytes)
{
    if (!state_) {
        return progress::done;
    }
    auto& s = *state_;
    if (s.whole) {
        return s.whole->write_some(out, max_bytes) ? progress::more : progress::done;
    }
    if (s.done) {
        return progress::done;
    }
    const std::size_t start = out.size();
    if (!s.head_done) {
        out.append(s.head);
        s.head_done = true;
        std::string().swap(s.head);
    }
    while (s.part < s.names.size()) {
        auto& slot = s.outcomes[s.part];
        if (!slot) {
            return progress::wait;
        }
        if (!slot->result) {
            s.failures.push_back(
                failure_of_error(slot->member, slot->result.error(), slot->timed_out()));
        } else {
            if (!s.marker) {
                s.marker.emplace(s.marker_key, slot->member);
            }
            const auto& text = slot->result->text;
            const auto& items = slot->result->list.items;
            while (s.item < items.size()) {
                if (s.wrote_item) {
                    out.push_back(',');
                }
                append_marked_item(out, text, items[s.item++], *s.marker);
                s.wrote_item = true;
                if (out.size() - start >= max_bytes) {
                    return progress::more;
                }
            }
        }
        // This member is written: give its text back now, not with the whole answer.
        slot.reset();
        s.marker.reset();
        ++s.part;
        s.item = 0;
    }
    out.append("],\"failures\":");
    out.append(failures_json(s.failures).dump());
    out.push_back('}');
    s.done = true;
    return progress::done;
}

net::awaitable<void> streamed_list::wait_ready()
{
    if (!state_) {
        co_return;
    }
    auto& s = *state_;
    while (!s.next_ready()) {
        s.wake.expires_at(std::chrono::steady_clock::time_point::max());
        co_await s.wake.async_wait(net::as_tuple(net::use_awaitable));
        auto cs = co_await net::this_coro::cancellation_state;
        if (cs.cancelled() != net::cancellation_type::none) {
            throw boost::system::system_error(net::error::operation_aborted);
        }
    }
}

std::string streamed_list::take_all()
{
    std::string out;
    out.reserve(size_hint());
    while (write_some(out, static_cast<std::size_t>(-1)) == progress::more) {
    }
    return out;
}

net::awaitable<streamed_list> federated_reader::list_streamed(list_query query)
{
    streamed_list out;
    const auto executor = co_await net::this_coro::executor;
    out.state_ = std::make_shared<streamed_list::state>(executor);
    auto& s = *out.state_;
    if (query.limit > 0 || !query.continue_token.empty()) {
        s.whole = co_await list_spliced(std::move(query));
        s.http_status = s.whole->http_status;
        co_return out;
    }
    page_cursor start;
    std::vector<std::string> asked;
    std::vector<std::string> failed_names;
    std::vector<aggregate_failure> failures;
    if (auto not_found = select_members(query, start, asked, failures, failed_names)) {
        spliced_list whole;
        whole.http_status = not_found->http_status;
        whole.head_ = not_found->body.dump();
        s.http_status = whole.http_status;
        s.whole = std::move(whole);
        co_return out;
    }
    if (asked.size() <= 1) {
        // Nothing to overlap: the direct one-member path of list_spliced is cheaper.
        s.whole = co_await list_spliced(std::move(query));
        s.http_status = s.whole->http_status;
        co_return out;
    }
    std::sort(asked.begin(), asked.end());
    const auto timeout = query.timeout.value_or(options_.member_timeout);
    s.failures = std::move(failures);
    s.names = asked;
    s.outcomes.resize(asked.size());
    s.remaining = asked.size();
    s.marker_key = options_.cluster_annotation;
    s.head = list_head(query.kind);
    auto st = out.state_;
    scanned_sink sink = [st](std::size_t index, scanned_outcome outcome) {
        st->deliver(index, std::move(outcome));
    };
    // The fan-out outlives this coroutine: the writer takes the members' answers as they come.
    // It runs on this executor (the caller's strand), so the state needs no lock; destroying
    // `out` cancels it through `cancel`.
    net::co_spawn(executor,
                  fan_out_each(std::move(asked), timeout, make_list_call(query, timeout, nullptr),
                               std::move(sink)),
                  net::bind_cancellation_slot(s.cancel.slot(), [st](std::exception_ptr e) {
                      if (e) {
                          st->fail_rest();
                      }
                  }));
    // Headers wait for the first member that answers (200), or for all to fail (502/504).
    while (!s.any_ok && s.remaining > 0) {
        s.wake.expires_at(std::chrono::steady_clock::time_point::max());
        co_await s.wake.async_wait(net::as_tuple(net::use_awaitable));
        auto cs = co_await net::this_coro::cancellation_state;
        if (cs.cancelled() != net::cancellation_type::none) {
            throw boost::system::system_error(net::error::operation_aborted);
        }
    }
    if (!s.any_ok) {
        std::vector<aggregate_failure> all = s.failures;
        for (const auto& o : s.outcomes) {
            all.push_back(failure_of_error(o->member, o->result.error(), o->timed_out()));
        }
        s.http_status = gateway_status(all);
    }
    co_return out;
}

}  // namespace proxy
