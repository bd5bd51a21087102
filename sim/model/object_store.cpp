#include "sim/model/object_store.hpp"

#include "sim/model/builtin_kinds.hpp"
#include "sim/model/crd_validator.hpp"
#include "sim/model/patch.hpp"
#include "sim/model/selectors.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>
#include <random>
#include <set>

namespace fedsim::model {

using nlohmann::json;

std::string_view to_string(event_type t) {
    switch (t) {
        case event_type::added:
            return "ADDED";
        case event_type::modified:
            return "MODIFIED";
        case event_type::deleted:
            return "DELETED";
        case event_type::bookmark:
            return "BOOKMARK";
    }
    return "ERROR";
}

std::string format_time(time_point t) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

namespace {

// --- small helpers ---------------------------------------------------------------------------

std::string key_of(std::string_view ns, std::string_view name) {
    std::string k;
    k.reserve(ns.size() + name.size() + 1);
    k += ns;
    k += '/';
    k += name;
    return k;
}

const std::string& str_or_empty(const json& j, const char* key) {
    static const std::string empty;
    if (!j.is_object())
        return empty;
    auto it = j.find(key);
    if (it == j.end() || !it->is_string())
        return empty;
    return it->get_ref<const std::string&>();
}

const json& meta_of(const json& obj) {
    static const json empty = json::object();
    auto it = obj.find("metadata");
    return it != obj.end() && it->is_object() ? *it : empty;
}

std::uint64_t parse_rv(std::string_view s, bool& ok) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    ok = ec == std::errc() && p == s.data() + s.size() && !s.empty();
    return v;
}

const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
    std::string out;
    std::uint32_t val = 0;
    int bits = -6;
    for (unsigned char c : in) {
        val = (val << 8) + c;
        bits += 8;
        while (bits >= 0) {
            out.push_back(b64chars[(val >> bits) & 0x3F]);
            bits -= 6;
        }
    }
    if (bits > -6)
        out.push_back(b64chars[((val << 8) >> (bits + 8)) & 0x3F]);
    while (out.size() % 4)
        out.push_back('=');
    return out;
}

bool base64_decode(std::string_view in, std::string& out) {
    out.clear();
    std::uint32_t val = 0;
    int bits = -8;
    for (char c : in) {
        if (c == '=')
            break;
        const char* p = std::strchr(b64chars, c);
        if (!p || c == '\0')
            return false;
        val = (val << 6) + static_cast<std::uint32_t>(p - b64chars);
        bits += 6;
        if (bits >= 0) {
            out.push_back(static_cast<char>((val >> bits) & 0xFF));
            bits -= 8;
        }
    }
    return true;
}

/// Everything except metadata and status, for generation tracking.
bool spec_equal(const json& a, const json& b) {
    auto skip = [](const std::string& k) {
        return k == "metadata" || k == "status" || k == "kind" || k == "apiVersion";
    };
    std::size_t na = 0, nb = 0;
    for (auto it = a.begin(); it != a.end(); ++it) {
        if (skip(it.key()))
            continue;
        ++na;
        auto o = b.find(it.key());
        if (o == b.end() || *o != *it)
            return false;
    }
    for (auto it = b.begin(); it != b.end(); ++it) {
        if (!skip(it.key()))
            ++nb;
    }
    return na == nb;
}

std::vector<std::string> owner_uids(const json& obj) {
    std::vector<std::string> out;
    const auto& m = meta_of(obj);
    auto it = m.find("ownerReferences");
    if (it == m.end() || !it->is_array())
        return out;
    for (const auto& r : *it) {
        if (r.is_object()) {
            auto u = r.find("uid");
            if (u != r.end() && u->is_string())
                out.push_back(u->get<std::string>());
        }
    }
    return out;
}

struct watch_filter {
    label_selector labels;
    field_selector fields;
};

bool filter_matches(const watch_filter& f, const json& obj) {
    if (!f.labels.empty()) {
        const auto& m = meta_of(obj);
        auto it = m.find("labels");
        if (!f.labels.matches(it == m.end() ? json() : *it))
            return false;
    }
    return f.fields.empty() || f.fields.matches(obj);
}

}  // namespace

// --- impl ------------------------------------------------------------------------------------

struct object_store::impl {
    /// One stored object. Most kinds keep the parsed JSON (`hot`); kinds stored compactly keep
    /// only the JSON text and parse it on read, sharing the parse while anyone still holds it.
    struct slot {
        object_ptr hot;
        std::shared_ptr<const std::string> text;
        mutable std::weak_ptr<const json> cold;

        object_ptr get() const {
            if (hot)
                return hot;
            if (auto p = cold.lock())
                return p;
            auto p = std::make_shared<const json>(json::parse(*text));
            cold = p;
            return p;
        }
    };
    struct table {
        std::map<std::string, slot, std::less<>> objects;  // "ns/name" (ns "" if cluster)
        bool compact = false;
    };
    struct event_record {
        std::uint64_t rv = 0;
        event_type type = event_type::added;
        const resource_info* resource = nullptr;
        object_ptr object;
        object_ptr previous;  // for MODIFIED: the object before (selector transitions)
    };
    std::unordered_map<const resource_info*, table> tables;
    std::deque<event_record> history;
    std::size_t history_cap = 10000;
    std::uint64_t trimmed_rv = 0;  // RV of the newest event evicted from the history
    std::mt19937_64 rng;
    std::function<void(const object_store&)> listener;
    // Owner uid → dependants (resource, key).
    std::unordered_map<std::string, std::set<std::pair<const resource_info*, std::string>>> owners;
    int depth = 0;  // nesting of public operations (listener fires at depth 0)
    bool changed = false;
    const resource_info* namespaces = nullptr;
    std::uint64_t sequence = 0;
    // Serialised texts of current objects, by object address (dropped when replaced).
    std::unordered_map<const json*, std::shared_ptr<const std::string>> texts;
    // Objects written since `warm_serialized` last looked (may repeat or be gone by then);
    // bounded: past the cap the oldest are left to be serialised on demand.
    std::deque<std::pair<const resource_info*, std::string>> unwarmed;
    static constexpr std::size_t unwarmed_cap = 100000;

