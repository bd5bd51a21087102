#include "broker/app/serve.hpp"

#include "broker/auth/authenticator.hpp"
#include "broker/routes/cors.hpp"
#include "broker/routes/member_routes.hpp"
#include "broker/routes/proxy_routes.hpp"
#include "broker/routes/routes.hpp"
#include "broker/server/allocator.hpp"
#include "broker/server/io_pool.hpp"
#include "broker/server/server.hpp"
#include "broker/service/job_service.hpp"
#include "broker/service/reconciler.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/pg_store.hpp"
#include "config/broker_config.hpp"
#include "proxy/kube_client.hpp"
#include "proxy/member_registry.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

namespace broker::app {
namespace {

namespace asio = boost::asio;

void print_errors(const std::vector<config::config_error>& errors) {
    for (const auto& e : errors) {
        std::cerr << "broker: " << (e.path.empty() ? "" : e.path + ": ") << e.message << "\n";
    }
}

std::optional<config::broker_config> load(const std::vector<std::string>& args) {
    auto loaded = config::load_broker_config(args, config::process_environment(),
                                             config::filesystem_reader());
    if (!loaded.config) {
        print_errors(loaded.errors);
        std::cerr << "broker: configuration invalid (" << loaded.errors.size()
                  << " problem" << (loaded.errors.size() == 1 ? "" : "s") << "); not starting\n";
        return std::nullopt;
    }
    return std::move(loaded.config);
}

std::string instance_id() {
    std::random_device rd;
    char buf[64];
    std::snprintf(buf, sizeof buf, "broker-%d-%08x", static_cast<int>(::getpid()), rd());
    return buf;
}

/// One access-log line per request, with the request id, user and duration.
server::middleware access_log() {
    return [](server::request_context& ctx,
              const server::handler& next) -> asio::awaitable<server::response> {
        const auto start = std::chrono::steady_clock::now();
        auto r = co_await next(ctx);
        const auto* who = auth::principal_of(ctx);
        const auto ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        spdlog::info("request id={} method={} path={} status={} user={} duration_ms={:.2f}",
                     ctx.request_id, ctx.method, ctx.path, r.status, who ? who->user : "-", ms);
        r.with_header("X-Request-Id", ctx.request_id);
        co_return r;
    };
}

}  // namespace

int run_migrate(const std::vector<std::string>& args) {
    auto cfg = load(args);
    if (!cfg) {
        return 2;
    }
    if (cfg->database.url.empty()) {
        std::cerr << "broker migrate: --database-url (or DATABASE_URL) is required\n";
        return 2;
    }
    auto report = store::migrate_database(cfg->database.url);
    if (!report) {
        std::cerr << "broker migrate: " << report.error().message << "\n";
        return 1;
    }
    std::cout << "schema at version " << report->current_version << " (applied "
              << report->applied.size() << " migration" << (report->applied.size() == 1 ? "" : "s")
              << ")\n";
    return 0;
}

int run_serve(const std::vector<std::string>& args) {
    server::tune_allocator();
    auto loaded = load(args);
    if (!loaded) {
        return 2;
    }
    const auto cfg = std::make_shared<const config::broker_config>(std::move(*loaded));
    std::vector<config::config_error> missing;
    if (!cfg->karmada.endpoint) {
        missing.push_back({"karmada.kubeconfig",
                           "required: the Karmada control plane's kubeconfig "
                           "(--karmada-kubeconfig or KARMADA_KUBECONFIG)"});
    }
    if (cfg->database.url.empty()) {
        missing.push_back({"database.url", "required: --database-url or DATABASE_URL"});
    }
    if (!missing.empty()) {
        print_errors(missing);
        return 2;
    }
    spdlog::set_level(spdlog::level::from_str(cfg->log.level));
    if (cfg->log.format == "json") {
        spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                            spdlog::pattern_time_type::utc);
    }

