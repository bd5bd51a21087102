// Aggregated member queries (issue 5) against a real fedsim started by the bench (port 0).
//
//   FEDSIM_EXE=<build>/fedsim <build>/bench/fanout_bench
//
// - fan_out_100_members_200ms: 100 members, each with 200 ms injected latency; one aggregated
//   node list through federated_reader. Counter `vs_slowest` = wall / 200 ms (target ≤ 1.3).
// - sequential_10_members_200ms: the sequential baseline (10 members; ×10 for 100).
// - merged_100x1000_pods: 100 members × 1,000 pods (one Deployment of 100,000 replicas divided
//   equally) merged into one list through the broker's route GET /api/v1/proxy/resources
//   (in-process server, its own io threads); counters: items, response bytes, seconds, and the
//   peak RSS growth of this process during the request (sampled /proc/self/statm) / response
//   bytes. The same list through federated_reader::list (the DOM merge) in the same run.
// - one_member_broker_vs_direct: one member's pod list through the broker's HTTP route
//   (in-process server) and straight to fedsim's cluster proxy; p50 per request.
// - throughput_broker_vs_nginx/threads: wrk (1 thread, 8 connections, 2 s) on one member's pod
//   list straight to fedsim, through nginx (Debian's, plain reverse proxy, `threads` worker
//   processes) and through the broker's route (`threads` io threads), same fedsim, same run;
//   the route once more with the scan memo off (every answer scanned in full).
// - scan_member_list/pods: the scan of one member's answer (validation, item spans, where the
//   marker goes) on fedsim's pod list text, against nlohmann's `accept` in the same run; and
//   through the scan memo, repeated (hits) and changing every time (misses).
// Each benchmark runs a fixed few iterations (seconds, not minutes).

#include "broker/auth/authenticator.hpp"
#include "broker/routes/proxy_routes.hpp"
#include "broker/server/allocator.hpp"
#include "broker/server/io_pool.hpp"
#include "broker/server/server.hpp"
#include "proxy/federated_reader.hpp"

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// The broker runs in this process: the same allocator settings as `broker serve`, applied
// before any thread starts.
const bool allocator_tuned = broker::server::tune_allocator();
using nlohmann::json;

/// fedsim as a child process; the URL is read from its "listening on" line.
struct fedsim_child {
    pid_t pid = -1;
    std::string url;
    std::uint16_t port = 0;

    explicit fedsim_child(const std::vector<std::string>& args)
    {
        const char* exe = std::getenv("FEDSIM_EXE");
        if (exe == nullptr || !std::filesystem::exists(exe)) {
            return;
        }
        int fds[2];
        if (::pipe(fds) != 0) {
            return;
        }
        pid = ::fork();
        if (pid == 0) {
            ::dup2(fds[1], 1);
            ::close(fds[0]);
            std::vector<char*> argv;
            argv.push_back(const_cast<char*>(exe));
            for (const auto& a : args) {
                argv.push_back(const_cast<char*>(a.c_str()));
            }
            argv.push_back(nullptr);
            ::execv(exe, argv.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        FILE* out = ::fdopen(fds[0], "r");
        char line[4096];
        while (std::fgets(line, sizeof line, out) != nullptr) {
            std::string s(line);
            auto at = s.find("listening on ");
            if (at != std::string::npos) {
                url = s.substr(at + 13);
                while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) {
                    url.pop_back();
                }
                port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
                break;
            }
        }
        // Keep draining fedsim's stdout so it never blocks on a full pipe.
        std::thread([out] {
            char buf[4096];
            while (std::fgets(buf, sizeof buf, out) != nullptr) {
            }
            std::fclose(out);
        }).detach();
    }
    ~fedsim_child()
    {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            ::waitpid(pid, nullptr, 0);
        }
    }
    bool ok() const { return port != 0; }
};

/// One blocking HTTP/1.1 request on a fresh loopback connection; returns the body size.
std::size_t http_get(std::uint16_t port, const std::string& target,
                     const std::string& extra_headers = {})
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return 0;
    }
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                      extra_headers + "\r\n";
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::size_t total = 0;
    char buf[65536];
    for (;;) {
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        total += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return total;
}