    table& t(const resource_info& r) { return tables[&r]; }

    void record(std::uint64_t rv, event_type type, const resource_info& r, object_ptr obj,
                object_ptr prev) {
        history.push_back({rv, type, &r, std::move(obj), std::move(prev)});
        while (history.size() > history_cap) {
            trimmed_rv = history.front().rv;
            history.pop_front();
        }
        changed = true;
    }

    void index_owners(const resource_info& r, const std::string& key, const json* old_obj,
                      const json* new_obj) {
        std::vector<std::string> before =
            old_obj ? owner_uids(*old_obj) : std::vector<std::string>{};
        std::vector<std::string> after =
            new_obj ? owner_uids(*new_obj) : std::vector<std::string>{};
        if (before == after)
            return;
        for (const auto& u : before) {
            auto it = owners.find(u);
            if (it != owners.end()) {
                it->second.erase({&r, key});
                if (it->second.empty())
                    owners.erase(it);
            }
        }
        for (const auto& u : after)
            owners[u].insert({&r, key});
    }
};

object_store::object_store(const resource_registry& registry, std::string name, std::uint64_t seed,
                           std::size_t history)
    : registry_(registry), name_(std::move(name)), impl_(std::make_unique<impl>()) {
    impl_->history_cap = std::max<std::size_t>(history, 16);
    impl_->rng.seed(seed);
    impl_->namespaces = registry_.find("", "v1", "namespaces");
}

object_store::~object_store() = default;

void object_store::set_change_listener(std::function<void(const object_store&)> listener) {
    impl_->listener = std::move(listener);
}

std::string object_store::next_uid() {
    static const char hex[] = "0123456789abcdef";
    std::uint64_t a = impl_->rng();
    std::uint64_t b = impl_->rng();
    std::string s;
    s.reserve(36);
    for (int i = 0; i < 32; ++i) {
        std::uint64_t src = i < 16 ? a : b;
        int nibble = static_cast<int>((src >> ((i % 16) * 4)) & 0xF);
        if (i == 12)
            nibble = 4;  // version 4
        if (i == 16)
            nibble = 8 | (nibble & 0x3);  // RFC 4122 variant
        if (i == 8 || i == 12 || i == 16 || i == 20)
            s += '-';
        s += hex[nibble];
    }
    return s;
}

std::string object_store::random_suffix(std::size_t n) {
    // Kubernetes' utilrand.String alphabet: no vowels, no confusable 0/1/3.
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string s;
    for (std::size_t i = 0; i < n; ++i)
        s += alphabet[impl_->rng() % (sizeof alphabet - 1)];
    return s;
}

namespace {

/// RAII scope of a public operation: fires the listener once when the outermost one ends.
class op_scope {
public:
    op_scope(int& depth, bool& changed, const std::function<void(const object_store&)>& l,
             const object_store& s)
        : depth_(depth), changed_(changed), listener_(l), store_(s) {
        ++depth_;
    }
    ~op_scope() {
        if (--depth_ == 0 && changed_) {
            changed_ = false;
            if (listener_)
                listener_(store_);
        }
    }
    op_scope(const op_scope&) = delete;
    op_scope& operator=(const op_scope&) = delete;

private:
    int& depth_;
    bool& changed_;
    const std::function<void(const object_store&)>& listener_;
    const object_store& store_;
};

}  // namespace

// --- direct access ---------------------------------------------------------------------------

object_ptr object_store::put(const resource_info& resource, json object) {
    op_scope scope(impl_->depth, impl_->changed, impl_->listener, *this);
    auto& meta = object["metadata"];
    if (!meta.is_object())
        meta = json::object();
    object["kind"] = resource.kind;
    object["apiVersion"] = resource.api_version();
    std::string ns = resource.namespaced ? str_or_empty(meta, "namespace") : std::string();
    std::string key = key_of(ns, str_or_empty(meta, "name"));
    auto& tbl = impl_->t(resource);
    auto it = tbl.objects.find(key);
    object_ptr prev = it == tbl.objects.end() ? nullptr : it->second.get();
    if (!prev) {
        if (!meta.contains("uid"))
            meta["uid"] = next_uid();
        if (!meta.contains("creationTimestamp"))
            meta["creationTimestamp"] = format_time(now_);
        if (!meta.contains("generation") && tracks_generation(resource))
            meta["generation"] = 1;
    } else {
        // Keep identity; bump generation when the spec changed.
        const auto& pm = meta_of(*prev);
        meta["uid"] = pm.value("uid", "");
        meta["creationTimestamp"] = pm.value("creationTimestamp", "");
        if (tracks_generation(resource)) {
            std::int64_t g = pm.value("generation", std::int64_t{1});
            meta["generation"] = spec_equal(*prev, object) ? g : g + 1;
        }
        // An unchanged object is not written again (no new resourceVersion, no event). The
        // incoming RV is overwritten below anyway, so compare with the stored one in place.
        meta["resourceVersion"] = str_or_empty(pm, "resourceVersion");
        if (object == *prev)
            return prev;
    }
    meta["resourceVersion"] = std::to_string(++rv_);
    if (prev)
        impl_->texts.erase(prev.get());
    auto ptr = std::make_shared<const json>(std::move(object));
    impl_->index_owners(resource, key, prev.get(), ptr.get());
    auto& stored = tbl.objects[key];
    if (tbl.compact) {
        stored.hot = nullptr;
        stored.text = std::make_shared<const std::string>(ptr->dump());
        stored.cold = ptr;
    } else {
        stored.hot = ptr;
        if (impl_->unwarmed.size() >= impl::unwarmed_cap)
            impl_->unwarmed.pop_front();
        impl_->unwarmed.emplace_back(&resource, key);
    }
    impl_->record(rv_, prev ? event_type::modified : event_type::added, resource, ptr, prev);
    return ptr;
}