    if (cfg->database.migrate_on_start) {
        auto report = store::migrate_database(cfg->database.url);
        if (!report) {
            std::cerr << "broker: migrations failed: " << report.error().message << "\n";
            return 1;
        }
    }

    std::vector<std::string> keys;
    for (const auto& file : cfg->auth.jwt_public_key_files) {
        auto text = config::filesystem_reader()(file);
        if (!text) {
            std::cerr << "broker: --jwt-public-key " << file << ": cannot read\n";
            return 2;
        }
        keys.push_back(std::move(*text));
    }
    std::shared_ptr<const auth::jwt_verifier> verifier;
    if (!keys.empty()) {
        auto created = auth::jwt_verifier::create(keys);
        if (auto* error = std::get_if<std::string>(&created)) {
            std::cerr << "broker: --jwt-public-key: " << *error << "\n";
            return 2;
        }
        verifier = std::move(std::get<std::unique_ptr<auth::jwt_verifier>>(created));
    } else if (!cfg->auth.insecure_dev_auth) {
        spdlog::warn("no --jwt-public-key given: every API request will be refused (401)");
    }

    // One io_context per thread (see io_pool.hpp); the main one, run by this thread, also
    // carries the watches, the reconciler and the signal handling.
    server::io_pool io_threads(std::max(2u, std::thread::hardware_concurrency()));
    asio::io_context& io = io_threads.main();

    proxy::client_options client_options;
    client_options.max_idle_connections = 128;  // fan-outs to 100 members reuse connections
    auto karmada = proxy::kube_client::create(io.get_executor(), *cfg->karmada.endpoint,
                                              client_options);
    if (!karmada) {
        std::cerr << "broker: karmada.kubeconfig: " << karmada.error().message << "\n";
        return 2;
    }
    proxy::member_registry members(*karmada);

    store::db_pool_options pool;
    pool.database_url = cfg->database.url;
    pool.pool_size = cfg->database.pool_size;
    pool.statement_timeout = cfg->database.query_timeout;
    store::pg_store store(pool);

    auto metrics = std::make_shared<server::metrics_registry>();
    std::unique_ptr<service::reconciler> reconciler;
    service::job_service_options job_options;
    job_options.admin_weights = cfg->cluster_weights;
    job_options.max_form_bytes = cfg->limits.body_bytes;
    service::job_service jobs(store, *karmada, members, job_options,
                              [&reconciler] {
                                  if (reconciler) {
                                      reconciler->wake();
                                  }
                              });
    service::reconciler_options rec;
    rec.instance_id = instance_id();
    rec.outbox_interval = cfg->reconcile.outbox_interval;
    rec.queue_interval = cfg->reconcile.queue_interval;
    rec.status_interval = cfg->reconcile.status_interval;
    rec.backoff_initial = cfg->reconcile.backoff_initial;
    rec.backoff_max = cfg->reconcile.backoff_max;
    rec.lease_ttl = cfg->reconcile.lease_ttl;
    rec.lease_renew_interval = cfg->reconcile.lease_renew_interval;
    rec.karmada_timeout = job_options.karmada_timeout;
    reconciler = std::make_unique<service::reconciler>(io.get_executor(), store, *karmada,
                                                       members, jobs, rec, metrics);
    // New capacity may let Queued jobs run: try them at once.
    members.subscribe([&reconciler](const auto&) { reconciler->wake(); });

