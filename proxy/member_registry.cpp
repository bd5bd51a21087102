#include "proxy/member_registry.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

namespace proxy {

namespace {

using propagation::field_error;
using nlohmann::json;

/// Reads an optional string member; a present member of another type is an error.
std::string optional_string(const json& parent, const char* key, const std::string& path,
                            std::vector<field_error>& errors)
{
    const auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) {
        return {};
    }
    if (!it->is_string()) {
        errors.push_back({path + "." + key, "must be a string", "FieldValueTypeInvalid"});
        return {};
    }
    return it->get<std::string>();
}

const json* optional_member(const json& parent, const char* key, json::value_t type,
                            const std::string& path, std::vector<field_error>& errors)
{
    const auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) {
        return nullptr;
    }
    if (it->type() != type) {
        errors.push_back({path + "." + key,
                          type == json::value_t::array ? "must be an array" : "must be an object",
                          "FieldValueTypeInvalid"});
        return nullptr;
    }
    return &*it;
}

}  // namespace

propagation::result<member_cluster> parse_member_cluster(std::shared_ptr<const json> object)
{
    if (!object || !object->is_object()) {
        return propagation::bad_input_error("a Cluster must be a JSON object");
    }
    const json& o = *object;
    std::vector<field_error> errors;
    member_cluster out;

    static const json empty = json::object();
    const json* meta = optional_member(o, "metadata", json::value_t::object, "", errors);
    const json& m = meta ? *meta : empty;
    out.name = optional_string(m, "name", "metadata", errors);
    if (out.name.empty()) {
        errors.push_back({"metadata.name", "Required value", "FieldValueRequired"});
    }
    out.resource_version = optional_string(m, "resourceVersion", "metadata", errors);
    if (const json* labels = optional_member(m, "labels", json::value_t::object, "metadata",
                                             errors)) {
        for (const auto& [key, value] : labels->items()) {
            if (!value.is_string()) {
                errors.push_back({"metadata.labels." + key, "must be a string",
                                  "FieldValueTypeInvalid"});
                continue;
            }
            out.labels[key] = value.get<std::string>();
        }
    }

    const json* spec_ptr = optional_member(o, "spec", json::value_t::object, "", errors);
    const json& spec = spec_ptr ? *spec_ptr : empty;
    out.provider = optional_string(spec, "provider", "spec", errors);
    out.region = optional_string(spec, "region", "spec", errors);
    out.sync_mode = optional_string(spec, "syncMode", "spec", errors);
    out.api_endpoint = optional_string(spec, "apiEndpoint", "spec", errors);
    if (const json* zones = optional_member(spec, "zones", json::value_t::array, "spec", errors)) {
        for (std::size_t i = 0; i < zones->size(); ++i) {
            if (!(*zones)[i].is_string()) {
                errors.push_back({"spec.zones[" + std::to_string(i) + "]", "must be a string",
                                  "FieldValueTypeInvalid"});
                continue;
            }
            out.zones.push_back((*zones)[i].get<std::string>());
        }
    }
    if (out.zones.empty()) {
        // `zone` is the deprecated single-zone form still served by older Karmada.
        auto zone = optional_string(spec, "zone", "spec", errors);
        if (!zone.empty()) {
            out.zones.push_back(std::move(zone));
        }
    }
    if (const json* taints = optional_member(spec, "taints", json::value_t::array, "spec",
                                             errors)) {
        for (std::size_t i = 0; i < taints->size(); ++i) {
            const auto path = "spec.taints[" + std::to_string(i) + "]";
            const json& t = (*taints)[i];
            if (!t.is_object()) {
                errors.push_back({path, "must be an object", "FieldValueTypeInvalid"});
                continue;
            }
            cluster_taint taint;
            taint.key = optional_string(t, "key", path, errors);
            taint.value = optional_string(t, "value", path, errors);
            taint.effect = optional_string(t, "effect", path, errors);
            out.taints.push_back(std::move(taint));
        }
    }

    const json* status_ptr = optional_member(o, "status", json::value_t::object, "", errors);
    const json& status = status_ptr ? *status_ptr : empty;
    out.kubernetes_version = optional_string(status, "kubernetesVersion", "status", errors);
    if (const json* conditions = optional_member(status, "conditions", json::value_t::array,
                                                 "status", errors)) {
        for (std::size_t i = 0; i < conditions->size(); ++i) {
            const auto path = "status.conditions[" + std::to_string(i) + "]";
            const json& c = (*conditions)[i];
            if (!c.is_object()) {
                errors.push_back({path, "must be an object", "FieldValueTypeInvalid"});
                continue;
            }
            if (optional_string(c, "type", path, errors) != "Ready") {
                continue;
            }
            auto value = optional_string(c, "status", path, errors);
            out.ready_status = value == "True" || value == "False" ? value : "Unknown";
            out.ready = value == "True";
            out.ready_reason = optional_string(c, "reason", path, errors);
            out.ready_message = optional_string(c, "message", path, errors);
        }
    }

    if (!errors.empty()) {
        return propagation::invalid_error(std::move(errors));
    }
    out.object = std::move(object);
    return out;
}