void http_post(std::uint16_t port, const std::string& target, const std::string& body)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        std::string req = "POST " + target +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                          "Content-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
        (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        char buf[4096];
        while (::recv(fd, buf, sizeof buf, 0) > 0) {
        }
    }
    ::close(fd);
}

std::string member_name(int i)
{
    char name[32];
    std::snprintf(name, sizeof name, "m-%03d", i);
    return name;
}

/// A federation of `n` one-node members, written to a temp file.
std::string small_federation(int n)
{
    auto path = std::filesystem::temp_directory_path() /
                ("fanout-bench-" + std::to_string(::getpid()) + "-" + std::to_string(n) + ".yaml");
    std::ofstream f(path);
    f << "seed: 1\nevents: false\nclusters:\n";
    for (int i = 0; i < n; ++i) {
        f << "  - name: " << member_name(i) << "\n    nodes:\n      - {count: 1, namePrefix: "
          << member_name(i) << "-n, cpu: \"8\", memory: 32Gi, pods: 110}\n";
    }
    return path.string();
}

/// Development-mode credentials the in-process broker accepts.
const std::string debug_admin = "X-Debug-Username: bench\r\nX-Debug-Roles: admin\r\n";

/// GET on a fresh loopback connection; returns the body (the response must be
/// Content-Length or chunked; only used for small control answers and counts).
std::string http_get_text(std::uint16_t port, const std::string& target)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string all;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                          debug_admin + "\r\n";
        (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        char buf[65536];
        for (;;) {
            auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            all.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    auto at = all.find("\r\n\r\n");
    if (at == std::string::npos) {
        return {};
    }
    if (all.substr(0, at).find("chunked") == std::string::npos) {
        return all.substr(at + 4);
    }
    // Chunked: "<hex size>\r\n<data>\r\n" ... "0\r\n\r\n".
    std::string body;
    std::size_t p = at + 4;
    for (;;) {
        const auto eol = all.find("\r\n", p);
        if (eol == std::string::npos) {
            break;
        }
        const auto size = std::stoul(all.substr(p, eol - p), nullptr, 16);
        if (size == 0) {
            break;
        }
        body.append(all, eol + 2, size);
        p = eol + 2 + size + 2;
    }
    return body;
}

/// Items in one member's pod list straight from fedsim (-1 when unreadable).
long member_pod_count(std::uint16_t port, const std::string& member)
{
    auto body = http_get_text(port, "/apis/cluster.karmada.io/v1alpha1/clusters/" + member +
                                         "/proxy/api/v1/pods");
    auto doc = json::parse(body, nullptr, false);
    if (!doc.is_object() || !doc.contains("items") || !doc["items"].is_array()) {
        return -1;
    }
    return static_cast<long>(doc["items"].size());
}

/// A federation of `n` members with room for `pods_per_member` small pods each.
std::string pod_federation(int n, int pods_per_member)
{
    auto path = std::filesystem::temp_directory_path() /
                ("fanout-bench-pods-" + std::to_string(::getpid()) + "-" + std::to_string(n) +
                 ".yaml");
    std::ofstream f(path);
    const int nodes = pods_per_member / 100 + 1;
    f << "seed: 1\nevents: false\nmemberHistory: 16\nclusters:\n";
    for (int i = 0; i < n; ++i) {
        f << "  - name: " << member_name(i) << "\n    nodes:\n      - {count: " << nodes
          << ", namePrefix: " << member_name(i)
          << "-n, cpu: \"64\", memory: 256Gi, pods: 110}\n"
          << "    workload: {startSeconds: 1, runSeconds: 36000, failureRate: 0, "
             "logLinesPerSecond: 0}\n";
    }
    return path.string();
}

/// One Deployment of `replicas` small pods divided equally over members 0..n-1 (a
/// PropagationPolicy with equal static weights), created through fedsim's Karmada API; waits
/// (bounded) until every member lists replicas / n pods. False when that did not happen.
bool populate_pods(std::uint16_t port, int n, int replicas)
{
    json weights = json::array();
    for (int i = 0; i < n; ++i) {
        json names = json::array();
        names.push_back(member_name(i));
        json target = json::object();
        target["clusterNames"] = names;
        json w = json::object();
        w["targetCluster"] = target;
        w["weight"] = 1;
        weights.push_back(w);
    }
    json policy = json::parse(R"({"apiVersion":"policy.karmada.io/v1alpha1",
        "kind":"PropagationPolicy","metadata":{"name":"load","namespace":"default"},
        "spec":{"resourceSelectors":[{"apiVersion":"apps/v1","kind":"Deployment","name":"load"}],
        "placement":{"replicaScheduling":{"replicaSchedulingType":"Divided",
        "replicaDivisionPreference":"Weighted","weightPreference":{}}}}})");
    policy["spec"]["placement"]["replicaScheduling"]["weightPreference"]["staticWeightList"] =
        weights;
    json deployment = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
        "metadata":{"name":"load","namespace":"default","labels":{"app":"load"}},
        "spec":{"replicas":1,"selector":{"matchLabels":{"app":"load"}},
        "template":{"metadata":{"labels":{"app":"load"}},"spec":{"containers":[{"name":"main",
        "image":"registry.example/load:1","resources":{"requests":{"cpu":"10m",
        "memory":"16Mi"}}}]}}}})");
    deployment["spec"]["replicas"] = replicas;
    http_post(port, "/apis/policy.karmada.io/v1alpha1/namespaces/default/propagationpolicies",
              policy.dump());
    http_post(port, "/apis/apps/v1/namespaces/default/deployments", deployment.dump());
    const long want = replicas / n;
    for (int round = 0; round < 600; ++round) {
        bool all = true;
        // The last member first: while it is short there is no need to ask the others.
        for (int i = n - 1; i >= 0 && all; --i) {
            all = member_pod_count(port, member_name(i)) >= want;
        }
        if (all) {
            return true;
        }
        std::this_thread::sleep_for(200ms);
    }
    return false;
}

