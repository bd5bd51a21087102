#include "sim/model/federation_config.hpp"

#include "sim/model/names.hpp"
#include "sim/model/yaml_json.hpp"

#include "propagation/quantity/quantity.hpp"

#include <fstream>
#include <set>
#include <sstream>

namespace fedsim::model {

using nlohmann::json;

namespace {

struct reader {
    std::vector<propagation::field_error> errors;

    void fail(const std::string& path, std::string msg, const char* reason = "FieldValueInvalid") {
        errors.push_back({path, std::move(msg), reason});
    }

    void unknown_keys(const json& obj, const std::string& path,
                      std::initializer_list<const char*> allowed) {
        for (const auto& [k, v] : obj.items()) {
            bool ok = false;
            for (const char* a : allowed)
                ok = ok || k == a;
            if (!ok)
                fail(path.empty() ? k : path + "." + k, "unknown field", "FieldValueUnknown");
        }
    }

    std::string str(const json& obj, const char* key, const std::string& path, std::string def) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null())
            return def;
        if (it->is_string())
            return it->get<std::string>();
        if (it->is_number())
            return it->dump();
        fail(path + key, "must be a string");
        return def;
    }

    std::int64_t integer(const json& obj, const char* key, const std::string& path,
                         std::int64_t def, std::int64_t min, std::int64_t max) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null())
            return def;
        if (!it->is_number_integer()) {
            fail(path + key, "must be an integer");
            return def;
        }
        auto v = it->get<std::int64_t>();
        if (v < min || v > max) {
            fail(path + key,
                 "must be between " + std::to_string(min) + " and " + std::to_string(max));
            return def;
        }
        return v;
    }

    double number(const json& obj, const char* key, const std::string& path, double def, double min,
                  double max) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null())
            return def;
        if (!it->is_number()) {
            fail(path + key, "must be a number");
            return def;
        }
        double v = it->get<double>();
        if (!(v >= min && v <= max)) {
            fail(path + key, "must be between " + json(min).dump() + " and " + json(max).dump());
            return def;
        }
        return v;
    }

    std::map<std::string, std::string> string_map(const json& obj, const char* key,
                                                  const std::string& path) {
        std::map<std::string, std::string> out;
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null())
            return out;
        if (!it->is_object()) {
            fail(path + key, "must be a map of strings");
            return out;
        }
        for (const auto& [k, v] : it->items()) {
            std::string err = validate_qualified_name(k);
            if (!err.empty())
                fail(path + key + "." + k, err);
            if (v.is_string())
                out[k] = v.get<std::string>();
            else if (v.is_number() || v.is_boolean())
                out[k] = v.dump();
            else
                fail(path + key + "." + k, "must be a string");
        }
        return out;
    }

    void check_quantity(const std::string& value, const std::string& path) {
        auto q = propagation::quantity::parse(value);
        if (!q) {
            fail(path,
                 q.error().causes.empty() ? q.error().message : q.error().causes.front().message);
        } else if (q->sign() < 0) {
            fail(path, "must not be negative");
        }
    }
};

}  // namespace

