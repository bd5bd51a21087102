// Aggregated member queries (issue 5) against a real fedsim started by the bench (port 0).
//
//   FEDSIM_EXE=<build>/fedsim <build>/bench/fanout_bench
//
// - fan_out_100_members_200ms: 100 members, each with 200 ms injected latency; one aggregated
//   node list through federated_reader. Counter `vs_slowest` = wall / 200 ms (target ≤ 1.3).
// - sequential_10_members_200ms: the sequential baseline (10 members; ×10 for 100).
// - merged_100x1000: 100 members × 1,000 nodes (sim/examples/scale-100x1000.yaml) merged into
//   one list; counters: items, response bytes, peak RSS growth / response bytes.
// - one_member_via_broker vs one_member_direct: the same member list through the broker's HTTP
//   route (in-process server) and straight to fedsim's cluster proxy; p50 per request.
// Each benchmark runs a fixed few iterations (seconds, not minutes).

#include "broker/auth/authenticator.hpp"
#include "broker/routes/proxy_routes.hpp"
#include "broker/server/server.hpp"
#include "proxy/federated_reader.hpp"

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

/// kube_client + member_registry on a private io_context thread.
struct reader_env {
    net::io_context ioc;
    std::optional<proxy::kube_client> client;
    std::unique_ptr<proxy::member_registry> members;
    std::unique_ptr<proxy::federated_reader> reader;
    std::unique_ptr<net::executor_work_guard<net::io_context::executor_type>> work;
    std::thread thread;

    reader_env(const std::string& url, std::size_t expected)
    {
        config::api_endpoint e;
        e.server = url;
        proxy::client_options co;
        co.max_idle_connections = 256;
        co.retry.max_attempts = 1;
        client.emplace(std::move(*proxy::kube_client::create(ioc.get_executor(), e, co)));
        members = std::make_unique<proxy::member_registry>(*client);
        proxy::reader_options ro;
        ro.member_timeout = 5s;
        reader = std::make_unique<proxy::federated_reader>(*client, *members, ro);
        work = std::make_unique<net::executor_work_guard<net::io_context::executor_type>>(
            ioc.get_executor());
        members->start();
        thread = std::thread([this] { ioc.run(); });
        for (int i = 0; i < 600 && members->snapshot()->size() < expected; ++i) {
            std::this_thread::sleep_for(50ms);
        }
    }
    ~reader_env()
    {
        net::post(ioc, [this] { members->stop(); });
        work.reset();
        ioc.stop();
        thread.join();
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

long max_rss_kb()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

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

void merged_100x1000(benchmark::State& state)
{
    const std::string config = std::string(BROKER_SOURCE_DIR) + "/sim/examples/scale-100x1000.yaml";
    fedsim_child fs({"--listen", "127.0.0.1:0", "--config", config});
    if (!fs.ok()) {
        state.SkipWithError("set FEDSIM_EXE to the fedsim executable");
        return;
    }
    reader_env env(fs.url, 100);
    std::size_t bytes = 0;
    std::size_t items = 0;
    long rss_growth_kb = 0;
    for (auto _ : state) {
        const long before = max_rss_kb();
        auto r = env.list("nodes");
        auto text = r.body.dump();
        bytes = text.size();
        items = r.body["items"].size();
        rss_growth_kb = std::max(rss_growth_kb, max_rss_kb() - before);
    }
    state.counters["items"] = static_cast<double>(items);
    state.counters["response_MB"] = static_cast<double>(bytes) / 1e6;
    state.counters["peak_rss_growth_vs_response"] =
        static_cast<double>(rss_growth_kb) * 1024.0 / static_cast<double>(std::max<std::size_t>(bytes, 1));
}
BENCHMARK(merged_100x1000)->Iterations(2)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The broker's HTTP route in-process in front of fedsim, and fedsim directly: p50 of one
/// member's node list.
void one_member_broker_vs_direct(benchmark::State& state)
{
    fedsim_child fs({"--listen", "127.0.0.1:0", "--demo"});
    if (!fs.ok()) {
        state.SkipWithError("set FEDSIM_EXE to the fedsim executable");
        return;
    }
    reader_env env(fs.url, 3);
    auto router = std::make_shared<broker::server::router>();
    broker::routes::add_proxy_routes(*router, *env.client, *env.members, {});
    broker::server::server srv(env.ioc.get_executor(), {}, router);
    srv.use(broker::auth::make_authenticator({nullptr, true, {}}));
    const auto port = srv.start().port;
    const std::string direct = "/apis/cluster.karmada.io/v1alpha1/clusters/cluster-3/proxy/api/v1/nodes";
    const std::string via = "/api/v1/proxy/clusters/cluster-3/resources?kind=nodes";
    const std::string auth = "X-Debug-Username: bench\r\nX-Debug-Roles: admin\r\n";
    std::vector<double> d;
    std::vector<double> b;
    for (auto _ : state) {
        for (int i = 0; i < 200; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            http_get(fs.port, direct);
            auto t1 = std::chrono::steady_clock::now();
            http_get(port, via, auth);
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
    net::post(env.ioc, [&srv] { srv.stop(); });
    std::this_thread::sleep_for(100ms);
}
BENCHMARK(one_member_broker_vs_direct)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

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

/// Throughput of one member's node list: fedsim directly, nginx (plain reverse proxy with
/// keep-alive upstreams, private config on a free loopback port) and the broker's route.
void throughput_broker_vs_nginx(benchmark::State& state)
{
    fedsim_child fs({"--listen", "127.0.0.1:0", "--demo"});
    if (!fs.ok() || !std::filesystem::exists("/usr/sbin/nginx")) {
        state.SkipWithError("needs FEDSIM_EXE and /usr/sbin/nginx");
        return;
    }
    reader_env env(fs.url, 3);
    auto router = std::make_shared<broker::server::router>();
    broker::routes::add_proxy_routes(*router, *env.client, *env.members, {});
    broker::server::server srv(env.ioc.get_executor(), {}, router);
    srv.use(broker::auth::make_authenticator({nullptr, true, {}}));
    const auto port = srv.start().port;

    auto dir = std::filesystem::temp_directory_path() / ("fanout-nginx-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto nginx_port = free_port();
    {
        std::ofstream conf(dir / "nginx.conf");
        conf << "daemon off; master_process off; worker_processes 1;\n"
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
    const std::string member = "/apis/cluster.karmada.io/v1alpha1/clusters/cluster-3/proxy/api/v1/nodes";
    double direct = 0;
    double via_nginx = 0;
    double via_broker = 0;
    for (auto _ : state) {
        direct = wrk_rps("http://127.0.0.1:" + std::to_string(fs.port) + member);
        via_nginx = wrk_rps("http://127.0.0.1:" + std::to_string(nginx_port) + member);
        via_broker = wrk_rps("http://127.0.0.1:" + std::to_string(port) +
                                 "/api/v1/proxy/clusters/cluster-3/resources?kind=nodes",
                             "-H 'X-Debug-Username: bench' -H 'X-Debug-Roles: admin'");
    }
    ::kill(nginx, SIGTERM);
    ::waitpid(nginx, nullptr, 0);
    std::filesystem::remove_all(dir);
    state.counters["fedsim_rps"] = direct;
    state.counters["nginx_rps"] = via_nginx;
    state.counters["broker_rps"] = via_broker;
    state.counters["broker_vs_nginx"] = via_nginx > 0 ? via_broker / via_nginx : 0;
    net::post(env.ioc, [&srv] { srv.stop(); });
    std::this_thread::sleep_for(100ms);
}
BENCHMARK(throughput_broker_vs_nginx)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
