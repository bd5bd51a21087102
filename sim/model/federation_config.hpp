#pragma once
/// fedsim's configuration: the member clusters, their nodes and how simulated workloads behave.
/// Loaded from YAML (sim/examples/demo.yaml is `--demo`); unknown keys and bad values are
/// reported together with their paths.
///
/// ```yaml
/// seed: 42                 # UIDs, pod name suffixes, failures and logs derive from it
/// timeScale: 1.0           # >1 runs workloads faster (durations are divided by it)
/// kubernetesVersion: v1.32.4
/// history: 10000           # watch events kept per store (members: memberHistory)
/// memberHistory: 2000
/// events: true             # core/v1 Events in the members (off for very large simulations)
/// clusters:
///   - name: cluster-1
///     labels: {gpu.model: A100}
///     provider: onprem
///     region: eu-west
///     zones: [eu-west-1a]
///     kubernetesVersion: v1.31.4
///     taints: [{key: dedicated, value: training, effect: NoSchedule}]
///     resourceModels: []   # Cluster.spec.resourceModels as Karmada takes them
///     nodes:
///       - {count: 2, namePrefix: c1-gpu, cpu: "32", memory: 256Gi, pods: 110,
///          gpus: 4, gpuResource: nvidia.com/gpu, gpuModel: A100, labels: {}}
///     workload: {startSeconds: 2, runSeconds: 60, failureRate: 0.0, logLinesPerSecond: 1}
/// ```
///
/// Thread safety: plain values.

#include "propagation/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fedsim::model {

/// A group of identical nodes.
struct node_group {
    std::int64_t count = 1;
    std::string name_prefix;  ///< nodes are `<prefix>-<i>` (i from 0); default `<cluster>-node`
    std::string cpu = "32";   ///< allocatable, Kubernetes quantities
    std::string memory = "128Gi";
    std::int64_t pods = 110;
    std::int64_t gpus = 0;
    std::string gpu_resource = "nvidia.com/gpu";
    std::string gpu_model;  ///< node label `gpu.model` (and nvidia.com/gpu.product)
    std::map<std::string, std::string> labels;
};

/// How pods behave once running.
struct workload_behaviour {
    double start_seconds = 2;  ///< scheduled → Running (ContainerCreating before)
    double run_seconds = 60;   ///< Running → Succeeded/Failed (Jobs); Deployments run on
    double failure_rate = 0;   ///< fraction of pods that fail, deterministic from the seed
    double log_lines_per_second = 1;
};

struct cluster_config {
    std::string name;
    std::map<std::string, std::string> labels;  ///< Cluster metadata.labels (`gpu.model: A100`)
    std::string provider;
    std::string region;
    std::vector<std::string> zones;
    std::string kubernetes_version = "v1.31.4";
    nlohmann::json taints = nlohmann::json::array();           ///< Cluster.spec.taints
    nlohmann::json resource_models = nlohmann::json::array();  ///< Cluster.spec.resourceModels
    std::vector<node_group> nodes;
    workload_behaviour workload;
    std::string sync_mode = "Push";
};

struct federation_config {
    std::uint64_t seed = 42;
    double time_scale = 1;
    std::string kubernetes_version = "v1.32.4";
    std::size_t history = 10000;
    std::size_t member_history = 2000;
    bool events = true;  ///< record core/v1 Events for pods and Jobs in the members
    std::vector<cluster_config> clusters;
};

/// Parses a configuration document (YAML or JSON text). Errors: `invalid` with every problem
/// (field path such as `clusters[1].nodes[0].gpus`), or `bad_input` for unparsable YAML.
propagation::result<federation_config> parse_federation_config(std::string_view yaml_text);

/// Reads and parses a file; the error message names the file.
propagation::result<federation_config> load_federation_config(const std::filesystem::path& file);

/// The `--demo` federation (the same as sim/examples/demo.yaml): cluster-1 (A100, 2 nodes × 4
/// GPUs), cluster-2 (H100, 1 node × 8 GPUs), cluster-3 (L40S, 4 nodes × 2 GPUs); each runs the
/// seed's example job (4 replicas × 1 GPU) on its own.
federation_config demo_config();

/// The text of the `--demo` configuration (what sim/examples/demo.yaml holds).
std::string_view demo_config_yaml();

}  // namespace fedsim::model
