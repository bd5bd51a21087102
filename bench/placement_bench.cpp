// The broker's own pure pipeline: the GPU-capacity solver over fleets of 10..10,000 clusters
// (spread with capacity caps, pack, single), and rendering a form to manifests + policy
// (target: under 50 µs). Baselines in the same run: the solver's spread with the seat-at-a-time
// Webster it replaces is measured in division_bench; here `render_only` isolates the builders.

#include "propagation/form/job_form.hpp"
#include "propagation/placement/gpu_solver.hpp"
#include "propagation/render/render_job.hpp"

#include <benchmark/benchmark.h>

#include <fstream>
#include <random>
#include <sstream>

namespace {

using namespace propagation;

form::job_form make_form(std::int32_t replicas, form::placement_strategy strategy) {
    form::job_form f;
    f.name = "train";
    f.image = "registry.example.com/train:1";
    f.replicas = replicas;
    f.gpu_request = 1;
    f.placement.strategy = strategy;
    return f;
}

std::vector<placement::cluster_state> make_fleet(std::size_t n) {
    std::mt19937_64 rng(7);
    std::vector<placement::cluster_state> fleet;
    for (std::size_t i = 0; i < n; ++i) {
        placement::cluster_state c;
        c.name = "member-" + std::to_string(i);
        c.fit = static_cast<std::int64_t>(rng() % 200);
        c.free_gpus = c.fit;
        c.admin_weight = 1 + static_cast<std::int64_t>(rng() % 4);
        fleet.push_back(std::move(c));
    }
    return fleet;
}

void solve(benchmark::State& state, form::placement_strategy strategy) {
    const auto clusters = static_cast<std::size_t>(state.range(0));
    // A job that needs about half the fleet's capacity, so caps bind on some clusters.
    const auto f = make_form(static_cast<std::int32_t>(std::min<std::size_t>(clusters * 50, 10000)),
                             strategy);
    placement::solver_input input{&f, "uid-bench", make_fleet(clusters)};
    for (auto _ : state) {
        auto p = placement::solve(input);
        benchmark::DoNotOptimize(p);
    }
    state.SetLabel(std::to_string(f.replicas) + " replicas");
}

void solve_spread(benchmark::State& state) { solve(state, form::placement_strategy::spread); }
void solve_pack(benchmark::State& state) { solve(state, form::placement_strategy::pack); }
void solve_single(benchmark::State& state) {
    const auto f = make_form(4, form::placement_strategy::single);
    placement::solver_input input{&f, "uid-bench", make_fleet(static_cast<std::size_t>(state.range(0)))};
    for (auto _ : state) {
        auto p = placement::solve(input);
        benchmark::DoNotOptimize(p);
    }
}

std::string seed_form_text() {
    std::ifstream in(std::string(BROKER_SOURCE_DIR) + "/config/examples/seed-job.json");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Parse + place + render + policy for the seed's PyTorchJob over its two target clusters.
void render_seed_form(benchmark::State& state) {
    const auto text = seed_form_text();
    for (auto _ : state) {
        auto f = form::parse_job_form_text(text);
        auto clusters = render::clusters_from_targets(*f);
        auto rendered = render::render_job(*f, "0b4e7a0e-5d38-4c2c-9f34-0c1b7f6f1e2a", std::move(*clusters));
        benchmark::DoNotOptimize(rendered);
    }
}

/// The same without parsing: place + render + policy from a parsed form.
void render_parsed_form(benchmark::State& state) {
    const auto f = form::parse_job_form_text(seed_form_text()).value();
    for (auto _ : state) {
        auto clusters = render::clusters_from_targets(f);
        auto rendered = render::render_job(f, "0b4e7a0e-5d38-4c2c-9f34-0c1b7f6f1e2a", std::move(*clusters));
        benchmark::DoNotOptimize(rendered);
    }
}

}  // namespace

BENCHMARK(solve_spread)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(solve_pack)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(solve_single)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(render_seed_form)->Unit(benchmark::kMicrosecond);
BENCHMARK(render_parsed_form)->Unit(benchmark::kMicrosecond);
