#include "sim/model/federation.hpp"

#include "sim/model/crd_validator.hpp"
#include "sim/model/karmada_controller.hpp"
#include "sim/model/member_cluster.hpp"

#include <set>

namespace fedsim::model {

using nlohmann::json;

json fault_state::to_json() const {
    return {{"ready", ready},
            {"latencyMs", latency_ms},
            {"failNextRequests", fail_next_requests},
            {"unavailable", unavailable}};
}

void federation_stats::increment(std::string_view key, std::uint64_t by) {
    auto it = counters.find(key);
    if (it == counters.end())
        counters.emplace(std::string(key), by);
    else
        it->second += by;
}

struct federation::impl {
    federation_config config;
    resource_registry registry = resource_registry::builtin();
    crd_validator validator;
    std::unique_ptr<object_store> control_plane;
    std::vector<std::unique_ptr<member_cluster>> members;
    std::map<std::string, fault_state, std::less<>> faults;  // "" = the control plane
    std::unique_ptr<karmada_controller> karmada;
    federation_stats stats;
    std::function<void()> listener;
    time_point now{};
    int depth = 0;  // inside advance: changes are reported once at the end
    bool changed = false;
    std::uint64_t counter_after_run = 0;  // change counter when `run` last went quiet

    std::uint64_t change_counter() const {
        std::uint64_t sum = control_plane->resource_version();
        for (const auto& m : members)
            sum += m->store().resource_version();
        return sum;
    }

    void on_change() {
        if (depth > 0) {
            changed = true;
            return;
        }
        if (listener)
            listener();
    }

    member_cluster* find_member(std::string_view name) const {
        for (const auto& m : members) {
            if (m->name() == name)
                return m.get();
        }
        return nullptr;
    }

