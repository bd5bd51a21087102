// fedsim model figures (issue 3 "Scale and limits"): the in-model create rate and what a
// cluster-proxy list of 1,000 pods costs, next to a plain nlohmann dump of the same pods as the
// baseline. Short runs only:
//   fedsim_bench --benchmark_min_time=0.2
#include "sim/model/federation.hpp"
#include "sim/model/object_store.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using nlohmann::json;
using fedsim::model::federation;
using fedsim::model::time_point;

const char* one_cluster = R"(
seed: 7
events: false
memberHistory: 256
clusters:
  - name: bench
    nodes: [{count: 200, namePrefix: gpu, cpu: "64", memory: 512Gi, gpus: 8, gpuModel: A100}]
    workload: {startSeconds: 1, runSeconds: 3600}
)";

json pod_manifest()
{
    return {{"metadata", {{"generateName", "worker-"}, {"labels", {{"app", "train"}}}}},
            {"spec",
             {{"restartPolicy", "Never"},
              {"containers",
               json::array({{{"name", "main"},
                             {"image", "pytorch/pytorch:2.3.0"},
                             {"resources",
                              {{"requests",
                                {{"cpu", "1"}, {"memory", "1Gi"}, {"nvidia.com/gpu", 1}}}}}}})}}}};
}

/// A one-member federation with `pods` running pods in namespace "ml" (status filled, as a
/// cluster-proxy list returns them).
struct populated {
    std::unique_ptr<federation> fed;
    fedsim::model::object_store* member = nullptr;
    const fedsim::model::resource_info* pods = nullptr;
};

populated populate(int pods)
{
    populated p;
    auto cfg = fedsim::model::parse_federation_config(one_cluster);
    auto start = time_point(std::chrono::seconds(1790000000));
    auto fed = federation::create(*cfg, start);
    p.fed = std::move(*fed);
    p.member = p.fed->member("bench");
    p.pods = p.fed->registry().find("", "v1", "pods");
    (void)p.member->create(*p.fed->registry().find("", "v1", "namespaces"), "",
                           json{{"metadata", {{"name", "ml"}}}});
    auto manifest = pod_manifest();
    for (int i = 0; i < pods; ++i)
        (void)p.member->create(*p.pods, "ml", manifest);
    p.fed->advance(start + std::chrono::seconds(5));
    return p;
}

/// API creates of pods into one member (admission, defaults, validation, watch history), then
/// the simulation tick that schedules and starts them.
void bm_model_create_pods(benchmark::State& state)
{
    const int batch = 1000;
    for (auto _ : state) {
        state.PauseTiming();
        auto p = populate(0);
        auto manifest = pod_manifest();
        state.ResumeTiming();
        for (int i = 0; i < batch; ++i)
            benchmark::DoNotOptimize(p.member->create(*p.pods, "ml", manifest));
        p.fed->advance(p.fed->now() + std::chrono::seconds(5));
        state.PauseTiming();
        p.fed.reset();
        state.ResumeTiming();
    }
    state.counters["creates/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * batch,
                           benchmark::Counter::kIsRate);
}
BENCHMARK(bm_model_create_pods)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

/// The first cluster-proxy list of 1,000 pods after they changed (no cached texts): list +
/// serialise, what the HTTP layer does per request.
void bm_list_serialise_1000_pods_first(benchmark::State& state)
{
    std::size_t bytes = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto p = populate(1000);
        state.ResumeTiming();
        auto page = p.member->list(*p.pods, "ml", {});
        auto body = p.member->serialize_list(*p.pods, *page);
        bytes = body.size();
        benchmark::DoNotOptimize(body.data());
        state.PauseTiming();
        p.fed.reset();
        state.ResumeTiming();
    }
    state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(bm_list_serialise_1000_pods_first)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime();

/// Repeated lists of the same 1,000 unchanged pods (cached texts are concatenated).
void bm_list_serialise_1000_pods_repeated(benchmark::State& state)
{
    auto p = populate(1000);
    for (auto _ : state) {
        auto page = p.member->list(*p.pods, "ml", {});
        auto body = p.member->serialize_list(*p.pods, *page);
        benchmark::DoNotOptimize(body.data());
    }
}
BENCHMARK(bm_list_serialise_1000_pods_repeated)->Unit(benchmark::kMillisecond);

/// Baseline: the same 1,000 pods as one nlohmann document, dumped (what the list path did
/// before the cached texts).
void bm_baseline_nlohmann_dump_1000_pods(benchmark::State& state)
{
    auto p = populate(1000);
    auto page = p.member->list(*p.pods, "ml", {});
    for (auto _ : state) {
        auto body = fedsim::model::to_list_json(*p.pods, *page).dump();
        benchmark::DoNotOptimize(body.data());
    }
}
BENCHMARK(bm_baseline_nlohmann_dump_1000_pods)->Unit(benchmark::kMillisecond);

