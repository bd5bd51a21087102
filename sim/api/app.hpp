#pragma once

#include "broker/server/handler.hpp"
#include "broker/server/metrics.hpp"
#include "broker/server/router.hpp"
#include "sim/api/change_hub.hpp"
#include "sim/model/federation.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace fedsim::api {

/// Knobs of fedsim's HTTP layer.
struct app_options {
    std::string token; ///< bearer token every request must carry; empty: no authentication
    std::chrono::seconds max_watch_timeout{1800};       ///< timeoutSeconds is capped here
    std::chrono::milliseconds bookmark_interval{10'000}; ///< BOOKMARK cadence when allowed
    std::chrono::milliseconds log_poll_interval{250};    ///< log follow re-check cadence
    std::chrono::milliseconds max_tick{500}; ///< the simulation advances at least this often
    std::chrono::milliseconds max_fault_latency{60'000}; ///< latencyMs is capped here
};

/// fedsim's HTTP layer: the Karmada API server over the model's control plane, the cluster
/// proxy over its members, the fault and stats endpoints, and the timer that advances the
/// simulation.
///
/// Everything — sessions, handlers, the driver and the model — runs on ONE single-threaded
/// io_context (the model is single-threaded), so handlers use the model directly between
/// suspension points.
/// Thread safety: none; construct, then use only from the io_context's thread.
class app {
public:
    app(boost::asio::any_io_executor executor, model::federation& federation, app_options options);
    ~app();
    app(const app&) = delete;
    app& operator=(const app&) = delete;

    /// The route table (the whole API surface in one place).
    std::shared_ptr<broker::server::router> make_router();

    /// Middleware: bearer-token check when a token is configured (health endpoints exempt).
    std::vector<broker::server::middleware> make_middleware();

    /// `host:port` clients reach us at (served in `/api`); set after the listener is bound.
    void set_server_address(std::string address) { server_address_ = std::move(address); }

    /// Starts the simulation driver (advance at next_wakeup, at least every max_tick).
    void start();

    /// Stops the driver and ends every watch / log stream (shutdown).
    void stop();

    // --- shared by the handler translation units ------------------------------------------
    model::federation& federation() { return federation_; }
    change_hub& hub() { return hub_; }
    const app_options& options() const { return options_; }
    const std::string& server_address() const { return server_address_; }
    broker::server::metrics_registry& metrics() { return *metrics_; }
    std::shared_ptr<broker::server::metrics_registry> metrics_ptr() { return metrics_; }

    /// Wall-clock time handed to the model.
    static model::time_point now();

    /// Runs the simulation up to now and wakes the driver so it re-reads next_wakeup (after a
    /// write changed what is due). Under load, writes within `coalesce_window` of the last
    /// pass leave the pass to the driver, which runs once the queued requests are served, so
    /// many writes share one pass.
    void advance_now();
    static constexpr std::chrono::microseconds coalesce_window{2000};
    /// No request for this long: the driver pre-serialises written objects in small chunks so
    /// that the first GET/LIST after a burst of changes finds their texts ready.
    static constexpr std::chrono::milliseconds warm_after_idle{50};
    static constexpr std::size_t warm_chunk = 200;

    /// Counts one request in `/fedsim/v1/stats` ("requests.total", "requests.verb.<verb>", ...).
    void count(std::string_view key);

private:
    boost::asio::awaitable<void> drive();

    boost::asio::any_io_executor executor_;
    model::federation& federation_;
    app_options options_;
    change_hub hub_;
    boost::asio::steady_timer driver_timer_;
    std::chrono::steady_clock::time_point last_pass_{};
    std::chrono::steady_clock::time_point last_request_{};
    std::shared_ptr<broker::server::metrics_registry> metrics_;
    std::string server_address_ = "127.0.0.1:0";
    bool stopping_ = false;
};

} // namespace fedsim::api
