#pragma once
/// One Kubernetes API server's storage with kube-apiserver semantics: the Karmada control plane
/// and every simulated member cluster each own one. Create / get / list (selectors, limit +
/// continue) / update (resourceVersion conflicts) / patch (merge, strategic, JSON patch, apply)
/// / delete (finalizers, ownerReference cascade, namespace termination) / watch (event history
/// with a bounded ring, 410 when too old). Objects are immutable `std::shared_ptr<const json>`
/// snapshots: a write replaces the pointer, so list results and watch events share memory.
///
/// Every error is an `api_error` worded as kube-apiserver words it (api_error.hpp).
///
/// Thread safety: none. The HTTP layer serialises every call on one strand; the pointers handed
/// out are immutable and may be read from any thread afterwards.

#include "sim/model/api_error.hpp"
#include "sim/model/resource_registry.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fedsim::model {

using object_ptr = std::shared_ptr<const nlohmann::json>;
using time_point = std::chrono::system_clock::time_point;

class crd_validator;

/// `?fieldValidation=`: Strict rejects unknown/duplicate fields (400 BadRequest for built-ins,
/// 422-style causes for CRDs), Warn (the server default) and Ignore drop them (Warn reports them
/// in `write_options::warnings`).
enum class field_validation { ignore, warn, strict };

enum class patch_type {
    json_patch,  ///< application/json-patch+json (RFC 6902)
    merge,       ///< application/merge-patch+json (RFC 7386)
    strategic,   ///< application/strategic-merge-patch+json (merge; containers by name...)
    apply,       ///< application/apply-patch+yaml (server-side apply, approximated)
};

/// Options shared by create/update/patch.
struct write_options {
    bool dry_run = false;  ///< ?dryRun=All: validate, store nothing
    field_validation validation = field_validation::warn;
    std::string field_manager;
    bool force = false;                            ///< ?force=true for apply
    std::vector<std::string>* warnings = nullptr;  ///< receives `Warning:` header texts
};

/// Query parameters of a list (and of the initial state of a watch).
struct list_options {
    std::string label_selector;    ///< raw `labelSelector` (full syntax)
    std::string field_selector;    ///< raw `fieldSelector`: metadata.name / metadata.namespace
                                   ///< (=, ==, !=), plus status.phase / spec.nodeName for pods
    std::int64_t limit = 0;        ///< 0 = all
    std::string continue_token;    ///< from a previous page
    std::string resource_version;  ///< "" / "0" / a number (served from the latest state)
};

struct list_result {
    std::vector<object_ptr> items;  ///< sorted by namespace then name
    std::string resource_version;   ///< the list's RV (the snapshot)
    std::string continue_token;     ///< empty on the last page
    std::optional<std::int64_t> remaining_item_count;
};

struct delete_options {
    std::string propagation_policy;  ///< Orphan | Background | Foreground | "" (default)
    std::optional<std::int64_t> grace_period_seconds;
    std::optional<std::string> precondition_uid;
    std::optional<std::string> precondition_resource_version;
    bool dry_run = false;
};

/// What DELETE answers: the object (for kinds that return it, or when finalizers keep it
/// around with a deletionTimestamp), else a Status Success.
struct delete_result {
    nlohmann::json body;
    bool removed = false;  ///< gone now (false: kept with deletionTimestamp / Terminating)
};

enum class event_type { added, modified, deleted, bookmark };
std::string_view to_string(event_type t);  ///< "ADDED", "MODIFIED", "DELETED", "BOOKMARK"

struct watch_event {
    event_type type = event_type::added;
    object_ptr object;  ///< for BOOKMARK: `{kind, apiVersion, metadata: {resourceVersion}}`
    std::uint64_t resource_version = 0;
};

/// Parameters of a watch: which objects and since when.
struct watch_options {
    std::string namespace_;  ///< "" = all namespaces (or cluster-scoped)
    std::string name;        ///< non-empty: a single object (fieldSelector metadata.name)
    std::string label_selector;
    std::string field_selector;
    /// "" or "0": start with synthetic ADDED events for the current state, then changes.
    /// A number: changes after that RV (410 Expired when it left the history).
    std::string resource_version;
    bool allow_bookmarks = false;
    bool send_initial_events = false;  ///< sendInitialEvents=true: initial ADDEDs + a bookmark
};