/// Peak resident set of this process while it lives, sampled every millisecond.
class rss_sampler {
public:
    rss_sampler() : base_kb_(current_kb()), peak_kb_(base_kb_)
    {
        thread_ = std::thread([this] {
            while (!stop_) {
                peak_kb_ = std::max(peak_kb_.load(), current_kb());
                std::this_thread::sleep_for(1ms);
            }
        });
    }
    ~rss_sampler() { finish(); }
    /// Peak growth over the starting RSS, in bytes.
    double growth_bytes()
    {
        finish();
        return static_cast<double>(peak_kb_ - base_kb_) * 1024.0;
    }
    static long current_kb()
    {
        long pages_total = 0;
        long pages_resident = 0;
        if (FILE* f = std::fopen("/proc/self/statm", "r")) {
            if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) {
                pages_resident = 0;
            }
            std::fclose(f);
        }
        return pages_resident * (::sysconf(_SC_PAGESIZE) / 1024);
    }

private:
    void finish()
    {
        stop_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    long base_kb_;
    std::atomic<long> peak_kb_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

/// kube_client + member_registry on private io threads (one io_context per thread, as the
/// broker runs them).
struct reader_env {
    broker::server::io_pool pool;
    net::io_context& ioc;
    std::optional<proxy::kube_client> client;
    std::unique_ptr<proxy::member_registry> members;
    std::unique_ptr<proxy::federated_reader> reader;

    reader_env(const std::string& url, std::size_t expected, int io_threads = 1,
               std::chrono::milliseconds member_timeout = 5s)
        : pool(static_cast<std::size_t>(io_threads)), ioc(pool.main())
    {
        config::api_endpoint e;
        e.server = url;
        proxy::client_options co;
        co.max_idle_connections = 256;
        co.retry.max_attempts = 1;
        client.emplace(std::move(*proxy::kube_client::create(ioc.get_executor(), e, co)));
        members = std::make_unique<proxy::member_registry>(*client);
        proxy::reader_options ro;
        ro.member_timeout = member_timeout;
        reader = std::make_unique<proxy::federated_reader>(*client, *members, ro);
        members->start();
        pool.start_threads(true);
        for (int i = 0; i < 600 && members->snapshot()->size() < expected; ++i) {
            std::this_thread::sleep_for(50ms);
        }
    }
    ~reader_env()
    {
        net::post(ioc, [this] { members->stop(); });
        pool.stop();
        pool.join();
    }

    proxy::read_result list(const std::string& kind, std::optional<std::string> only = {})
    {
        proxy::list_query q;
        q.kind = *proxy::find_kind(kind);
        q.only_cluster = std::move(only);
        auto f = net::co_spawn(ioc, reader->list(std::move(q)), net::use_future);
        return f.get();
    }
};

void fan_out_100_members_200ms(benchmark::State& state)
{
    fedsim_child fs({"--listen", "127.0.0.1:0", "--config", small_federation(100)});
    if (!fs.ok()) {
        state.SkipWithError("set FEDSIM_EXE to the fedsim executable");
        return;
    }
    reader_env env(fs.url, 100);
    env.list("nodes");  // warm the connection pool
    for (int i = 0; i < 100; ++i) {
        http_post(fs.port, "/fedsim/v1/clusters/" + member_name(i) + "/fault",
                  R"({"latencyMs":200})");
    }
    double worst = 0;
    std::size_t items = 0;
    for (auto _ : state) {
        auto start = std::chrono::steady_clock::now();
        auto r = env.list("nodes");
        auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        worst = std::max(worst, secs);
        items = r.body["items"].size();
        if (!r.failures.empty()) {
            state.SkipWithError("a member failed");
        }
    }
    state.counters["items"] = static_cast<double>(items);
    state.counters["worst_vs_slowest_member"] = worst / 0.2;
}
BENCHMARK(fan_out_100_members_200ms)->Iterations(5)->Unit(benchmark::kMillisecond)->UseRealTime();

void sequential_10_members_200ms(benchmark::State& state)
{
    fedsim_child fs({"--listen", "127.0.0.1:0", "--config", small_federation(10)});
    if (!fs.ok()) {
        state.SkipWithError("set FEDSIM_EXE to the fedsim executable");
        return;
    }
    reader_env env(fs.url, 10);
    for (int i = 0; i < 10; ++i) {
        http_post(fs.port, "/fedsim/v1/clusters/" + member_name(i) + "/fault",
                  R"({"latencyMs":200})");
    }
    double secs = 0;
    for (auto _ : state) {
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 10; ++i) {
            auto r = env.list("nodes", member_name(i));
            benchmark::DoNotOptimize(r);
        }
        secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    state.counters["projected_100_members_s"] = secs * 10;
}
BENCHMARK(sequential_10_members_200ms)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The broker's proxy routes on an in-process server sharing `env`'s io threads.
struct broker_env {
    std::unique_ptr<broker::server::server> srv;
    std::uint16_t port = 0;
    net::io_context& ioc;

    std::shared_ptr<const proxy::federated_reader> reader;

    broker_env(reader_env& env, std::chrono::milliseconds member_timeout,
               std::size_t scan_memo_bytes = proxy::reader_options{}.scan_memo_bytes)
        : ioc(env.ioc)
    {
        auto router = std::make_shared<broker::server::router>();
        broker::routes::proxy_route_options options;
        options.reader.member_timeout = member_timeout;
        options.reader.scan_memo_bytes = scan_memo_bytes;
        reader = broker::routes::add_proxy_routes(*router, *env.client, *env.members, options);
        // The route as it was before the splice path (DOM merge + dump), for "before" figures
        // in the same run.
        router->add("GET", "/bench/dom/clusters/{cluster}/pods",
                    [reader = env.reader.get()](broker::server::request_context& ctx)
                        -> net::awaitable<broker::server::response> {
                        proxy::list_query q;
                        q.kind = *proxy::find_kind("pods");
                        q.only_cluster = ctx.path_params.value_or("cluster", "");
                        auto r = co_await reader->list(std::move(q));
                        co_return broker::server::json_response(r.http_status, r.body);
                    });
        srv = std::make_unique<broker::server::server>(env.ioc.get_executor(),
                                                       broker::server::server_options{}, router);
        srv->spread_sessions(env.pool.session_executors(), true);
        srv->use(broker::auth::make_authenticator({nullptr, true, {}}));
        port = srv->start().port;
    }
    ~broker_env()
    {
        net::post(ioc, [s = srv.get()] { s->stop(); });
        std::this_thread::sleep_for(100ms);
    }
};

void merged_100x1000_pods(benchmark::State& state)
{
    fedsim_child fs({"--listen", "127.0.0.1:0", "--config", pod_federation(100, 1000)});
    if (!fs.ok()) {
        state.SkipWithError("set FEDSIM_EXE to the fedsim executable");
        return;
    }
    if (!populate_pods(fs.port, 100, 100000)) {
        state.SkipWithError("fedsim did not create 1,000 pods in every member in time");
        return;
    }
    reader_env env(fs.url, 100, 2, 30s);
    broker_env broker(env, 30s);
    const std::string target = "/api/v1/proxy/resources?kind=pods";
    std::size_t bytes = 0;
    double worst_s = 0;
    double best_s = 1e9;
    double worst_rss = 0;
    for (auto _ : state) {
        rss_sampler rss;
        auto start = std::chrono::steady_clock::now();
        bytes = http_get(broker.port, target, debug_admin);
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        worst_s = std::max(worst_s, secs);  // the first is cold: fedsim serialises afresh
        best_s = std::min(best_s, secs);
        worst_rss = std::max(worst_rss, rss.growth_bytes());
    }
    // Outside the timed loop: check what the route answered (count items, no failures).
    auto text = http_get_text(broker.port, target + "&x=1");
    std::size_t items = 0;
    std::size_t failures = 0;
    {
        auto doc = json::parse(text, nullptr, false);
        if (doc.is_object()) {
            items = doc["items"].size();
            failures = doc["failures"].size();
        }
    }
    text = {};
    // The DOM merge (federated_reader::list + dump) of the same members, same run.
    double dom_s = 0;
    double dom_rss = 0;
    {
        rss_sampler rss;
        auto start = std::chrono::steady_clock::now();
        auto r = env.list("pods");
        auto dumped = r.body.dump();
        dom_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        dom_rss = rss.growth_bytes() / static_cast<double>(std::max<std::size_t>(dumped.size(), 1));
    }
    state.counters["items"] = static_cast<double>(items);
    state.counters["failures"] = static_cast<double>(failures);
    state.counters["response_MB"] = static_cast<double>(bytes) / 1e6;
    state.counters["worst_s"] = worst_s;
    state.counters["best_s"] = best_s;
    state.counters["rss_growth_vs_response"] =
        worst_rss / static_cast<double>(std::max<std::size_t>(bytes, 1));
    state.counters["dom_merge_s"] = dom_s;
    state.counters["dom_rss_growth_vs_response"] = dom_rss;
}
BENCHMARK(merged_100x1000_pods)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Pods in the one-member comparisons (a modest namespace's worth).
constexpr int one_member_pods = 50;

/// The broker's HTTP route in-process in front of fedsim, and fedsim directly: p50 of one
/// member's pod list.
void one_member_broker_vs_direct(benchmark::State& state)
{
    fedsim_child fs({"--listen", "127.0.0.1:0", "--config", pod_federation(1, one_member_pods)});
    if (!fs.ok() || !populate_pods(fs.port, 1, one_member_pods)) {
        state.SkipWithError("set FEDSIM_EXE to the fedsim executable");
        return;
    }
    reader_env env(fs.url, 1);
    broker_env broker(env, 5s);
    const std::string direct = "/apis/cluster.karmada.io/v1alpha1/clusters/m-000/proxy/api/v1/pods";
    const std::string via = "/api/v1/proxy/clusters/m-000/resources?kind=pods";
    std::vector<double> d;
    std::vector<double> b;
    for (auto _ : state) {
        for (int i = 0; i < 200; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            http_get(fs.port, direct);
            auto t1 = std::chrono::steady_clock::now();
            http_get(broker.port, via, debug_admin);
            auto t2 = std::chrono::steady_clock::now();
            d.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
            b.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
        }
    }
    std::sort(d.begin(), d.end());
    std::sort(b.begin(), b.end());
    state.counters["direct_p50_us"] = d[d.size() / 2];
    state.counters["broker_p50_us"] = b[b.size() / 2];
    state.counters["overhead_p50_us"] = b[b.size() / 2] - d[d.size() / 2];
    state.counters["direct_bytes"] = static_cast<double>(http_get(fs.port, direct));
    state.counters["broker_bytes"] = static_cast<double>(http_get(broker.port, via, debug_admin));
    state.counters["karmada_connections"] =
        static_cast<double>(env.client->stats().connections_opened);
}
BENCHMARK(one_member_broker_vs_direct)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The scan of one member's answer (list_splice.hpp) on fedsim's own pod list text (50 and
/// 1,000 pods), against nlohmann's validating `accept` of the same bytes in the same run.
/// Counters: bytes per second of each, and `vs_accept` (scan speed / accept speed).
void scan_member_list(benchmark::State& state)
{
    const int pods = static_cast<int>(state.range(0));
    fedsim_child fs({"--listen", "127.0.0.1:0", "--config", pod_federation(1, pods)});
    if (!fs.ok() || !populate_pods(fs.port, 1, pods)) {
        state.SkipWithError("needs FEDSIM_EXE");
        return;
    }
    const auto text = http_get_text(
        fs.port, "/apis/cluster.karmada.io/v1alpha1/clusters/m-000/proxy/api/v1/pods");
    proxy::scan_options options;
    proxy::scan_error error = proxy::scan_error::none;
    std::string message;
    std::size_t items = 0;
    const auto timed = [&](auto&& body) {
        const auto start = std::chrono::steady_clock::now();
        int rounds = 0;
        while (std::chrono::steady_clock::now() - start < 300ms) {
            body();
            ++rounds;
        }
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        return static_cast<double>(text.size()) * rounds / took.count();
    };
    double scan_bps = 0;
    double accept_bps = 0;
    double hit_bps = 0;
    double miss_bps = 0;
    for (auto _ : state) {
        scan_bps = timed([&] {
            auto list = proxy::scan_list(text, options, error, message);
            items = list ? list->items.size() : 0;
            benchmark::DoNotOptimize(items);
        });
        accept_bps = timed([&] {
            bool ok = json::accept(text);
            benchmark::DoNotOptimize(ok);
        });
        // Through the scan memo: the same answer again (a hit), and two answers that differ
        // in their last item's name, alternating (every call a miss that compares, scans in
        // full and remembers: the memo's cost when nothing repeats).
        proxy::scan_memo memo;
        hit_bps = timed([&] {
            auto list = memo.scan("k", text, options, error, message);
            benchmark::DoNotOptimize(list);
        });
        std::string other = text;
        if (const auto at = other.rfind("\"name\":\""); at != std::string::npos) {
            char& c = other[at + 8];
            c = c == 'q' ? 'r' : 'q';
        }
        bool flip = false;
        miss_bps = timed([&] {
            flip = !flip;
            auto list = memo.scan("k", flip ? other : text, options, error, message);
            benchmark::DoNotOptimize(list);
        });
    }
    state.counters["memo_hit_MBps"] = hit_bps / 1e6;
    state.counters["memo_miss_MBps"] = miss_bps / 1e6;
    state.counters["bytes"] = static_cast<double>(text.size());
    state.counters["items"] = static_cast<double>(items);
    state.counters["scan_MBps"] = scan_bps / 1e6;
    state.counters["accept_MBps"] = accept_bps / 1e6;
    state.counters["vs_accept"] = accept_bps > 0 ? scan_bps / accept_bps : 0;
}
BENCHMARK(scan_member_list)->Arg(50)->Arg(1000)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

std::uint16_t free_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

/// Requests/sec that `wrk` reports for `url` (2 s, 1 thread, 8 connections); 0 when absent.
double wrk_rps(const std::string& url, const std::string& headers = {})
{
    const std::string cmd = "wrk -t1 -c8 -d2s " + headers + " '" + url + "' 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) {
        return 0;
    }
    double rps = 0;
    char line[512];
    while (std::fgets(line, sizeof line, p) != nullptr) {
        std::string s(line);
        if (s.rfind("Requests/sec:", 0) == 0) {
            rps = std::stod(s.substr(13));
        }
    }
    ::pclose(p);
    return rps;
}

/// Throughput of one member's pod list: fedsim directly, nginx (plain reverse proxy with
/// keep-alive upstreams, private config on a free loopback port, `threads` workers) and the
/// broker's route (`threads` io threads). Same fedsim, same request, same wrk settings.
void throughput_broker_vs_nginx(benchmark::State& state)
{
    const int threads = static_cast<int>(state.range(0));
    fedsim_child fs({"--listen", "127.0.0.1:0", "--config", pod_federation(1, one_member_pods)});
    if (!fs.ok() || !std::filesystem::exists("/usr/sbin/nginx") ||
        !populate_pods(fs.port, 1, one_member_pods)) {
        state.SkipWithError("needs FEDSIM_EXE and /usr/sbin/nginx");
        return;
    }
    reader_env env(fs.url, 1, threads);
    broker_env broker(env, 5s);
    broker_env full_scan(env, 5s, 0);  // the same route with the scan memo off

    auto dir = std::filesystem::temp_directory_path() / ("fanout-nginx-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto nginx_port = free_port();
    {
        std::ofstream conf(dir / "nginx.conf");
        conf << "daemon off; master_process " << (threads > 1 ? "on" : "off")
             << "; worker_processes " << threads << ";\n"
             << "pid " << (dir / "nginx.pid").string() << ";\n"
             << "error_log " << (dir / "error.log").string() << ";\n"
             << "events { worker_connections 1024; }\n"
             << "http { access_log off;\n"
             << "  client_body_temp_path " << dir.string() << "; proxy_temp_path " << dir.string()
             << "; fastcgi_temp_path " << dir.string() << "; uwsgi_temp_path " << dir.string()
             << "; scgi_temp_path " << dir.string() << ";\n"
             << "  upstream fedsim { server 127.0.0.1:" << fs.port << "; keepalive 16; }\n"
             << "  server { listen 127.0.0.1:" << nginx_port << ";\n"
             << "    location / { proxy_pass http://fedsim; proxy_http_version 1.1;\n"
             << "      proxy_set_header Connection \"\"; } } }\n";
    }
    pid_t nginx = ::fork();
    if (nginx == 0) {
        const std::string prefix = dir.string() + "/";
        const std::string conf = (dir / "nginx.conf").string();
        ::execl("/usr/sbin/nginx", "nginx", "-p", prefix.c_str(), "-c", conf.c_str(), "-e",
                (dir / "stderr.log").c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int i = 0; i < 100 && http_get(nginx_port, "/healthz") == 0; ++i) {
        std::this_thread::sleep_for(20ms);
    }
    const std::string member = "/apis/cluster.karmada.io/v1alpha1/clusters/m-000/proxy/api/v1/pods";
    double direct = 0;
    double via_nginx = 0;
    double via_broker = 0;
    double via_broker_dom = 0;
    double via_full_scan = 0;
    for (auto _ : state) {
        direct = wrk_rps("http://127.0.0.1:" + std::to_string(fs.port) + member);
        via_nginx = wrk_rps("http://127.0.0.1:" + std::to_string(nginx_port) + member);
        via_broker = wrk_rps("http://127.0.0.1:" + std::to_string(broker.port) +
                                 "/api/v1/proxy/clusters/m-000/resources?kind=pods",
                             "-H 'X-Debug-Username: bench' -H 'X-Debug-Roles: admin'");
        via_full_scan = wrk_rps("http://127.0.0.1:" + std::to_string(full_scan.port) +
                                    "/api/v1/proxy/clusters/m-000/resources?kind=pods",
                                "-H 'X-Debug-Username: bench' -H 'X-Debug-Roles: admin'");
        via_broker_dom = wrk_rps("http://127.0.0.1:" + std::to_string(broker.port) +
                                 "/bench/dom/clusters/m-000/pods",
                                 "-H 'X-Debug-Username: bench' -H 'X-Debug-Roles: admin'");
    }
    ::kill(nginx, SIGTERM);
    ::waitpid(nginx, nullptr, 0);
    std::filesystem::remove_all(dir);
    state.counters["fedsim_rps"] = direct;
    state.counters["nginx_rps"] = via_nginx;
    state.counters["broker_rps"] = via_broker;
    state.counters["broker_vs_nginx"] = via_nginx > 0 ? via_broker / via_nginx : 0;
    const auto& memo = broker.reader->memo();
    state.counters["memo_hit_ratio"] =
        static_cast<double>(memo.hits()) /
        static_cast<double>(std::max<std::uint64_t>(1, memo.hits() + memo.misses()));
    state.counters["full_scan_rps"] = via_full_scan;
    state.counters["full_scan_vs_nginx"] = via_nginx > 0 ? via_full_scan / via_nginx : 0;
    state.counters["dom_route_rps"] = via_broker_dom;
    state.counters["dom_route_vs_nginx"] = via_nginx > 0 ? via_broker_dom / via_nginx : 0;
}
BENCHMARK(throughput_broker_vs_nginx)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