propagation::result<federation_config> parse_federation_config(std::string_view yaml_text) {
    std::vector<json> docs;
    std::string err;
    if (!yaml_to_json(yaml_text, docs, err)) {
        return propagation::bad_input_error("configuration is not valid YAML: " + err);
    }
    if (docs.size() != 1 || !docs.front().is_object()) {
        return propagation::bad_input_error("configuration must be one YAML mapping");
    }
    const json& root = docs.front();
    reader rd;
    federation_config cfg;
    rd.unknown_keys(root, "",
                    {"seed", "timeScale", "kubernetesVersion", "history", "memberHistory", "events",
                     "clusters"});
    cfg.seed = static_cast<std::uint64_t>(rd.integer(root, "seed", "", 42, 0, INT64_MAX));
    cfg.time_scale = rd.number(root, "timeScale", "", 1, 0.001, 1e6);
    cfg.kubernetes_version = rd.str(root, "kubernetesVersion", "", cfg.kubernetes_version);
    cfg.history = static_cast<std::size_t>(rd.integer(root, "history", "", 10000, 16, 10000000));
    cfg.member_history =
        static_cast<std::size_t>(rd.integer(root, "memberHistory", "", 2000, 16, 10000000));

    if (auto ev = root.find("events"); ev != root.end() && !ev->is_null()) {
        if (!ev->is_boolean())
            rd.fail("events", "must be a boolean");
        else
            cfg.events = ev->get<bool>();
    }
    auto clusters = root.find("clusters");
    if (clusters == root.end() || !clusters->is_array()) {
        rd.fail("clusters", "Required value: a list of member clusters", "FieldValueRequired");
    } else {
        if (clusters->size() > 1000)
            rd.fail("clusters", "must have at most 1000 items");
        std::set<std::string> names;
        for (std::size_t i = 0; i < clusters->size() && i < 1000; ++i) {
            const json& c = (*clusters)[i];
            std::string p = "clusters[" + std::to_string(i) + "].";
            if (!c.is_object()) {
                rd.fail(p.substr(0, p.size() - 1), "must be a mapping");
                continue;
            }
            rd.unknown_keys(c, p.substr(0, p.size() - 1),
                            {"name", "labels", "provider", "region", "zones", "kubernetesVersion",
                             "taints", "resourceModels", "nodes", "workload", "syncMode"});
            cluster_config cc;
            cc.name = rd.str(c, "name", p, "");
            if (cc.name.empty()) {
                rd.fail(p + "name", "Required value", "FieldValueRequired");
            } else {
                auto errs = dns1123_label_errors(cc.name);
                if (cc.name.size() > 48)
                    errs.push_back("must be no more than 48 characters");
                for (const auto& e : errs)
                    rd.fail(p + "name", e);
                if (!names.insert(cc.name).second) {
                    rd.fail(p + "name", "Duplicate value: \"" + cc.name + "\"",
                            "FieldValueDuplicate");
                }
            }
            cc.labels = rd.string_map(c, "labels", p);
            cc.provider = rd.str(c, "provider", p, "");
            cc.region = rd.str(c, "region", p, "");
            cc.kubernetes_version = rd.str(c, "kubernetesVersion", p, cc.kubernetes_version);
            cc.sync_mode = rd.str(c, "syncMode", p, "Push");
            if (cc.sync_mode != "Push" && cc.sync_mode != "Pull") {
                rd.fail(p + "syncMode",
                        "Unsupported value: \"" + cc.sync_mode +
                            "\": supported values: \"Push\", \"Pull\"",
                        "FieldValueNotSupported");
            }
            if (auto z = c.find("zones"); z != c.end() && !z->is_null()) {
                if (!z->is_array())
                    rd.fail(p + "zones", "must be a list of strings");
                else
                    for (const auto& s : *z)
                        if (s.is_string())
                            cc.zones.push_back(s.get<std::string>());
            }
            if (auto t = c.find("taints"); t != c.end() && !t->is_null()) {
                if (!t->is_array())
                    rd.fail(p + "taints", "must be a list");
                else
                    cc.taints = *t;
            }
            if (auto m = c.find("resourceModels"); m != c.end() && !m->is_null()) {
                if (!m->is_array())
                    rd.fail(p + "resourceModels", "must be a list");
                else
                    cc.resource_models = *m;
            }
            if (auto w = c.find("workload"); w != c.end() && !w->is_null()) {
                std::string wp = p + "workload.";
                if (!w->is_object()) {
                    rd.fail(p + "workload", "must be a mapping");
                } else {
                    rd.unknown_keys(
                        *w, p + "workload",
                        {"startSeconds", "runSeconds", "failureRate", "logLinesPerSecond"});
                    cc.workload.start_seconds = rd.number(*w, "startSeconds", wp, 2, 0, 1e7);
                    cc.workload.run_seconds = rd.number(*w, "runSeconds", wp, 60, 0, 1e9);
                    cc.workload.failure_rate = rd.number(*w, "failureRate", wp, 0, 0, 1);
                    cc.workload.log_lines_per_second =
                        rd.number(*w, "logLinesPerSecond", wp, 1, 0, 1000);
                }
            }
            auto nodes = c.find("nodes");
            if (nodes == c.end() || !nodes->is_array() || nodes->empty()) {
                rd.fail(p + "nodes", "Required value: at least one node group",
                        "FieldValueRequired");
            } else {
                std::int64_t total = 0;
                for (std::size_t j = 0; j < nodes->size(); ++j) {
                    const json& n = (*nodes)[j];
                    std::string np = p + "nodes[" + std::to_string(j) + "].";
                    if (!n.is_object()) {
                        rd.fail(np.substr(0, np.size() - 1), "must be a mapping");
                        continue;
                    }
                    rd.unknown_keys(n, np.substr(0, np.size() - 1),
                                    {"count", "namePrefix", "cpu", "memory", "pods", "gpus",
                                     "gpuResource", "gpuModel", "labels"});
                    node_group g;
                    g.count = rd.integer(n, "count", np, 1, 1, 100000);
                    total += g.count;
                    g.name_prefix = rd.str(n, "namePrefix", np, cc.name + "-node");
                    if (j > 0 && !n.contains("namePrefix")) {
                        g.name_prefix = cc.name + "-group" + std::to_string(j);
                    }
                    for (const auto& e : dns1123_subdomain_errors(g.name_prefix + "-0")) {
                        rd.fail(np + "namePrefix", e);
                    }
                    g.cpu = rd.str(n, "cpu", np, g.cpu);
                    rd.check_quantity(g.cpu, np + "cpu");
                    g.memory = rd.str(n, "memory", np, g.memory);
                    rd.check_quantity(g.memory, np + "memory");
                    g.pods = rd.integer(n, "pods", np, 110, 1, 100000);
                    g.gpus = rd.integer(n, "gpus", np, 0, 0, 1024);
                    g.gpu_resource = rd.str(n, "gpuResource", np, g.gpu_resource);
                    if (auto e = validate_qualified_name(g.gpu_resource); !e.empty()) {
                        rd.fail(np + "gpuResource", e);
                    }
                    g.gpu_model = rd.str(n, "gpuModel", np, "");
                    g.labels = rd.string_map(n, "labels", np);
                    cc.nodes.push_back(std::move(g));
                }
                if (total > 100000)
                    rd.fail(p + "nodes", "at most 100000 nodes per cluster");
            }
            cfg.clusters.push_back(std::move(cc));
        }
    }
    if (!rd.errors.empty())
        return propagation::invalid_error(std::move(rd.errors));
    return cfg;
}