/// A live watch's position. Opaque to callers: pass it back to `watch_next`.
struct watch_cursor {
    const resource_info* resource = nullptr;
    watch_options options;
    std::uint64_t position = 0;                ///< last RV delivered
    std::vector<watch_event> pending_initial;  ///< synthetic events not yet delivered
    std::shared_ptr<const void> filter;        ///< parsed selectors (implementation detail)
};

/// A counter record for the HTTP layer's `/fedsim/v1/stats` and the model's own accounting.
struct store_stats {
    std::uint64_t creates = 0, updates = 0, patches = 0, deletes = 0, gets = 0, lists = 0;
    std::uint64_t watches_opened = 0, errors = 0;
};

/// One API server's objects.
class object_store {
public:
    /// `registry` must outlive the store. `history` bounds the watch event log (events kept).
    /// `seed` feeds UIDs and generated names so runs are reproducible.
    object_store(const resource_registry& registry, std::string name, std::uint64_t seed,
                 std::size_t history = 10000);
    ~object_store();
    object_store(const object_store&) = delete;
    object_store& operator=(const object_store&) = delete;

    const std::string& name() const { return name_; }
    const resource_registry& registry() const { return registry_; }

    /// POST. `namespace_` is the path namespace ("" for cluster-scoped / all-namespaces create).
    /// 201-semantics: returns the stored object. Errors: 400 (not an object, kind/apiVersion
    /// mismatch), 404 namespace missing, 403 namespace terminating, 409 AlreadyExists, 422.
    api_result<object_ptr> create(const resource_info& resource, std::string_view namespace_,
                                  nlohmann::json object, const write_options& options = {});

    /// GET. 404 NotFound.
    api_result<object_ptr> get(const resource_info& resource, std::string_view namespace_,
                               std::string_view name) const;

    /// LIST. `namespace_` "" lists every namespace. 400 for a bad selector, 410 for an expired
    /// continue token.
    api_result<list_result> list(const resource_info& resource, std::string_view namespace_,
                                 const list_options& options = {}) const;

    /// PUT (main resource, or `status_only` for the status subresource). A missing
    /// metadata.resourceVersion means unconditional; a stale one → 409 Conflict.
    api_result<object_ptr> update(const resource_info& resource, std::string_view namespace_,
                                  std::string_view name, nlohmann::json object,
                                  const write_options& options = {}, bool status_only = false);

    /// PATCH (main resource or status). `apply` creates the object when it does not exist.
    api_result<object_ptr> patch(const resource_info& resource, std::string_view namespace_,
                                 std::string_view name, patch_type type,
                                 const nlohmann::json& patch, const write_options& options = {},
                                 bool status_only = false);

    /// DELETE. 404 NotFound; 409 on a failed precondition.
    api_result<delete_result> remove(const resource_info& resource, std::string_view namespace_,
                                     std::string_view name, const delete_options& options = {});

    /// DELETE on a collection (deletecollection) with selectors; returns the List of deleted.
    api_result<nlohmann::json> remove_collection(const resource_info& resource,
                                                 std::string_view namespace_,
                                                 const list_options& selection,
                                                 const delete_options& options = {});

    /// Starts a watch. 400 for bad selectors; 410 Expired "too old resource version: X (Y)"
    /// when `resource_version` left the history (kube-apiserver sends that as an ERROR event
    /// with this Status in a 200 stream; the HTTP layer decides).
    api_result<watch_cursor> watch(const resource_info& resource,
                                   const watch_options& options) const;

    /// Events for `cursor` since its position (at most `max`), advancing it. Empty: nothing new.
    /// 410 Expired when the cursor fell out of the bounded history (the client must relist).
    api_result<std::vector<watch_event>> watch_next(watch_cursor& cursor,
                                                    std::size_t max = 1000) const;

    /// Every event after resourceVersion `since`, of every resource, in resourceVersion order:
    /// the controllers' one-pass change feed (a watch cursor per kind would scan the history once
    /// per kind). Returns false, visiting nothing, when `since` left the bounded history (the
    /// caller must resynchronise from the current state). `visit` must not write to this store.
    bool changes_since(std::uint64_t since,
                       const std::function<void(const resource_info& resource, event_type type,
                                                const object_ptr& object)>& visit) const;

    /// A BOOKMARK event at the current RV for `cursor`'s resource.
    watch_event bookmark(const watch_cursor& cursor) const;