bool object_store::erase(const resource_info& resource, std::string_view namespace_,
                         std::string_view name) {
    op_scope scope(impl_->depth, impl_->changed, impl_->listener, *this);
    auto& tbl = impl_->t(resource);
    auto it = tbl.objects.find(key_of(resource.namespaced ? namespace_ : "", name));
    if (it == tbl.objects.end())
        return false;
    object_ptr current = it->second.get();
    json last = *current;
    last["metadata"]["resourceVersion"] = std::to_string(++rv_);
    auto ptr = std::make_shared<const json>(std::move(last));
    impl_->index_owners(resource, it->first, current.get(), nullptr);
    impl_->texts.erase(current.get());
    tbl.objects.erase(it);
    impl_->record(rv_, event_type::deleted, resource, ptr, nullptr);
    return true;
}

object_ptr object_store::find(const resource_info& resource, std::string_view namespace_,
                              std::string_view name) const {
    auto tit = impl_->tables.find(&resource);
    if (tit == impl_->tables.end())
        return nullptr;
    auto it = tit->second.objects.find(key_of(resource.namespaced ? namespace_ : "", name));
    return it == tit->second.objects.end() ? nullptr : it->second.get();
}

void object_store::for_each(const resource_info& resource, std::string_view namespace_,
                            const std::function<void(const object_ptr&)>& visit) const {
    auto tit = impl_->tables.find(&resource);
    if (tit == impl_->tables.end())
        return;
    const auto& objs = tit->second.objects;
    if (namespace_.empty() || !resource.namespaced) {
        for (const auto& [k, v] : objs)
            visit(v.get());
        return;
    }
    std::string prefix = std::string(namespace_) + "/";
    for (auto it = objs.lower_bound(prefix); it != objs.end(); ++it) {
        if (it->first.compare(0, prefix.size(), prefix) != 0)
            break;
        visit(it->second.get());
    }
}

void object_store::store_compactly(const resource_info& resource) {
    auto& tbl = impl_->t(resource);
    if (tbl.compact)
        return;
    tbl.compact = true;
    for (auto& [key, stored] : tbl.objects) {
        if (stored.hot) {
            stored.text = std::make_shared<const std::string>(stored.hot->dump());
            stored.cold = stored.hot;
            impl_->texts.erase(stored.hot.get());
            stored.hot = nullptr;
        }
    }
}

std::size_t object_store::count(const resource_info& resource) const {
    auto tit = impl_->tables.find(&resource);
    return tit == impl_->tables.end() ? 0 : tit->second.objects.size();
}

