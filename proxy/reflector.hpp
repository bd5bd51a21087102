#pragma once
/// Keeps a local cache of one collection of API objects current, the way client-go's
/// reflector + informer do: list (paged) → watch from the list's resourceVersion → apply each
/// event to the cache → on 410 Gone relist; on other failures back off (exponential, full
/// jitter) and relist. The client's watch already resumes from the last seen
/// resourceVersion after a disconnect, so a relist happens only when history is gone or the
/// watch keeps failing.
///
/// The cache maps "namespace/name" (namespaced objects) or "name" (cluster-scoped) to the
/// object. Readers get an immutable snapshot (`std::shared_ptr<const object_cache>`) that is
/// replaced as a whole on every change; objects are shared between snapshots, never copied.
///
/// Thread safety: `start`, `stop`, `snapshot`, `synced` and `stats` may be called from any
/// thread. The loop and the change handler run on the client's strand. The handler and the
/// cache live in shared state kept alive by the running loop, so destroying the reflector
/// while the loop winds down is safe (the destructor calls stop()); a handler must therefore
/// only capture what it owns or shares.

#include "proxy/backoff.hpp"
#include "proxy/kube_client.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace proxy {

using object_ptr = std::shared_ptr<const nlohmann::json>;
using object_cache = std::map<std::string, object_ptr>;

/// "namespace/name", or "name" when the object has no namespace; empty when there is no
/// metadata.name.
std::string object_key(const nlohmann::json& object);

enum class change_type { added, modified, deleted };

struct cache_change {
    change_type type = change_type::added;
    std::string key;
    object_ptr object;  ///< the new object, or the last known one for deleted
};

struct reflector_options {
    std::string path;  ///< collection path, e.g. "/apis/cluster.karmada.io/v1alpha1/clusters"
    std::string label_selector;
    std::string field_selector;
    std::int64_t page_size = 500;   ///< list page size (limit); 0 = unpaged
    std::size_t max_pages = 10000;  ///< a list longer than this is an error
    call_options list_call;         ///< deadline etc. per list page
    std::optional<std::chrono::milliseconds> watch_idle_timeout;
    backoff_policy reconnect{.max_attempts = 1,
                             .initial_delay = std::chrono::milliseconds(200),
                             .max_delay = std::chrono::seconds(30),
                             .max_retry_after = std::chrono::seconds(30)};
    std::uint64_t seed = 0;  ///< jitter seed for the relist backoff
    /// False: no snapshot is made on a change (copying the cache is O(size) per event);
    /// `snapshot()` stays empty and handlers get a null cache. For large collections that are
    /// consumed only through the change handler.
    bool publish_snapshots = true;
    /// When set, the cache keeps `cache_transform(object)` instead of the object (e.g. only its
    /// metadata, for a large collection whose handler takes what it needs from the changes);
    /// changes still carry the whole object (a watch's DELETED: the event's), except `deleted`
    /// ones found by a relist, which carry the cached form. Keep metadata.resourceVersion.
    std::function<nlohmann::json(const nlohmann::json&)> cache_transform;
};

struct reflector_stats {
    std::uint64_t lists = 0;          ///< completed (full) lists
    std::uint64_t list_failures = 0;
    std::uint64_t relists_on_gone = 0;
    std::uint64_t watch_failures = 0;
    std::uint64_t events = 0;         ///< watch events applied (bookmarks excluded)
    std::uint64_t bad_events = 0;     ///< events without metadata.name (ignored)
};

class reflector {
public:
    /// Called after each change of the cache with what changed and the new snapshot. After a
    /// relist, `changes` is the difference between the old and the new cache (possibly
    /// empty; the handler is still called so it can observe the sync).
    using change_handler = std::function<void(const std::vector<cache_change>& changes,
                                              const std::shared_ptr<const object_cache>& cache)>;

    /// Keeps a handle to `client` (copies share one client).
    reflector(const kube_client& client, reflector_options options, change_handler on_change = {});
    ~reflector();
    reflector(const reflector&) = delete;
    reflector& operator=(const reflector&) = delete;

    /// Starts the loop on the client's strand (once; later calls do nothing).
    void start();
    /// Cancels the loop (idempotent); returns at once, the loop ends asynchronously.
    void stop();

    std::shared_ptr<const object_cache> snapshot() const;
    /// True once the first list has been applied.
    bool synced() const;
    reflector_stats stats() const;

    struct state;

private:
    std::shared_ptr<state> state_;
};

}  // namespace proxy
