#include "proxy/reflector.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

namespace proxy {

std::string object_key(const nlohmann::json& object)
{
    if (!object.is_object()) {
        return {};
    }
    const auto meta = object.find("metadata");
    if (meta == object.end() || !meta->is_object()) {
        return {};
    }
    const auto name = meta->find("name");
    if (name == meta->end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
        return {};
    }
    const auto ns = meta->find("namespace");
    if (ns != meta->end() && ns->is_string() && !ns->get_ref<const std::string&>().empty()) {
        return ns->get<std::string>() + "/" + name->get<std::string>();
    }
    return name->get<std::string>();
}

namespace {

std::string resource_version_of(const nlohmann::json& object)
{
    const auto meta = object.find("metadata");
    if (meta == object.end() || !meta->is_object()) {
        return {};
    }
    const auto rv = meta->find("resourceVersion");
    return rv != meta->end() && rv->is_string() ? rv->get<std::string>() : std::string{};
}

}  // namespace

struct reflector::state {
    state(const kube_client& c, reflector_options o, change_handler h)
        : client(c), strand(c.strand()), options(std::move(o)), on_change(std::move(h)),
          jitter(options.reconnect, options.seed), published(std::make_shared<object_cache>())
    {
    }

    kube_client client;  // a handle sharing the caller's client
    net::any_io_executor strand;
    reflector_options options;
    change_handler on_change;

    // Strand-confined.
    backoff jitter;
    object_cache working;
    net::cancellation_signal cancel;
    bool started = false;
    bool stopped = false;

    // Shared with readers.
    mutable std::mutex mu;
    std::shared_ptr<const object_cache> published;
    std::atomic<bool> synced{false};
    std::atomic<std::uint64_t> lists{0}, list_failures{0}, relists_on_gone{0}, watch_failures{0},
        events{0}, bad_events{0};

    void publish(const std::vector<cache_change>& changes)
    {
        std::shared_ptr<const object_cache> snapshot;
        if (options.publish_snapshots) {
            snapshot = std::make_shared<const object_cache>(working);
            std::lock_guard lock(mu);
            published = snapshot;
        }
        if (on_change && !stopped) {
            on_change(changes, snapshot);
        }
    }

    /// Replaces the cache with a fresh list and reports the difference.
    void replace(std::vector<nlohmann::json> items)
    {
        object_cache fresh;
        for (auto& item : items) {
            auto key = object_key(item);
            if (key.empty()) {
                ++bad_events;
                continue;
            }
            fresh[std::move(key)] = std::make_shared<const nlohmann::json>(std::move(item));
        }
        std::vector<cache_change> changes;
        for (const auto& [key, object] : fresh) {
            const auto old = working.find(key);
            if (old == working.end()) {
                changes.push_back({change_type::added, key, object});
            } else if (resource_version_of(*old->second) != resource_version_of(*object) ||
                       resource_version_of(*object).empty()) {
                changes.push_back({change_type::modified, key, object});
            }
        }
        for (const auto& [key, object] : working) {
            if (!fresh.contains(key)) {
                changes.push_back({change_type::deleted, key, object});
            }
        }
        if (options.cache_transform) {
            for (auto& [key, object] : fresh) {
                object = std::make_shared<const nlohmann::json>(options.cache_transform(*object));
            }
        }
        working = std::move(fresh);
        publish(changes);
    }