struct member_registry::state {
    mutable std::mutex mu;
    std::shared_ptr<const member_list> published = std::make_shared<const member_list>();
    std::vector<listener> listeners;
    std::atomic<bool> synced{false};
    std::atomic<std::uint64_t> updates{0};
    std::atomic<std::uint64_t> invalid{0};

    void rebuild(const object_cache& cache)
    {
        auto members = std::make_shared<member_list>();
        std::uint64_t invalid_now = 0;
        for (const auto& [key, object] : cache) {
            auto parsed = parse_member_cluster(object);
            if (!parsed) {
                ++invalid_now;
                continue;
            }
            members->push_back(std::move(*parsed));
        }
        std::sort(members->begin(), members->end(),
                  [](const member_cluster& a, const member_cluster& b) { return a.name < b.name; });
        std::shared_ptr<const member_list> snapshot = std::move(members);
        std::vector<listener> to_call;
        {
            std::lock_guard lock(mu);
            published = snapshot;
            to_call = listeners;
        }
        invalid = invalid_now;
        ++updates;
        for (const auto& l : to_call) {
            l(snapshot);
        }
    }
};

member_registry::member_registry(const kube_client& client, member_registry_options options)
    : state_(std::make_shared<state>())
{
    if (options.watch.path.empty()) {
        options.watch.path = std::string(clusters_path);
    }
    std::weak_ptr<state> weak = state_;
    reflector_ = std::make_unique<reflector>(
        client, std::move(options.watch),
        [weak](const std::vector<cache_change>&, const std::shared_ptr<const object_cache>& cache) {
            if (auto s = weak.lock()) {
                s->synced = true;
                s->rebuild(*cache);
            }
        });
}

member_registry::member_registry(const std::vector<nlohmann::json>& clusters)
    : state_(std::make_shared<state>())
{
    object_cache cache;
    for (std::size_t i = 0; i < clusters.size(); ++i) {
        auto key = object_key(clusters[i]);
        if (key.empty()) {
            // Still parsed, so it is counted as invalid. (Appended rather than `"#" + ...`:
            // g++ 12 -O3 warns falsely on that form, -Wrestrict.)
            key = std::to_string(i);
            key.insert(key.begin(), '#');
        }
        cache[key] = std::make_shared<const nlohmann::json>(clusters[i]);
    }
    state_->rebuild(cache);
    state_->synced = true;
}

member_registry::~member_registry()
{
    if (reflector_) {
        reflector_->stop();
    }
}

void member_registry::start()
{
    if (reflector_) {
        reflector_->start();
    }
}

void member_registry::stop()
{
    if (reflector_) {
        reflector_->stop();
    }
}

std::shared_ptr<const member_list> member_registry::snapshot() const
{
    std::lock_guard lock(state_->mu);
    return state_->published;
}

std::optional<member_cluster> member_registry::find(std::string_view name) const
{
    const auto members = snapshot();
    const auto it = std::lower_bound(
        members->begin(), members->end(), name,
        [](const member_cluster& m, std::string_view n) { return m.name < n; });
    if (it == members->end() || it->name != name) {
        return std::nullopt;
    }
    return *it;
}

bool member_registry::synced() const { return state_->synced; }

void member_registry::subscribe(listener on_change)
{
    std::lock_guard lock(state_->mu);
    state_->listeners.push_back(std::move(on_change));
}

member_registry_stats member_registry::stats() const
{
    member_registry_stats out;
    out.updates = state_->updates;
    out.invalid_clusters = state_->invalid;
    if (reflector_) {
        out.reflector = reflector_->stats();
    }
    return out;
}

}  // namespace proxy