propagation::result<federation_config> load_federation_config(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in)
        return propagation::bad_input_error(file.string() + ": cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    auto r = parse_federation_config(ss.str());
    if (!r) {
        auto e = r.error();
        e.message = file.string() + ": " + e.message;
        return e;
    }
    return r;
}

namespace {

// Kept identical to sim/examples/demo.yaml (a unit test checks they agree).
constexpr const char* demo_yaml =
    R"(# fedsim --demo: three GPU clusters, each able to run the seed's example job
# (4 replicas x 1 GPU, 2 CPU, 4Gi) on its own.
seed: 42
timeScale: 1
kubernetesVersion: v1.32.4
clusters:
  - name: cluster-1
    labels: {gpu.model: A100, region: eu-west}
    provider: onprem
    region: eu-west
    zones: [eu-west-1a]
    kubernetesVersion: v1.31.4
    resourceModels:
      - grade: 0
        ranges:
          - {name: cpu, min: "0", max: "16"}
          - {name: memory, min: "0", max: 128Gi}
          - {name: nvidia.com/gpu, min: "0", max: "1"}
      - grade: 1
        ranges:
          - {name: cpu, min: "16", max: "64"}
          - {name: memory, min: 128Gi, max: 512Gi}
          - {name: nvidia.com/gpu, min: "1", max: "4"}
      - grade: 2
        ranges:
          - {name: cpu, min: "64", max: "9223372036854775807"}
          - {name: memory, min: 512Gi, max: "9223372036854775807"}
          - {name: nvidia.com/gpu, min: "4", max: "9223372036854775807"}
    nodes:
      - {count: 2, namePrefix: c1-a100, cpu: "64", memory: 512Gi, pods: 110, gpus: 4, gpuModel: A100}
    workload: {startSeconds: 2, runSeconds: 60, failureRate: 0, logLinesPerSecond: 1}
  - name: cluster-2
    labels: {gpu.model: H100, region: us-east}
    provider: onprem
    region: us-east
    zones: [us-east-1a]
    kubernetesVersion: v1.32.4
    nodes:
      - {count: 1, namePrefix: c2-h100, cpu: "96", memory: 1Ti, pods: 110, gpus: 8, gpuModel: H100}
    workload: {startSeconds: 2, runSeconds: 45, failureRate: 0, logLinesPerSecond: 1}
  - name: cluster-3
    labels: {gpu.model: L40S, region: ap-south}
    provider: onprem
    region: ap-south
    zones: [ap-south-1a]
    kubernetesVersion: v1.30.8
    nodes:
      - {count: 4, namePrefix: c3-l40s, cpu: "32", memory: 256Gi, pods: 110, gpus: 2, gpuModel: L40S}
    workload: {startSeconds: 3, runSeconds: 90, failureRate: 0, logLinesPerSecond: 1}
)";

}  // namespace

std::string_view demo_config_yaml() {
    return demo_yaml;
}

federation_config demo_config() {
    auto r = parse_federation_config(demo_yaml);
    return r ? *r : federation_config{};
}

}  // namespace fedsim::model
