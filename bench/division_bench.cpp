// Replica division: the O(n log n) Webster against Karmada's seat-at-a-time method, and a
// whole dynamic-weight divide() at fleet scale (target: 1000 clusters × 100000 replicas in
// under 100 µs).

#include "propagation/division/division.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using propagation::division::candidate;
using propagation::division::division_request;
using propagation::division::strategy;

struct parties {
    std::vector<std::string> names;
    std::vector<std::int64_t> votes;
};

parties make_parties(std::size_t n) {
    std::mt19937_64 rng(42);
    parties p;
    for (std::size_t i = 0; i < n; ++i) {
        p.names.push_back("member-" + std::to_string(i));
        p.votes.push_back(static_cast<std::int64_t>(1 + rng() % 1'000'000));
    }
    return p;
}

void webster_fast(benchmark::State& state) {
    const parties p = make_parties(static_cast<std::size_t>(state.range(0)));
    const std::int64_t seats = state.range(1);
    for (auto _ : state) {
        benchmark::DoNotOptimize(propagation::division::webster(seats, p.names, p.votes, "uid-1"));
    }
}

void webster_seat_by_seat(benchmark::State& state) {
    const parties p = make_parties(static_cast<std::size_t>(state.range(0)));
    const std::int64_t seats = state.range(1);
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            propagation::division::webster_seat_by_seat(seats, p.names, p.votes, "uid-1"));
    }
}

void parties_by_seats(benchmark::internal::Benchmark* b) {
    for (const std::int64_t n : {10, 100, 1000, 10000}) {
        for (const std::int64_t seats : {100, 10'000, 1'000'000}) {
            b->Args({n, seats});
        }
    }
}

void divide_dynamic(benchmark::State& state) {
    std::mt19937_64 rng(7);
    division_request request;
    request.kind = strategy::dynamic_weight;
    request.replicas = state.range(1);
    request.uid = "5f1c2a9e-uid";
    for (std::int64_t i = 0; i < state.range(0); ++i) {
        request.clusters.push_back(candidate{"member-" + std::to_string(i), 0,
                                             static_cast<std::int64_t>(100 + rng() % 1000), 0});
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(propagation::division::divide(request));
    }
}

}  // namespace

BENCHMARK(webster_fast)->Apply(parties_by_seats)->Unit(benchmark::kMicrosecond);
BENCHMARK(webster_seat_by_seat)->Apply(parties_by_seats)->Unit(benchmark::kMicrosecond);
BENCHMARK(divide_dynamic)->Args({1000, 100'000})->Unit(benchmark::kMicrosecond);
