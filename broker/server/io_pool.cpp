#include "broker/server/io_pool.hpp"

#include <algorithm>

namespace broker::server {

io_pool::io_pool(std::size_t threads)
{
    const std::size_t n = std::max<std::size_t>(threads, 1);
    contexts_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        contexts_.push_back(std::make_unique<context>());
        guards_.emplace_back(contexts_.back()->get_executor());
    }
}

io_pool::~io_pool()
{
    stop();
    join();
    for (auto& c : contexts_) {
        c->shut_down();
    }
    contexts_.clear();
}

std::vector<boost::asio::any_io_executor> io_pool::executors() const
{
    std::vector<boost::asio::any_io_executor> out;
    out.reserve(contexts_.size());
    for (const auto& c : contexts_) {
        out.emplace_back(c->get_executor());
    }
    return out;
}

std::vector<boost::asio::any_io_executor> io_pool::session_executors() const
{
    auto out = executors();
    if (out.size() > 1) {
        out.erase(out.begin());
    }
    return out;
}

void io_pool::start_threads(bool include_main)
{
    for (std::size_t i = include_main ? 0 : 1; i < contexts_.size(); ++i) {
        threads_.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
    }
}

void io_pool::run()
{
    start_threads(false);
    contexts_.front()->run();
    join();
}

void io_pool::join()
{
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

void io_pool::stop()
{
    for (auto& g : guards_) {
        g.reset();
    }
    for (auto& c : contexts_) {
        c->stop();
    }
}

}  // namespace broker::server