    /// The current resourceVersion (last write), as a number. Cheap; changes on every write, so
    /// the HTTP layer may poll it to wake watchers.
    std::uint64_t resource_version() const { return rv_; }

    /// Called after every committed write (once per write, never during one). One listener; a
    /// new call replaces it. The federation and the HTTP layer chain through `federation`.
    void set_change_listener(std::function<void(const object_store&)> listener);

    /// A mutating + validating admission step (Karmada's webhooks) run on create, update and
    /// patch after defaulting and before validation. `old_object` is null on create. Returning
    /// an error rejects the request with it (Karmada's webhooks answer 403 Forbidden).
    using admission_hook = std::function<std::optional<api_error>(
        const resource_info& resource, nlohmann::json& object, const nlohmann::json* old_object)>;
    void set_admission_hook(admission_hook hook) { admission_ = std::move(hook); }

    /// Optional CRD schema validation for kinds with a schema (set by the federation).
    void set_validator(const crd_validator* validator) { validator_ = validator; }

    /// Clock used for creationTimestamp / deletionTimestamp (set by the federation).
    void set_time(time_point now) { now_ = now; }
    time_point time() const { return now_; }

    const store_stats& stats() const { return stats_; }

    /// `object` as compact JSON text, cached until the object is replaced, so repeated GETs and
    /// LISTs of unchanged objects do not serialise again. `object` must come from this store.
    std::shared_ptr<const std::string> serialized(const object_ptr& object) const;
    /// Serialises up to `max` recently written objects whose text is not cached yet, so that
    /// a later GET or LIST finds it ready (the HTTP layer calls this while no request is
    /// waiting). Returns how many it serialised; 0 means nothing is left to do.
    std::size_t warm_serialized(std::size_t max);
    /// A whole list page as a response body (the same JSON as `to_list_json`), built from the
    /// cached item texts: the fast path for large lists.
    std::string serialize_list(const resource_info& resource, const list_result& page) const;

    // --- Direct access for controllers (no admission, no validation, no conflicts) ---------

    /// Stores `object` as is except metadata.resourceVersion (bumped) and, for a new object,
    /// uid / creationTimestamp / generation filled when missing. Returns the stored pointer.
    object_ptr put(const resource_info& resource, nlohmann::json object);
    /// Removes immediately (no finalizers, no cascade). False when absent.
    bool erase(const resource_info& resource, std::string_view namespace_, std::string_view name);
    /// Lookup without stats or errors.
    object_ptr find(const resource_info& resource, std::string_view namespace_,
                    std::string_view name) const;
    /// Visits every object of a resource (in one namespace or all), in key order.
    void for_each(const resource_info& resource, std::string_view namespace_,
                  const std::function<void(const object_ptr&)>& visit) const;
    std::size_t count(const resource_info& resource) const;

    /// Keeps the objects of `resource` as compact JSON text (about a sixth of the parsed size)
    /// and parses them on read, sharing a parse while anyone still holds it: for large kinds
    /// that are rarely read, such as a member's Nodes. Serialising them costs nothing.
    void store_compactly(const resource_info& resource);

    /// The namespace controller: every namespace marked for deletion at least `grace` ago is
    /// emptied (its objects removed, with DELETED events) and then removed. Returns true when
    /// anything changed. `next_finalization` tells when a terminating namespace becomes due.
    bool finalize_namespaces(std::chrono::seconds grace = std::chrono::seconds(0));
    std::optional<time_point> next_finalization(std::chrono::seconds grace) const;

    /// A fresh UID from the seeded generator ("xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx").
    std::string next_uid();
    /// `n` lowercase alphanumerics as generateName uses (no vowels, like Kubernetes' rand).
    std::string random_suffix(std::size_t n = 5);

private:
    struct impl;
    const resource_registry& registry_;
    std::string name_;
    std::uint64_t rv_ = 0;
    time_point now_{};
    const crd_validator* validator_ = nullptr;
    admission_hook admission_;
    mutable store_stats stats_;
    std::unique_ptr<impl> impl_;
};

/// Serialises a list page as the API server does: `{"kind": "<Kind>List", "apiVersion",
/// "metadata": {"resourceVersion", "continue"?, "remainingItemCount"?}, "items": [...]}`.
nlohmann::json to_list_json(const resource_info& resource, const list_result& page);

/// RFC3339 UTC with seconds ("2026-11-22T10:00:00Z"), as metadata timestamps are printed.
std::string format_time(time_point t);

}  // namespace fedsim::model