namespace {

time_point parse_time(const std::string& text) {
    std::tm tm{};
    if (!strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return time_point{};
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::optional<time_point> object_store::next_finalization(std::chrono::seconds grace) const {
    std::optional<time_point> best;
    if (!impl_->namespaces)
        return best;
    for_each(*impl_->namespaces, "", [&](const object_ptr& p) {
        const auto& m = meta_of(*p);
        if (!m.contains("deletionTimestamp"))
            return;
        time_point due = parse_time(str_or_empty(m, "deletionTimestamp")) + grace;
        if (!best || due < *best)
            best = due;
    });
    return best;
}

bool object_store::finalize_namespaces(std::chrono::seconds grace) {
    if (!impl_->namespaces)
        return false;
    std::vector<std::string> doomed;
    for_each(*impl_->namespaces, "", [&](const object_ptr& p) {
        const auto& m = meta_of(*p);
        if (m.contains("deletionTimestamp") &&
            parse_time(str_or_empty(m, "deletionTimestamp")) + grace <= now_) {
            doomed.push_back(str_or_empty(m, "name"));
        }
    });
    if (doomed.empty())
        return false;
    op_scope scope(impl_->depth, impl_->changed, impl_->listener, *this);
    for (const auto& ns : doomed) {
        for (const auto& r : registry_.all()) {
            if (!r.namespaced)
                continue;
            std::vector<std::string> names;
            for_each(r, ns, [&](const object_ptr& p) {
                names.push_back(str_or_empty(meta_of(*p), "name"));
            });
            for (const auto& n : names)
                erase(r, ns, n);
        }
        erase(*impl_->namespaces, "", ns);
    }
    return true;
}

// --- create ----------------------------------------------------------------------------------

namespace {

api_error kind_mismatch(const resource_info& r, const json& obj) {
    return bad_request(str_or_empty(obj, "kind") + " in version \"" +
                       str_or_empty(obj, "apiVersion") + "\" cannot be handled as a " + r.kind +
                       ": the kind or apiVersion of the object does not match the request "
                       "(expected " +
                       r.api_version() + ", Kind=" + r.kind + ")");
}

/// Checks `apiVersion`/`kind` if present and sets them.
std::optional<api_error> check_type(const resource_info& r, json& obj) {
    const auto& kind = str_or_empty(obj, "kind");
    const auto& av = str_or_empty(obj, "apiVersion");
    if ((!kind.empty() && kind != r.kind) || (!av.empty() && av != r.api_version())) {
        return kind_mismatch(r, obj);
    }
    obj["kind"] = r.kind;
    obj["apiVersion"] = r.api_version();
    return std::nullopt;
}

std::string strict_message(const resource_info& r, const std::vector<std::string>& unknown) {
    std::string msg = r.kind + " in version \"" + r.version + "\" cannot be handled as a " +
                      r.kind + ": strict decoding error: ";
    for (std::size_t i = 0; i < unknown.size(); ++i) {
        if (i)
            msg += ", ";
        std::string f = unknown[i];
        if (!f.empty() && f[0] == '.')
            f.erase(0, 1);
        msg += "unknown field \"" + f + "\"";
    }
    return msg;
}

}  // namespace

namespace detail {

/// Shared admission for create and update: defaults, schema validation, built-in validation.
std::optional<api_error> admit(const resource_info& r, json& obj, const write_options& options,
                               const crd_validator* validator, std::uint64_t sequence,
                               bool creating, const json* old_obj,
                               const object_store::admission_hook& hook) {
    if (!r.crd) {
        bool strict = options.validation == field_validation::strict;
        auto unknown = builtin_unknown_fields(r, obj, !strict);
        if (!unknown.empty() && strict)
            return bad_request(strict_message(r, unknown));
        if (options.validation == field_validation::warn && options.warnings) {
            for (const auto& f : unknown)
                options.warnings->push_back("unknown field \"" + f + "\"");
        }
    }
    if (creating)
        apply_builtin_defaults(r, obj, sequence);
    else if (!r.crd)
        apply_builtin_write_defaults(r, obj);
    std::vector<status_cause> causes;
    if (validator && r.schema) {
        std::vector<std::string> unknown;
        std::vector<schema_problem> problems;
        validator->validate(r.group, r.version, r.kind, obj, unknown, problems);
        if (!unknown.empty()) {
            if (options.validation == field_validation::strict) {
                return bad_request(strict_message(r, unknown));
            }
            if (options.validation == field_validation::warn && options.warnings) {
                for (auto f : unknown) {
                    if (!f.empty() && f[0] == '.')
                        f.erase(0, 1);
                    options.warnings->push_back("unknown field \"" + f + "\"");
                }
            }
        }
        for (auto& p : problems)
            causes.push_back({p.reason, p.message, p.field});
    }
    if (causes.empty() && hook) {
        if (auto e = hook(r, obj, old_obj))
            return e;
    }
    validate_object(r, obj, causes);
    if (old_obj)
        validate_update(r, *old_obj, obj, causes);
    if (!causes.empty()) {
        return invalid(r, str_or_empty(meta_of(obj), "name"), std::move(causes));
    }
    return std::nullopt;
}

}  // namespace detail

api_result<object_ptr> object_store::create(const resource_info& resource,
                                            std::string_view namespace_, json object,
                                            const write_options& options) {
    op_scope scope(impl_->depth, impl_->changed, impl_->listener, *this);
    ++stats_.creates;
    auto fail = [&](api_error e) -> api_result<object_ptr> {
        ++stats_.errors;
        return e;
    };
    if (!object.is_object()) {
        return fail(bad_request("Object '" + resource.kind + "' is invalid: expected an object"));
    }
    if (auto e = check_type(resource, object))
        return fail(*e);
    auto& meta = object["metadata"];
    if (meta.is_null())
        meta = json::object();
    if (!meta.is_object())
        return fail(bad_request("metadata must be an object"));

    // Namespace: the path wins; a different one in the body is an error.
    std::string ns;
    if (resource.namespaced) {
        std::string body_ns = str_or_empty(meta, "namespace");
        ns = std::string(namespace_);
        if (ns.empty())
            ns = body_ns;
        if (!body_ns.empty() && body_ns != ns) {
            return fail(
                bad_request("the namespace of the provided object does not match the "
                            "namespace sent on the request"));
        }
        if (ns.empty())
            ns = "default";
        meta["namespace"] = ns;
    } else {
        meta.erase("namespace");
    }

    // Server-set fields are ignored on create.
    for (const char* k :
         {"uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
          "deletionGracePeriodSeconds", "generation", "managedFields", "selfLink"}) {
        meta.erase(k);
    }
    if (resource.has_status && resource.plural != "namespaces")
        object.erase("status");
    meta["uid"] = next_uid();
    meta["creationTimestamp"] = format_time(now_);

    // generateName: a random 5-character suffix, retried on collision.
    std::string name = str_or_empty(meta, "name");
    std::string generate = str_or_empty(meta, "generateName");
    if (name.empty() && !generate.empty()) {
        for (int attempt = 0; attempt < 8; ++attempt) {
            name = generate + random_suffix(5);
            if (!find(resource, ns, name))
                break;
        }
        meta["name"] = name;
    }

    // NamespaceLifecycle admission: the namespace must exist and not be terminating.
    if (resource.namespaced && impl_->namespaces) {
        auto nso = find(*impl_->namespaces, "", ns);
        if (!nso)
            return fail(not_found(*impl_->namespaces, ns));
        if (meta_of(*nso).contains("deletionTimestamp")) {
            return fail(forbidden(resource, name,
                                  "unable to create new content in namespace " + ns +
                                      " because it is being terminated"));
        }
    }

    if (auto e = detail::admit(resource, object, options, validator_, ++impl_->sequence, true,
                               nullptr, admission_)) {
        return fail(*e);
    }
    if (find(resource, ns, name))
        return fail(already_exists(resource, name));
    if (options.dry_run) {
        if (tracks_generation(resource))
            object["metadata"]["generation"] = 1;
        return std::make_shared<const json>(std::move(object));
    }
    return put(resource, std::move(object));
}

// --- get / list ------------------------------------------------------------------------------

api_result<object_ptr> object_store::get(const resource_info& resource, std::string_view namespace_,
                                         std::string_view name) const {
    ++stats_.gets;
    auto p = find(resource, namespace_, name);
    if (!p) {
        ++stats_.errors;
        return not_found(resource, name);
    }
    return p;
}

api_result<list_result> object_store::list(const resource_info& resource,
                                           std::string_view namespace_,
                                           const list_options& options) const {
    ++stats_.lists;
    auto fail = [&](api_error e) -> api_result<list_result> {
        ++stats_.errors;
        return e;
    };
    auto labels = label_selector::parse(options.label_selector);
    if (!labels)
        return fail(labels.error());
    auto fields = field_selector::parse(options.field_selector, resource);
    if (!fields)
        return fail(fields.error());
    if (options.limit < 0) {
        return fail(bad_request("limit: Invalid value: " + std::to_string(options.limit) +
                                ": must be greater than or equal to 0"));
    }
    if (!options.resource_version.empty()) {
        bool ok = false;
        parse_rv(options.resource_version, ok);
        if (!ok) {
            return fail(bad_request("resourceVersion: Invalid value: \"" +
                                    options.resource_version + "\": invalid resource version"));
        }
    }

    std::string start_after;
    if (!options.continue_token.empty()) {
        std::string decoded;
        json token;
        if (!base64_decode(options.continue_token, decoded) ||
            (token = json::parse(decoded, nullptr, false)).is_discarded() || !token.is_object() ||
            token.value("v", "") != "meta.k8s.io/v1" || !token.contains("start") ||
            !token["start"].is_string() || !token.contains("rv") ||
            !token["rv"].is_number_integer()) {
            return fail(
                bad_request("continue key is not valid: incorrect encoded start "
                            "resourceVersion (version meta.k8s.io/v1)"));
        }
        auto token_rv = token["rv"].get<std::int64_t>();
        if (token_rv <= 0) {
            return fail(
                bad_request("continue key is not valid: incorrect encoded start "
                            "resourceVersion (version meta.k8s.io/v1)"));
        }
        // Our consistent-snapshot approximation: a token older than the retained history can
        // no longer be honoured, as etcd answers after compaction.
        if (static_cast<std::uint64_t>(token_rv) < impl_->trimmed_rv) {
            return fail(expired(
                "The provided continue parameter is too old to display a consistent list "
                "result. You can start a new list without the continue parameter, or use the "
                "continue token in this response to retrieve the remainder of the results. "
                "Continuing with the provided token results in an inconsistent list - objects "
                "that were created, modified, or deleted between the time the first chunk was "
                "returned and now may show up in the list."));
        }
        start_after = token["start"].get<std::string>();  // "ns/name\0"
    }

    list_result out;
    out.resource_version = std::to_string(rv_);
    auto tit = impl_->tables.find(&resource);
    if (tit == impl_->tables.end())
        return out;
    const auto& objs = tit->second.objects;

    std::string prefix;
    if (resource.namespaced && !namespace_.empty())
        prefix = std::string(namespace_) + "/";
    auto it = objs.lower_bound(prefix);
    if (!start_after.empty()) {
        // The token's start key is the last key plus "\0": resume strictly after the last key.
        it = objs.lower_bound(start_after);
    }
    bool filtered = !labels->empty() || !fields->empty();
    std::string last_key;
    for (; it != objs.end(); ++it) {
        if (!prefix.empty() && it->first.compare(0, prefix.size(), prefix) != 0)
            break;
        object_ptr current = it->second.get();
        const json& obj = *current;
        if (filtered) {
            const auto& m = meta_of(obj);
            auto l = m.find("labels");
            if (!labels->matches(l == m.end() ? json() : *l))
                continue;
            if (!fields->matches(obj))
                continue;
        }
        if (options.limit > 0 && static_cast<std::int64_t>(out.items.size()) >= options.limit) {
            // More remain: hand out a continue token.
            json token = {{"v", "meta.k8s.io/v1"},
                          {"rv", static_cast<std::int64_t>(rv_)},
                          {"start", last_key + std::string(1, '\0')}};
            out.continue_token = base64_encode(token.dump());
            if (!filtered) {
                std::int64_t remaining = 0;
                for (auto r = it; r != objs.end(); ++r) {
                    if (!prefix.empty() && r->first.compare(0, prefix.size(), prefix) != 0)
                        break;
                    ++remaining;
                }
                out.remaining_item_count = remaining;
            }
            break;
        }
        out.items.push_back(std::move(current));
        last_key = it->first;
    }
    return out;
}

json to_list_json(const resource_info& resource, const list_result& page) {
    json meta = {{"resourceVersion", page.resource_version}};
    if (!page.continue_token.empty())
        meta["continue"] = page.continue_token;
    if (page.remaining_item_count)
        meta["remainingItemCount"] = *page.remaining_item_count;
    json items = json::array();
    for (const auto& p : page.items)
        items.push_back(*p);
    return {{"kind", resource.list_kind},
            {"apiVersion", resource.api_version()},
            {"metadata", std::move(meta)},
            {"items", std::move(items)}};
}

std::shared_ptr<const std::string> object_store::serialized(const object_ptr& object) const {
    if (!object)
        return std::make_shared<const std::string>("null");
    auto it = impl_->texts.find(object.get());
    if (it != impl_->texts.end())
        return it->second;
    const json& m = meta_of(*object);
    const resource_info* r =
        registry_.find_kind(str_or_empty(*object, "apiVersion"), str_or_empty(*object, "kind"));
    const impl::slot* current = nullptr;
    if (r) {
        auto tit = impl_->tables.find(r);
        if (tit != impl_->tables.end()) {
            std::string_view ns = r->namespaced ? str_or_empty(m, "namespace") : std::string_view();
            auto oit = tit->second.objects.find(key_of(ns, str_or_empty(m, "name")));
            if (oit != tit->second.objects.end())
                current = &oit->second;
        }
    }
    // A compactly stored object already is its text.
    if (current && current->text && current->cold.lock() == object)
        return current->text;
    auto text = std::make_shared<const std::string>(object->dump());
    // Only objects still current are cached (an old version would pin its address forever).
    if (current && current->hot == object)
        impl_->texts.emplace(object.get(), text);
    return text;
}

std::size_t object_store::warm_serialized(std::size_t max) {
    std::size_t done = 0;
    while (done < max && !impl_->unwarmed.empty()) {
        // Newest first: what was just written is what clients are about to read.
        auto [r, key] = std::move(impl_->unwarmed.back());
        impl_->unwarmed.pop_back();
        auto tit = impl_->tables.find(r);
        if (tit == impl_->tables.end())
            continue;
        auto oit = tit->second.objects.find(key);
        if (oit == tit->second.objects.end() || !oit->second.hot)
            continue;
        const json* obj = oit->second.hot.get();
        if (impl_->texts.count(obj))
            continue;
        impl_->texts.emplace(obj, std::make_shared<const std::string>(obj->dump()));
        ++done;
    }
    return done;
}

std::string object_store::serialize_list(const resource_info& resource,
                                         const list_result& page) const {
    json meta = {{"resourceVersion", page.resource_version}};
    if (!page.continue_token.empty())
        meta["continue"] = page.continue_token;
    if (page.remaining_item_count)
        meta["remainingItemCount"] = *page.remaining_item_count;
    std::vector<std::shared_ptr<const std::string>> texts;
    texts.reserve(page.items.size());
    std::size_t size = 128;
    for (const auto& p : page.items) {
        texts.push_back(serialized(p));
        size += texts.back()->size() + 1;
    }
    std::string out;
    out.reserve(size);
    out += "{\"kind\":";
    out += json(resource.list_kind).dump();
    out += ",\"apiVersion\":";
    out += json(resource.api_version()).dump();
    out += ",\"metadata\":";
    out += meta.dump();
    out += ",\"items\":[";
    for (std::size_t i = 0; i < texts.size(); ++i) {
        if (i)
            out += ',';
        out += *texts[i];
    }
    out += "]}";
    return out;
}

// --- update / patch --------------------------------------------------------------------------

namespace detail {

/// The last stage of update and patch: `incoming` is the full new object.
api_result<object_ptr> commit_update(object_store& store, const resource_info& r,
                                     const object_ptr& existing, json incoming,
                                     const write_options& options, bool status_only,
                                     bool require_rv, const crd_validator* validator,
                                     std::uint64_t sequence,
                                     const object_store::admission_hook& hook) {
    const json& old_meta = meta_of(*existing);
    const std::string& name = str_or_empty(old_meta, "name");
    auto& meta = incoming["metadata"];
    if (!meta.is_object())
        meta = json::object();

    const std::string& rv = str_or_empty(meta, "resourceVersion");
    if (!rv.empty()) {
        if (rv != str_or_empty(old_meta, "resourceVersion"))
            return conflict(r, name);
    } else if (require_rv && r.crd && !status_only) {
        return invalid(r, name,
                       {{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                         "metadata.resourceVersion"}});
    }
    json merged;
    if (status_only) {
        // The status subresource takes .status only (and keeps metadata as stored).
        merged = *existing;
        if (incoming.contains("status"))
            merged["status"] = incoming["status"];
        else
            merged.erase("status");
    } else {
        merged = std::move(incoming);
        if (r.has_status) {
            auto st = existing->find("status");
            if (st != existing->end())
                merged["status"] = *st;
            else
                merged.erase("status");
        }
        auto& m = merged["metadata"];
        // Immutable / server-owned metadata.
        for (const char* k : {"uid", "creationTimestamp", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "generation", "namespace", "name"}) {
            auto o = old_meta.find(k);
            if (o != old_meta.end())
                m[k] = *o;
            else
                m.erase(k);
        }
        m.erase("managedFields");
        m.erase("selfLink");
    }
    if (!r.namespaced)
        merged["metadata"].erase("namespace");
    merged["metadata"]["resourceVersion"] = str_or_empty(old_meta, "resourceVersion");
    if (auto e = check_type(r, merged))
        return *e;
    if (!status_only) {
        if (auto e = admit(r, merged, options, validator, sequence, false, existing.get(), hook)) {
            return *e;
        }
    }
    if (options.dry_run)
        return std::make_shared<const json>(std::move(merged));

    // Finalizers emptied on an object being deleted: it goes away now.
    const json& nm = meta_of(merged);
    if (nm.contains("deletionTimestamp")) {
        auto f = nm.find("finalizers");
        if (f == nm.end() || !f->is_array() || f->empty()) {
            std::string ns = str_or_empty(nm, "namespace");
            auto p = store.put(r, std::move(merged));
            store.erase(r, ns, name);
            return p;
        }
    }
    return store.put(r, std::move(merged));
}

}  // namespace detail

api_result<object_ptr> object_store::update(const resource_info& resource,
                                            std::string_view namespace_, std::string_view name,
                                            json object, const write_options& options,
                                            bool status_only) {
    op_scope scope(impl_->depth, impl_->changed, impl_->listener, *this);
    ++stats_.updates;
    auto fail = [&](api_error e) -> api_result<object_ptr> {
        ++stats_.errors;
        return e;
    };
    if (!object.is_object())
        return fail(bad_request("the body of the request must be an object"));
    const auto& meta = meta_of(object);
    const std::string& body_name = str_or_empty(meta, "name");
    if (body_name != name) {
        return fail(bad_request("the name of the object (" + body_name +
                                ") does not match the name on the URL (" + std::string(name) +
                                ")"));
    }
    if (resource.namespaced) {
        const std::string& body_ns = str_or_empty(meta, "namespace");
        if (!body_ns.empty() && body_ns != namespace_) {
            return fail(
                bad_request("the namespace of the provided object does not match the "
                            "namespace sent on the request"));
        }
        object["metadata"]["namespace"] = std::string(namespace_);
    }
    auto existing = find(resource, namespace_, name);
    if (!existing)
        return fail(not_found(resource, name));
    auto r = detail::commit_update(*this, resource, existing, std::move(object), options,
                                   status_only, true, validator_, ++impl_->sequence, admission_);
    if (!r)
        ++stats_.errors;
    return r;
}

api_result<object_ptr> object_store::patch(const resource_info& resource,
                                           std::string_view namespace_, std::string_view name,
                                           patch_type type, const json& patch,
                                           const write_options& options, bool status_only) {
    op_scope scope(impl_->depth, impl_->changed, impl_->listener, *this);
    ++stats_.patches;
    auto fail = [&](api_error e) -> api_result<object_ptr> {
        ++stats_.errors;
        return e;
    };
    if (type == patch_type::strategic && resource.crd) {
        api_error e;
        e.code = 415;
        e.reason = "UnsupportedMediaType";
        e.message =
            "the body of the request was in an unknown format - accepted media types "
            "include: application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml";
        return fail(e);
    }
    auto existing = find(resource, namespace_, name);
    if (!existing) {
        if (type == patch_type::apply && patch.is_object()) {
            json obj = patch;
            auto& m = obj["metadata"];
            if (!m.is_object())
                m = json::object();
            if (str_or_empty(m, "name").empty())
                m["name"] = std::string(name);
            --stats_.creates;  // counted as a patch
            auto created = create(resource, namespace_, std::move(obj), options);
            if (!created)
                ++stats_.errors;
            return created;
        }
        return fail(not_found(resource, name));
    }
    json target = *existing;
    switch (type) {
        case patch_type::merge:
            if (!patch.is_object())
                return fail(bad_request("json: cannot unmarshal into object"));
            apply_merge_patch(target, patch);
            break;
        case patch_type::strategic:
            if (!patch.is_object())
                return fail(bad_request("json: cannot unmarshal into object"));
            apply_strategic_merge_patch(target, patch);
            break;
        case patch_type::apply:
            if (!patch.is_object())
                return fail(bad_request("json: cannot unmarshal into object"));
            {
                // Server-side apply, approximated: the applied configuration merged in; a
                // resourceVersion in it is a precondition like in update.
                json p = patch;
                if (p.contains("metadata") && p["metadata"].is_object()) {
                    p["metadata"].erase("managedFields");
                }
                apply_merge_patch(target, p);
            }
            break;
        case patch_type::json_patch: {
            std::string err = apply_json_patch(target, patch);
            if (!err.empty()) {
                api_error e;
                e.code = 422;
                e.reason = "Invalid";
                e.message = err;
                return fail(e);
            }
            break;
        }
    }
    if (!target.is_object())
        return fail(bad_request("the patch must produce an object"));
    // A resourceVersion only stays a precondition if the patch itself carried one.
    bool patch_has_rv = patch.is_object() && patch.contains("metadata") &&
                        patch["metadata"].is_object() &&
                        patch["metadata"].contains("resourceVersion");
    if (!patch_has_rv && type != patch_type::json_patch) {
        target["metadata"]["resourceVersion"] = meta_of(*existing).value("resourceVersion", "");
    }
    if (str_or_empty(meta_of(target), "name") != name) {
        return fail(
            bad_request("metadata.name: Invalid value: the name may not be changed by "
                        "a patch"));
    }
    auto r = detail::commit_update(*this, resource, existing, std::move(target), options,
                                   status_only, false, validator_, ++impl_->sequence, admission_);
    if (!r)
        ++stats_.errors;
    return r;
}

// --- delete ----------------------------------------------------------------------------------

namespace detail {

void cascade(
    object_store& store, const resource_registry& registry,
    std::unordered_map<std::string, std::set<std::pair<const resource_info*, std::string>>>& owners,
    const std::string& uid, bool orphan, int depth);

}  // namespace detail

api_result<delete_result> object_store::remove(const resource_info& resource,
                                               std::string_view namespace_, std::string_view name,
                                               const delete_options& options) {
    op_scope scope(impl_->depth, impl_->changed, impl_->listener, *this);
    ++stats_.deletes;
    auto fail = [&](api_error e) -> api_result<delete_result> {
        ++stats_.errors;
        return e;
    };
    auto existing = find(resource, namespace_, name);
    if (!existing)
        return fail(not_found(resource, name));
    const json& meta = meta_of(*existing);
    const std::string uid = str_or_empty(meta, "uid");
    if (options.precondition_uid && *options.precondition_uid != uid) {
        return fail(conflict(resource, name,
                             "Precondition failed: UID in precondition: " +
                                 *options.precondition_uid + ", UID in object meta: " + uid));
    }
    if (options.precondition_resource_version &&
        *options.precondition_resource_version != str_or_empty(meta, "resourceVersion")) {
        return fail(conflict(
            resource, name,
            "Precondition failed: ResourceVersion in precondition: " +
                *options.precondition_resource_version +
                ", ResourceVersion in object meta: " + str_or_empty(meta, "resourceVersion")));
    }
    const std::string& pp = options.propagation_policy;
    if (!pp.empty() && pp != "Orphan" && pp != "Background" && pp != "Foreground") {
        return fail(invalid(resource, name,
                            {{"FieldValueNotSupported",
                              "Unsupported value: \"" + pp +
                                  "\": supported values: \"Foreground\", \"Background\", "
                                  "\"Orphan\"",
                              "propagationPolicy"}}));
    }
    delete_result out;
    if (options.dry_run) {
        out.body = resource.return_deleted_object ? *existing : success_status(resource, name, uid);
        out.removed = true;
        return out;
    }

    auto finalizers = meta.find("finalizers");
    bool has_finalizers =
        finalizers != meta.end() && finalizers->is_array() && !finalizers->empty();
    bool is_namespace = &resource == impl_->namespaces;
    if (is_namespace || has_finalizers) {
        // Kept with a deletionTimestamp until finalizers are gone (namespaces: until the
        // namespace controller emptied them, see `finalize_namespaces`).
        if (meta.contains("deletionTimestamp")) {
            out.body = *existing;
            return out;
        }
        json obj = *existing;
        obj["metadata"]["deletionTimestamp"] = format_time(now_);
        obj["metadata"]["deletionGracePeriodSeconds"] = 0;
        if (is_namespace)
            obj["status"] = {{"phase", "Terminating"}};
        out.body = *put(resource, std::move(obj));
        return out;
    }

    bool orphan = pp.empty() ? resource.orphan_by_default : pp == "Orphan";
    json last = *existing;
    if (resource.plural == "pods" && resource.group.empty()) {
        last["metadata"]["deletionTimestamp"] = format_time(now_);
        last["metadata"]["deletionGracePeriodSeconds"] = options.grace_period_seconds.value_or(0);
    }
    erase(resource, namespace_, name);
    detail::cascade(*this, registry_, impl_->owners, uid, orphan, 0);
    out.removed = true;
    out.body =
        resource.return_deleted_object ? std::move(last) : success_status(resource, name, uid);
    return out;
}

namespace detail {

void cascade(
    object_store& store, const resource_registry& registry,
    std::unordered_map<std::string, std::set<std::pair<const resource_info*, std::string>>>& owners,
    const std::string& uid, bool orphan, int depth) {
    (void)registry;
    if (uid.empty() || depth > 16)
        return;
    auto it = owners.find(uid);
    if (it == owners.end())
        return;
    auto dependants = it->second;  // copy: erase/put modify the index
    for (const auto& [res, key] : dependants) {
        auto slash = key.find('/');
        std::string ns = key.substr(0, slash);
        std::string name = key.substr(slash + 1);
        auto obj = store.find(*res, ns, name);
        if (!obj)
            continue;
        if (orphan) {
            json copy = *obj;
            auto& refs = copy["metadata"]["ownerReferences"];
            json kept = json::array();
            for (const auto& ref : refs) {
                if (!(ref.is_object() && ref.value("uid", "") == uid))
                    kept.push_back(ref);
            }
            if (kept.empty())
                copy["metadata"].erase("ownerReferences");
            else
                refs = std::move(kept);
            store.put(*res, std::move(copy));
        } else {
            std::string child_uid = meta_of(*obj).value("uid", "");
            store.erase(*res, ns, name);
            cascade(store, registry, owners, child_uid, false, depth + 1);
        }
    }
}

}  // namespace detail

api_result<json> object_store::remove_collection(const resource_info& resource,
                                                 std::string_view namespace_,
                                                 const list_options& selection,
                                                 const delete_options& options) {
    op_scope scope(impl_->depth, impl_->changed, impl_->listener, *this);
    list_options all = selection;
    all.limit = 0;
    all.continue_token.clear();
    auto page = list(resource, namespace_, all);
    if (!page)
        return page.error();
    json items = json::array();
    for (const auto& p : page->items) {
        const auto& m = meta_of(*p);
        auto r = remove(resource, str_or_empty(m, "namespace"), str_or_empty(m, "name"), options);
        if (r)
            items.push_back(*p);
    }
    json out = {{"kind", resource.list_kind},
                {"apiVersion", resource.api_version()},
                {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
                {"items", std::move(items)}};
    return api_result<json>(boost::system::in_place_value, std::move(out));
}

// --- watch -----------------------------------------------------------------------------------

api_result<watch_cursor> object_store::watch(const resource_info& resource,
                                             const watch_options& options) const {
    ++stats_.watches_opened;
    auto fail = [&](api_error e) -> api_result<watch_cursor> {
        ++stats_.errors;
        return e;
    };
    auto labels = label_selector::parse(options.label_selector);
    if (!labels)
        return fail(labels.error());
    std::string fs = options.field_selector;
    if (!options.name.empty()) {
        fs = fs.empty() ? "metadata.name=" + options.name : fs + ",metadata.name=" + options.name;
    }
    auto fields = field_selector::parse(fs, resource);
    if (!fields)
        return fail(fields.error());
    auto filter = std::make_shared<watch_filter>();
    filter->labels = std::move(*labels);
    filter->fields = std::move(*fields);

    watch_cursor c;
    c.resource = &resource;
    c.options = options;
    c.filter = filter;
    const std::string& rvs = options.resource_version;
    bool initial = rvs.empty() || rvs == "0" || options.send_initial_events;
    if (initial) {
        c.position = rv_;
        for_each(resource, options.namespace_, [&](const object_ptr& p) {
            if (filter_matches(*filter, *p)) {
                c.pending_initial.push_back({event_type::added, p, rv_});
            }
        });
        if (options.send_initial_events && options.allow_bookmarks) {
            auto bm = bookmark(c);
            json b = *bm.object;
            b["metadata"]["annotations"] = {{"k8s.io/initial-events-end", "true"}};
            bm.object = std::make_shared<const json>(std::move(b));
            c.pending_initial.push_back(std::move(bm));
        }
        return c;
    }
    bool ok = false;
    std::uint64_t since = parse_rv(rvs, ok);
    if (!ok) {
        return fail(bad_request("resourceVersion: Invalid value: \"" + rvs +
                                "\": invalid resource version"));
    }
    if (since < impl_->trimmed_rv) {
        return fail(expired("too old resource version: " + std::to_string(since) + " (" +
                            std::to_string(impl_->trimmed_rv + 1) + ")"));
    }
    c.position = since;
    return c;
}

api_result<std::vector<watch_event>> object_store::watch_next(watch_cursor& cursor,
                                                              std::size_t max) const {
    std::vector<watch_event> out;
    if (!cursor.pending_initial.empty()) {
        std::size_t n = std::min(max, cursor.pending_initial.size());
        out.assign(std::make_move_iterator(cursor.pending_initial.begin()),
                   std::make_move_iterator(cursor.pending_initial.begin() +
                                           static_cast<std::ptrdiff_t>(n)));
        cursor.pending_initial.erase(
            cursor.pending_initial.begin(),
            cursor.pending_initial.begin() + static_cast<std::ptrdiff_t>(n));
        if (out.size() >= max)
            return out;
    }
    if (cursor.position >= rv_)
        return out;
    if (cursor.position < impl_->trimmed_rv) {
        return expired("too old resource version: " + std::to_string(cursor.position) + " (" +
                       std::to_string(impl_->trimmed_rv + 1) + ")");
    }
    const auto& hist = impl_->history;
    auto it =
        std::upper_bound(hist.begin(), hist.end(), cursor.position,
                         [](std::uint64_t v, const impl::event_record& e) { return v < e.rv; });
    const auto* filter = static_cast<const watch_filter*>(cursor.filter.get());
    const std::string& ns = cursor.options.namespace_;
    for (; it != hist.end() && out.size() < max; ++it) {
        cursor.position = it->rv;
        if (it->resource != cursor.resource)
            continue;
        const json& m = meta_of(*it->object);
        if (!ns.empty() && cursor.resource->namespaced && str_or_empty(m, "namespace") != ns) {
            continue;
        }
        if (!filter) {
            out.push_back({it->type, it->object, it->rv});
            continue;
        }
        bool now = filter_matches(*filter, *it->object);
        if (it->type == event_type::modified && it->previous) {
            bool before = filter_matches(*filter, *it->previous);
            if (now && before)
                out.push_back({event_type::modified, it->object, it->rv});
            else if (now)
                out.push_back({event_type::added, it->object, it->rv});
            else if (before)
                out.push_back({event_type::deleted, it->object, it->rv});
        } else if (now) {
            out.push_back({it->type, it->object, it->rv});
        }
    }
    if (it == hist.end())
        cursor.position = std::max(cursor.position, rv_);
    return out;
}

bool object_store::changes_since(
    std::uint64_t since,
    const std::function<void(const resource_info&, event_type, const object_ptr&)>& visit) const {
    if (since >= rv_)
        return true;
    if (since < impl_->trimmed_rv)
        return false;
    const auto& hist = impl_->history;
    auto after = [](std::uint64_t v, const impl::event_record& e) { return v < e.rv; };
    auto it = std::upper_bound(hist.begin(), hist.end(), since, after);
    for (; it != hist.end(); ++it)
        visit(*it->resource, it->type, it->object);
    return true;
}

watch_event object_store::bookmark(const watch_cursor& cursor) const {
    json obj = {{"kind", cursor.resource ? cursor.resource->kind : ""},
                {"apiVersion", cursor.resource ? cursor.resource->api_version() : ""},
                {"metadata", {{"resourceVersion", std::to_string(cursor.position)}}}};
    return {event_type::bookmark, std::make_shared<const json>(std::move(obj)), cursor.position};
}

}  // namespace fedsim::model