const char* three_gpu_clusters = R"(
seed: 7
events: false
history: 200000
memberHistory: 20000
clusters:
  - name: cluster-1
    nodes: [{count: 60, namePrefix: c1, cpu: "128", memory: 1Ti, gpus: 8, gpuModel: A100}]
    workload: {startSeconds: 2, runSeconds: 600}
  - name: cluster-2
    nodes: [{count: 60, namePrefix: c2, cpu: "128", memory: 1Ti, gpus: 8, gpuModel: H100}]
    workload: {startSeconds: 2, runSeconds: 600}
  - name: cluster-3
    nodes: [{count: 60, namePrefix: c3, cpu: "128", memory: 1Ti, gpus: 8, gpuModel: L40S}]
    workload: {startSeconds: 2, runSeconds: 600}
)";

/// What the broker creates per job (bench/submit_load.sh): a PropagationPolicy pinning it to one
/// cluster, a PVC and a 1-GPU PyTorchJob.
std::vector<std::pair<const fedsim::model::resource_info*, json>>
job_objects(const fedsim::model::resource_registry& reg, int i)
{
    std::string name = "bench-" + std::to_string(i);
    json labels = {{"broker.gpufed.io/job-id", name}};
    json policy = {
        {"metadata", {{"name", name + "-propagation"}, {"labels", labels}}},
        {"spec",
         {{"placement",
           {{"clusterAffinity",
             {{"clusterNames", json::array({"cluster-" + std::to_string(i % 3 + 1)})}}}}},
          {"resourceSelectors",
           json::array({{{"apiVersion", "v1"},
                         {"kind", "PersistentVolumeClaim"},
                         {"name", name + "-data"}},
                        {{"apiVersion", "kubeflow.org/v1"},
                         {"kind", "PyTorchJob"},
                         {"name", name}}})}}}};
    json pvc = {{"metadata", {{"name", name + "-data"}, {"labels", labels}}},
                {"spec",
                 {{"accessModes", json::array({"ReadWriteOnce"})},
                  {"resources", {{"requests", {{"storage", "10Gi"}}}}}}}};
    json requests = {{"cpu", "100m"}, {"memory", "128Mi"}, {"nvidia.com/gpu", "1"}};
    json container = {{"name", "pytorch"},
                      {"image", "pytorch/pytorch:2.0.0"},
                      {"command", json::array({"/bin/sh", "-c", "python train.py"})},
                      {"resources", {{"requests", requests}, {"limits", requests}}}};
    json master = {{"replicas", 1},
                   {"restartPolicy", "OnFailure"},
                   {"template",
                    {{"metadata", {{"labels", labels}}},
                     {"spec", {{"containers", json::array({container})}}}}}};
    json job = {{"metadata", {{"name", name}, {"labels", labels}}},
                {"spec", {{"nprocPerNode", "1"}, {"pytorchReplicaSpecs", {{"Master", master}}}}}};
    return {{reg.find("policy.karmada.io", "v1alpha1", "propagationpolicies"), std::move(policy)},
            {reg.find("", "v1", "persistentvolumeclaims"), std::move(pvc)},
            {reg.find("kubeflow.org", "v1", "pytorchjobs"), std::move(job)}};
}

/// The whole per-job path in the model: 1,000 jobs' three creates, each followed by a pass of
/// the controllers every 10 jobs (as the HTTP layer coalesces passes under load), then the
/// passes until every job has its pod. Reports jobs/s of one core.
void bm_model_jobs(benchmark::State& state)
{
    const int jobs = 1000;
    for (auto _ : state) {
        state.PauseTiming();
        auto cfg = fedsim::model::parse_federation_config(three_gpu_clusters);
        auto start = time_point(std::chrono::seconds(1790000000));
        auto fed = std::move(*federation::create(*cfg, start));
        std::vector<std::vector<std::pair<const fedsim::model::resource_info*, json>>> objects;
        for (int i = 0; i < jobs; ++i)
            objects.push_back(job_objects(fed->registry(), i));
        state.ResumeTiming();
        auto now = start;
        for (int i = 0; i < jobs; ++i) {
            for (auto& [r, obj] : objects[static_cast<std::size_t>(i)])
                benchmark::DoNotOptimize(fed->control_plane().create(*r, "default", obj));
            if (i % 10 == 9) {
                now += std::chrono::milliseconds(10);
                fed->advance(now);
            }
        }
        fed->advance(now + std::chrono::seconds(3));
        state.PauseTiming();
        fed.reset();
        state.ResumeTiming();
    }
    state.counters["jobs/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * jobs,
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(bm_model_jobs)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

} // namespace