    auto router = std::make_shared<server::router>();
    service::log_service logs(store, *karmada, {});
    routes::add_job_routes(*router, jobs);
    routes::add_log_routes(*router, logs);
    routes::add_cluster_list_route(*router, members, store, jobs.snapshot_options());
    routes::proxy_route_options proxy_options;
    proxy_options.reader.member_timeout = cfg->proxy.member_timeout;
    proxy_options.reader.max_in_flight_per_member = cfg->proxy.max_in_flight_per_member;
    proxy_options.reader.scan_memo_bytes = cfg->proxy.scan_memo_bytes;
    const auto reader =
        routes::add_proxy_routes(*router, *karmada, members, std::move(proxy_options));
    routes::readiness_checks checks;
    checks.database = [&store]() -> asio::awaitable<std::string> {
        auto ok = co_await store.ping();
        co_return ok ? std::string() : ok.error().message;
    };
    checks.karmada = [&members]() -> std::string {
        return members.synced() ? std::string() : "the member clusters have not been listed yet";
    };
    routes::add_health_routes(*router, checks, metrics,
                              [&reconciler, &store, reader]() -> asio::awaitable<std::string> {
                                  const auto& group = store.group();
                                  const auto watch = reconciler->binding_watch_stats();
                                  co_return "# TYPE broker_leader gauge\nbroker_leader " +
                                      std::string(reconciler->is_leader() ? "1" : "0") +
                                      "\n# TYPE broker_status_binding_lists_total counter\n"
                                      "broker_status_binding_lists_total " +
                                      std::to_string(watch.lists) +
                                      "\n# TYPE broker_status_binding_events_total counter\n"
                                      "broker_status_binding_events_total " +
                                      std::to_string(watch.events) +
                                      "\n# TYPE broker_store_commit_groups_total counter\n"
                                      "broker_store_commit_groups_total " +
                                      std::to_string(group.groups_committed()) +
                                      "\n# TYPE broker_store_grouped_writes_total counter\n"
                                      "broker_store_grouped_writes_total " +
                                      std::to_string(group.ops_committed()) +
                                      "\n# TYPE broker_store_reservation_sums_total counter\n"
                                      "broker_store_reservation_sums_total " +
                                      std::to_string(store.reservation_sums()) +
                                      "\n# TYPE broker_proxy_scan_memo_hits_total counter\n"
                                      "broker_proxy_scan_memo_hits_total " +
                                      std::to_string(reader->memo().hits()) +
                                      "\n# TYPE broker_proxy_scan_memo_misses_total counter\n"
                                      "broker_proxy_scan_memo_misses_total " +
                                      std::to_string(reader->memo().misses()) + "\n";
                              });

    server::server_options server_options;
    server_options.address = cfg->listen.address;
    server_options.port = cfg->listen.port;
    if (!cfg->listen.tls_cert_file.empty()) {
        server_options.tls = server::tls_files{cfg->listen.tls_cert_file, cfg->listen.tls_key_file};
    }
    server_options.header_limit = cfg->limits.header_bytes;
    server_options.body_limit = cfg->limits.body_bytes;
    server_options.read_timeout = cfg->limits.read_timeout;
    server_options.write_timeout = cfg->limits.write_timeout;
    server_options.idle_timeout = cfg->limits.idle_timeout;
    server::server http(io.get_executor(), server_options, router, metrics);
    http.spread_sessions(io_threads.session_executors(), true);
    http.use(access_log());
    http.use(routes::make_cors(cfg->cors.allowed_origins));
    http.use(auth::make_authenticator({verifier, cfg->auth.insecure_dev_auth, {}}));

    server::bound_endpoint bound;
    try {
        bound = http.start();
    } catch (const std::exception& e) {
        std::cerr << "broker: cannot listen: " << e.what() << "\n";
        return 1;
    }
    members.start();
    reconciler->start();
    std::cout << "broker listening on " << bound.url() << std::endl;

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) {
            return;
        }
        spdlog::info("signal {}: draining", signal);
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                using namespace asio::experimental::awaitable_operators;
                http.stop();
                reconciler->stop();
                members.stop();
                // In-flight requests finish (the server bounds that by its grace period), and
                // the reconciler hands its lease back so that another broker takes over at once.
                asio::steady_timer deadline(io, std::chrono::seconds(10));
                co_await ((http.wait_stopped() && reconciler->wait_stopped()) ||
                          deadline.async_wait(asio::use_awaitable));
                io_threads.stop();
            },
            asio::detached);
    });

    io_threads.run();
    spdlog::info("stopped");
    return 0;
}

}  // namespace broker::app
