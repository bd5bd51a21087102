// The store's submission path alone (no HTTP, no Karmada): how many jobs per second
// reserve_and_record_job records durably with 64 submissions in flight, beside 64 concurrent
// single-row INSERTs on the same server in the same run (the floor the database sets).
//
// Needs a database: BENCH_DATABASE_URL (bench/submit_load.sh sets it to its fsync'd server and
// runs this after the migration). Without it every benchmark says so and skips.

#include "broker/store/pg_store.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace broker::store;

constexpr int in_flight = 64;

std::string database_url() {
    const char* url = std::getenv("BENCH_DATABASE_URL");
    return url ? url : "";
}

placement_decision place_one_gpu(const std::string&, const reserved_map& reserved) {
    placement_decision d;
    const auto it = reserved.find("c1");
    if ((it == reserved.end() ? 0 : it->second.gpus) < 1'000'000) {
        d.placed = true;
        d.reservations["c1"] = resources{1, 100, 128 << 20};
        d.placement = {{"strategy", "single"}, {"clusters", {{{"name", "c1"}, {"replicas", 1}}}}};
        d.manifests = nlohmann::json::array({{{"kind", "Job"}, {"metadata", {{"name", "x"}}}}});
        d.message = "placed on c1 (1)";
    }
    return d;
}

/// `total` submissions from one io_context thread, `in_flight` at a time.
void submit_all(pg_store& store, int total, std::atomic<int>& failures) {
    asio::io_context io;
    std::atomic<int> next{0};
    for (int w = 0; w < in_flight; ++w) {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                for (int i = next++; i < total; i = next++) {
                    new_job job;
                    job.owner = "bench";
                    job.name = "store-bench-" + std::to_string(i);
                    job.namespace_ = "bench";
                    job.job_type = "job";
                    job.form = {{"name", job.name}};
                    placement_fn place = place_one_gpu;
                    auto r = co_await store.reserve_and_record_job(std::move(job), std::move(place));
                    if (!r) {
                        ++failures;
                    }
                }
            },
            asio::detached);
    }
    io.run();
}

void store_submissions_64_in_flight(benchmark::State& state) {
    const auto url = database_url();
    if (url.empty()) {
        state.SkipWithError("BENCH_DATABASE_URL is not set");
        return;
    }
    db_pool_options options;
    options.database_url = url;
    options.pool_size = 4;
    pg_store store(options);
    std::atomic<int> failures{0};
    constexpr int per_iteration = 4000;
    for (auto _ : state) {
        submit_all(store, per_iteration, failures);
    }
    state.SetItemsProcessed(state.iterations() * per_iteration);
    state.counters["failures"] = failures.load();
    state.counters["writes_per_commit"] =
        static_cast<double>(store.group().ops_committed()) /
        static_cast<double>(std::max<std::size_t>(1, store.group().groups_committed()));
}
BENCHMARK(store_submissions_64_in_flight)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Baseline: 64 threads, each with its own connection, one single-row INSERT per transaction.
void single_row_inserts_64_connections(benchmark::State& state) {
    const auto url = database_url();
    if (url.empty()) {
        state.SkipWithError("BENCH_DATABASE_URL is not set");
        return;
    }
    {
        pqxx::connection c(url);
        pqxx::work tx(c);
        tx.exec0("CREATE TABLE IF NOT EXISTS bench_store_rows (id bigserial PRIMARY KEY, v text)");
        tx.commit();
    }
    constexpr int per_iteration = 4000;
    for (auto _ : state) {
        std::atomic<int> next{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < in_flight; ++t) {
            threads.emplace_back([&] {
                pqxx::connection c(url);
                c.prepare("ins", "INSERT INTO bench_store_rows (v) VALUES ($1)");
                for (int i = next++; i < per_iteration; i = next++) {
                    pqxx::work tx(c);
                    tx.exec_prepared0("ins", std::to_string(i));
                    tx.commit();
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    state.SetItemsProcessed(state.iterations() * per_iteration);
}
BENCHMARK(single_row_inserts_64_connections)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