    void run(time_point t) {
        if (t > now)
            now = t;
        ++depth;
        control_plane->set_time(now);
        for (int round = 0; round < 64; ++round) {
            bool busy = false;
            for (auto& m : members)
                busy = m->advance(now) || busy;
            busy = karmada->advance(now) || busy;
            // The namespace controller takes a moment, as in a real cluster, so that
            // `kubectl delete -f` of a namespace and its objects deletes them all.
            busy = control_plane->finalize_namespaces(std::chrono::seconds(2)) || busy;
            if (!busy)
                break;
        }
        --depth;
        counter_after_run = change_counter();
        if (changed) {
            changed = false;
            if (listener)
                listener();
        }
    }
};

federation::federation(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
federation::~federation() = default;

propagation::result<std::unique_ptr<federation>> federation::create(federation_config config,
                                                                    time_point start) {
    std::set<std::string> names;
    std::vector<propagation::field_error> errors;
    for (std::size_t i = 0; i < config.clusters.size(); ++i) {
        if (!names.insert(config.clusters[i].name).second) {
            errors.push_back({"clusters[" + std::to_string(i) + "].name",
                              "Duplicate value: \"" + config.clusters[i].name + "\"",
                              "FieldValueDuplicate"});
        }
    }
    if (!errors.empty())
        return propagation::invalid_error(std::move(errors));

    auto p = std::make_unique<impl>();
    p->config = std::move(config);
    p->now = start;
    auto* raw = p.get();
    p->control_plane = std::make_unique<object_store>(p->registry, "karmada-apiserver",
                                                      p->config.seed, p->config.history);
    p->control_plane->set_time(start);
    p->faults[""] = fault_state{};
    std::vector<member_cluster*> member_ptrs;
    std::uint64_t i = 0;
    for (const auto& c : p->config.clusters) {
        ++i;
        auto m = std::make_unique<member_cluster>(p->registry, c, p->config.seed * 1000003ULL + i,
                                                  p->config.time_scale, p->config.member_history,
                                                  p->config.events, start);
        m->store().set_change_listener([raw](const object_store&) { raw->on_change(); });
        member_ptrs.push_back(m.get());
        p->faults[c.name] = fault_state{};
        p->members.push_back(std::move(m));
    }
    p->karmada = std::make_unique<karmada_controller>(*p->control_plane, p->registry, member_ptrs,
                                                      p->faults, p->config.kubernetes_version);
    p->control_plane->set_admission_hook([raw](const resource_info& r, json& obj, const json* old) {
        return raw->karmada->admit(r, obj, old);
    });
    ++p->depth;
    p->karmada->bootstrap(start);
    --p->depth;
    p->changed = false;
    p->control_plane->set_change_listener([raw](const object_store&) { raw->on_change(); });
    auto f = std::unique_ptr<federation>(new federation(std::move(p)));
    f->impl_->run(start);
    return f;
}

propagation::result<void> federation::load_crds(const std::filesystem::path& dir) {
    std::string err = impl_->validator.load_directory(dir);
    if (!err.empty())
        return propagation::bad_input_error(err);
    for (const auto& e : impl_->validator.entries()) {
        resource_info* r = impl_->registry.find_mutable(e.group, e.version, e.plural);
        if (!r)
            continue;
        r->schema = std::make_shared<const json>(e.schema);
        r->columns.clear();
        if (e.printer_columns.is_array()) {
            for (const auto& c : e.printer_columns) {
                printer_column pc;
                pc.name = c.value("name", "");
                pc.type = c.value("type", "string");
                pc.format = c.value("format", "");
                pc.description = c.value("description", "");
                pc.json_path = c.value("jsonPath", "");
                pc.priority = c.value("priority", 0);
                r->columns.push_back(std::move(pc));
            }
        }
    }
    impl_->control_plane->set_validator(&impl_->validator);
    for (auto& m : impl_->members)
        m->store().set_validator(&impl_->validator);
    return {};
}

const resource_registry& federation::registry() const {
    return impl_->registry;
}
const federation_config& federation::config() const {
    return impl_->config;
}
object_store& federation::control_plane() {
    return *impl_->control_plane;
}
const object_store& federation::control_plane() const {
    return *impl_->control_plane;
}

object_store* federation::member(std::string_view name) {
    auto* m = impl_->find_member(name);
    return m ? &m->store() : nullptr;
}

const object_store* federation::member(std::string_view name) const {
    auto* m = impl_->find_member(name);
    return m ? &m->store() : nullptr;
}

std::vector<std::string> federation::member_names() const {
    std::vector<std::string> out;
    for (const auto& m : impl_->members)
        out.push_back(m->name());
    return out;
}

void federation::advance(time_point now) {
    impl_->run(now);
}

time_point federation::now() const {
    return impl_->now;
}

std::optional<time_point> federation::next_wakeup() const {
    // Writes since the last run are work for the controllers right away.
    if (impl_->change_counter() != impl_->counter_after_run)
        return impl_->now;
    std::optional<time_point> best =
        impl_->control_plane->next_finalization(std::chrono::seconds(2));
    for (const auto& m : impl_->members) {
        auto t = m->next_wakeup();
        if (t && (!best || *t < *best))
            best = t;
    }
    if (auto t = impl_->karmada->next_wakeup(); t && (!best || *t < *best))
        best = t;
    return best;
}

std::size_t federation::warm_caches(std::size_t max) {
    std::size_t done = impl_->control_plane->warm_serialized(max);
    for (auto& m : impl_->members) {
        if (done >= max)
            break;
        done += m->store().warm_serialized(max - done);
    }
    return done;
}

api_result<log_chunk> federation::pod_log(std::string_view cluster, std::string_view namespace_,
                                          std::string_view pod, const log_options& options) const {
    auto* m = impl_->find_member(cluster);
    if (!m)
        return not_found("cluster.karmada.io", "clusters", cluster);
    return m->pod_log(namespace_, pod, options);
}

api_result<fault_state> federation::set_fault(std::string_view cluster, const json& body) {
    auto it = impl_->faults.find(cluster);
    if (it == impl_->faults.end())
        return not_found("cluster.karmada.io", "clusters", cluster);
    if (!body.is_object())
        return bad_request("the fault must be a JSON object");
    fault_state f = it->second;
    for (const auto& [k, v] : body.items()) {
        if (k == "ready" || k == "unavailable") {
            if (!v.is_boolean())
                return bad_request(k + ": must be a boolean");
            (k == "ready" ? f.ready : f.unavailable) = v.get<bool>();
        } else if (k == "latencyMs" || k == "failNextRequests") {
            if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
                v.get<std::int64_t>() > 3600000) {
                return bad_request(k + ": must be an integer between 0 and 3600000");
            }
            (k == "latencyMs" ? f.latency_ms : f.fail_next_requests) = v.get<std::int64_t>();
        } else {
            return bad_request("unknown field \"" + k + "\"");
        }
    }
    it->second = f;
    impl_->stats.increment(cluster.empty() ? "faults.controlplane" : "faults.clusters");
    impl_->run(impl_->now);
    return f;
}

api_result<fault_state> federation::clear_fault(std::string_view cluster) {
    auto it = impl_->faults.find(cluster);
    if (it == impl_->faults.end())
        return not_found("cluster.karmada.io", "clusters", cluster);
    it->second = fault_state{};
    impl_->run(impl_->now);
    return it->second;
}

const fault_state* federation::fault(std::string_view cluster) const {
    auto it = impl_->faults.find(cluster);
    return it == impl_->faults.end() ? nullptr : &it->second;
}

bool federation::consume_failure(std::string_view cluster) {
    auto it = impl_->faults.find(cluster);
    if (it == impl_->faults.end() || it->second.fail_next_requests <= 0)
        return false;
    --it->second.fail_next_requests;
    return true;
}

federation_stats& federation::stats() {
    return impl_->stats;
}

namespace {

json store_json(const object_store& s) {
    const auto& st = s.stats();
    return {{"resourceVersion", s.resource_version()},
            {"creates", st.creates},
            {"updates", st.updates},
            {"patches", st.patches},
            {"deletes", st.deletes},
            {"gets", st.gets},
            {"lists", st.lists},
            {"watches", st.watches_opened},
            {"errors", st.errors}};
}

}  // namespace

json federation::stats_json() const {
    json counters = json::object();
    for (const auto& [k, v] : impl_->stats.counters)
        counters[k] = v;
    json clusters = json::object();
    const auto* pods = impl_->registry.find("", "v1", "pods");
    const auto* nodes = impl_->registry.find("", "v1", "nodes");
    for (const auto& m : impl_->members) {
        json j = store_json(m->store());
        if (pods)
            j["pods"] = m->store().count(*pods);
        if (nodes)
            j["nodes"] = m->store().count(*nodes);
        clusters[m->name()] = std::move(j);
    }
    return {{"counters", counters},
            {"controlPlane", store_json(*impl_->control_plane)},
            {"clusters", clusters}};
}

void federation::set_change_listener(std::function<void()> listener) {
    impl_->listener = std::move(listener);
}

std::uint64_t federation::change_counter() const {
    return impl_->change_counter();
}

}  // namespace fedsim::model