    bool apply(watch_event& event)
    {
        if (stopped) {
            return false;
        }
        if (event.type == "BOOKMARK") {
            return true;  // carries only a resourceVersion, which the client tracks
        }
        auto key = object_key(event.object);
        if (key.empty()) {
            ++bad_events;
            return true;
        }
        ++events;
        std::vector<cache_change> changes;
        if (event.type == "DELETED") {
            const auto it = working.find(key);
            auto last = it != working.end() && !options.cache_transform
                            ? it->second
                            : std::make_shared<const nlohmann::json>(event.object);
            working.erase(key);
            changes.push_back({change_type::deleted, std::move(key), std::move(last)});
        } else {
            auto object = std::make_shared<const nlohmann::json>(std::move(event.object));
            const bool existed = working.contains(key);
            working[key] = options.cache_transform
                               ? std::make_shared<const nlohmann::json>(
                                     options.cache_transform(*object))
                               : object;
            changes.push_back({existed ? change_type::modified : change_type::added,
                               std::move(key), std::move(object)});
        }
        publish(changes);
        return true;
    }
};

namespace {

using state_ptr = std::shared_ptr<reflector::state>;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct listed {
    std::vector<nlohmann::json> items;
    std::string resource_version;
};

/// All pages of the collection; an expired continue token (410) restarts the list once.
net::awaitable<kube_result<listed>> list_all(state_ptr self)
{
    for (int restart = 0;; ++restart) {
        listed out;
        list_options query;
        query.label_selector = self->options.label_selector;
        query.field_selector = self->options.field_selector;
        query.limit = self->options.page_size;
        bool expired = false;
        for (std::size_t page = 0;; ++page) {
            if (page >= self->options.max_pages) {
                co_return transport_error(kube_errc::response_too_large,
                                          "listing " + self->options.path +
                                              " takes more pages than allowed");
            }
            auto r = co_await self->client.list(self->options.path, query,
                                                self->options.list_call);
            if (!r) {
                if (r.error().expired() && restart == 0) {
                    expired = true;
                    break;
                }
                co_return r.error();
            }
            auto& body = r->body;
            if (!body.is_object() || !body.contains("items") ||
                !(body["items"].is_array() || body["items"].is_null())) {
                co_return transport_error(kube_errc::bad_response,
                                          "the list of " + self->options.path +
                                              " has no items array");
            }
            if (body["items"].is_array()) {
                for (auto& item : body["items"]) {
                    out.items.push_back(std::move(item));
                }
            }
            const auto& meta = body.contains("metadata") && body["metadata"].is_object()
                                   ? body["metadata"]
                                   : nlohmann::json::object();
            out.resource_version = meta.value("resourceVersion", std::string{});
            query.continue_token = meta.value("continue", std::string{});
            if (query.continue_token.empty()) {
                co_return out;
            }
        }
        if (!expired) {
            co_return transport_error(kube_errc::bad_response, "list ended unexpectedly");
        }
    }
}

net::awaitable<bool> sleep_for(std::chrono::milliseconds delay)
{
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(delay);
    auto [ec] = co_await timer.async_wait(use_tuple);
    co_return !ec;
}

/// True when the loop should end. A separate coroutine keeps `co_await` out of compound
/// conditions, which g++ 12 miscompiles in some short-circuit cases.
net::awaitable<bool> should_stop(const state_ptr& self)
{
    const auto cs = co_await net::this_coro::cancellation_state;
    co_return self->stopped || cs.cancelled() != net::cancellation_type::none;
}

net::awaitable<void> run(state_ptr self)
{
    co_await net::this_coro::throw_if_cancelled(false);
    int failures = 0;
    while (!self->stopped) {
        auto list = co_await list_all(self);
        const bool stop_after_list = co_await should_stop(self);
        if (stop_after_list) {
            break;
        }
        if (!list) {
            ++self->list_failures;
            spdlog::warn("reflector {}: list failed: {} ({})", self->options.path,
                         list.error().message, list.error().detail);
            const bool slept = co_await sleep_for(self->jitter.delay(std::min(failures++, 16)));
            if (!slept) {
                break;
            }
            continue;
        }
        ++self->lists;
        self->replace(std::move(list->items));
        self->synced = true;

        watch_options wopts;
        wopts.resource_version = list->resource_version;
        wopts.label_selector = self->options.label_selector;
        wopts.field_selector = self->options.field_selector;
        wopts.idle_timeout = self->options.watch_idle_timeout;
        wopts.call = self->options.list_call;
        std::weak_ptr<reflector::state> weak = self;
        std::function<bool(watch_event&)> on_event = [weak](watch_event& event) {
            auto s = weak.lock();
            return s && s->apply(event);
        };
        std::string path = self->options.path;
        auto watched = co_await self->client.watch(std::move(path), std::move(wopts),
                                                   std::move(on_event));
        const bool stop_after_watch = co_await should_stop(self);
        if (stop_after_watch) {
            break;
        }
        if (watched) {
            continue;  // only ends without error when stopped; relist to be safe
        }
        if (watched.error().expired()) {
            // History is gone: relist now; the diff tells the handler what it missed.
            ++self->relists_on_gone;
            failures = 0;
            continue;
        }
        if (watched.error().code == kube_errc::cancelled) {
            break;
        }
        ++self->watch_failures;
        spdlog::warn("reflector {}: watch failed: {} ({})", self->options.path,
                     watched.error().message, watched.error().detail);
        const bool slept = co_await sleep_for(self->jitter.delay(std::min(failures++, 16)));
        if (!slept) {
            break;
        }
    }
}

}  // namespace

reflector::reflector(const kube_client& client, reflector_options options, change_handler on_change)
    : state_(std::make_shared<state>(client, std::move(options), std::move(on_change)))
{
}

reflector::~reflector()
{
    stop();
}

void reflector::start()
{
    net::post(state_->strand, [self = state_] {
        if (self->started || self->stopped) {
            return;
        }
        self->started = true;
        net::co_spawn(self->strand, run(self),
                      net::bind_cancellation_slot(
                          self->cancel.slot(), [path = self->options.path](std::exception_ptr e) {
                              if (!e) {
                                  return;
                              }
                              try {
                                  std::rethrow_exception(e);
                              } catch (const std::exception& ex) {
                                  spdlog::error("reflector {} ended: {}", path, ex.what());
                              }
                          }));
    });
}

void reflector::stop()
{
    // A weak reference: a loop that already ended (or never started) needs no stop, and the
    // posted handler must not keep the client's sockets alive past the io_context.
    net::post(state_->strand, [weak = std::weak_ptr<state>(state_)] {
        auto self = weak.lock();
        if (!self || self->stopped) {
            return;
        }
        self->stopped = true;
        self->cancel.emit(net::cancellation_type::terminal);
    });
}

std::shared_ptr<const object_cache> reflector::snapshot() const
{
    std::lock_guard lock(state_->mu);
    return state_->published;
}

bool reflector::synced() const { return state_->synced; }

reflector_stats reflector::stats() const
{
    reflector_stats out;
    out.lists = state_->lists;
    out.list_failures = state_->list_failures;
    out.relists_on_gone = state_->relists_on_gone;
    out.watch_failures = state_->watch_failures;
    out.events = state_->events;
    out.bad_events = state_->bad_events;
    return out;
}

}  // namespace proxy
