// fedsim: wiring only — parse flags, build the model, start the listener and the simulation
// driver, print the ready line, run one io thread until SIGTERM/SIGINT, drain.
#include "broker/server/allocator.hpp"
#include "broker/server/server.hpp"
#include "sim/api/app.hpp"
#include "sim/api/command_line.hpp"
#include "sim/api/kubeconfig_writer.hpp"
#include "sim/model/federation.hpp"
#include "sim/model/federation_config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace {

std::string describe(const propagation::error& e)
{
    std::string out = e.message;
    for (const auto& c : e.causes) {
        out += "\n  " + c.field + ": " + c.message;
    }
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    namespace net = boost::asio;
    using namespace fedsim;

    broker::server::tune_allocator();
    auto parsed = api::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    if (!parsed.value) {
        std::cerr << "fedsim: " << parsed.error << "\n" << api::usage();
        return 2;
    }
    const auto& cl = *parsed.value;
    if (cl.help) {
        std::cout << api::usage();
        return 0;
    }

    model::federation_config config;
    if (cl.demo) {
        config = model::demo_config();
    } else {
        auto loaded = model::load_federation_config(cl.config_file);
        if (!loaded) {
            std::cerr << "fedsim: " << describe(loaded.error()) << "\n";
            return 2;
        }
        config = std::move(*loaded);
    }
    if (cl.time_scale) {
        config.time_scale = *cl.time_scale;
    }
    auto created = model::federation::create(std::move(config), api::app::now());
    if (!created) {
        std::cerr << "fedsim: " << describe(created.error()) << "\n";
        return 2;
    }
    auto& federation = **created;
    for (const auto& dir : cl.crd_dirs) {
        if (auto loaded = federation.load_crds(dir); !loaded) {
            std::cerr << "fedsim: --crd-dir " << dir << ": " << describe(loaded.error()) << "\n";
            return 2;
        }
    }

    // One thread: the model is single-threaded and every handler uses it directly.
    net::io_context ioc{1};
    api::app_options app_opts;
    app_opts.token = cl.token;
    api::app app(ioc.get_executor(), federation, app_opts);

    broker::server::server_options server_opts;
    server_opts.address = cl.listen_address;
    server_opts.port = cl.listen_port;
    if (!cl.tls_cert.empty()) {
        server_opts.tls = broker::server::tls_files{cl.tls_cert, cl.tls_key};
    }
    broker::server::server server(ioc.get_executor(), server_opts, app.make_router(),
                                  app.metrics_ptr());
    for (auto& mw : app.make_middleware()) {
        server.use(std::move(mw));
    }
    broker::server::bound_endpoint bound;
    try {
        bound = server.start();
    } catch (const std::exception& e) {
        std::cerr << "fedsim: " << e.what() << "\n";
        return 1;
    }
    std::string host = bound.address.find(':') != std::string::npos ? "[" + bound.address + "]"
                                                                     : bound.address;
    app.set_server_address(host + ":" + std::to_string(bound.port));
    app.start();

    if (!cl.kubeconfig_out.empty()) {
        std::string ca;
        if (!cl.tls_cert.empty()) {
            std::ifstream f(cl.tls_cert, std::ios::binary);
            std::ostringstream s;
            s << f.rdbuf();
            ca = s.str();
        }
        if (auto err = api::write_kubeconfig(cl.kubeconfig_out, bound.url(), ca, cl.token);
            !err.empty()) {
            std::cerr << "fedsim: " << err << "\n";
            return 1;
        }
    }

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) {
            app.stop();
            server.stop();
        }
    });

    std::cout << "fedsim listening on " << bound.url() << std::endl;
    ioc.run();
    // Every connection is closed and the driver has stopped. Tearing the model down node by node
    // takes seconds for a large federation (millions of JSON values); the OS reclaims it at once.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(0);
}
