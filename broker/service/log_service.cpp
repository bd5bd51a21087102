#include "broker/service/log_service.hpp"

#include "broker/service/job_service.hpp"
#include "broker/service/karmada_objects.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <functional>
#include <mutex>

namespace broker::service {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

struct pod_ref {
    std::string cluster;
    std::string name;
};

std::string proxy_prefix(std::string_view cluster) {
    return "/apis/cluster.karmada.io/v1alpha1/clusters/" + std::string(cluster) + "/proxy";
}

std::string log_path(const pod_ref& pod, const std::string& ns, const log_request& r) {
    std::string path = proxy_prefix(pod.cluster) + "/api/v1/namespaces/" + ns + "/pods/" +
                       pod.name + "/log";
    if (!r.container.empty()) {
        path = proxy::append_query(path, "container", r.container);
    }
    if (r.tail_lines) {
        path = proxy::append_query(path, "tailLines", std::to_string(*r.tail_lines));
    }
    if (r.timestamps) {
        path = proxy::append_query(path, "timestamps", "true");
    }
    if (r.follow) {
        path = proxy::append_query(path, "follow", "true");
    }
    return path;
}

/// Splits `text` into lines, each prefixed (when `prefix` is non-empty) and newline-terminated;
/// an unterminated last line stays in `partial`.
void split_lines(std::string& partial, std::string_view text, const std::string& prefix,
                 std::string& out) {
    partial.append(text);
    std::size_t start = 0;
    for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', start)) {
        out += prefix;
        out.append(partial, start, nl - start + 1);
        start = nl + 1;
    }
    partial.erase(0, start);
}

/// Lines from every followed pod, handed from the pod streams' callbacks to the response writer.
struct follow_buffer {
    explicit follow_buffer(asio::any_io_executor ex) : wake(ex, 1) {}
    std::mutex mutex;
    std::string pending;
    std::size_t dropped = 0;
    int open_streams = 0;
    bool stopping = false;
    asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;

    void push(std::string text, std::size_t limit) {
        {
            std::lock_guard lock(mutex);
            if (pending.size() + text.size() > limit) {
                dropped += text.size();
            } else {
                pending += text;
            }
        }
        wake.try_send(boost::system::error_code{});
    }
};

}  // namespace

log_service::log_service(store::store& store, proxy::kube_client& karmada,
                         log_service_options options)
    : store_(store), karmada_(karmada), options_(options) {}

proxy::net::awaitable<server::response> log_service::logs(const auth::principal& who,
                                                          log_request request) {
    if (!is_job_id(request.job_id)) {
        co_return server::status_response(server::not_found_status("jobs.broker.gpufed.io", request.job_id));
    }
    // Built before the co_await: g++ 12 destroys a conditional's temporary inside a co_await
    // expression twice (heap corruption seen in the logs route).
    std::optional<std::string> owner;
    if (!who.is_admin()) {
        owner = who.user;
    }
    auto job = co_await store_.get_job(request.job_id, std::move(owner));
    if (!job) {
        co_return job.error().code == store::store_errc::not_found
            ? server::status_response(server::not_found_status("jobs.broker.gpufed.io", request.job_id))
            : server::error_response(503, job.error().message, "ServiceUnavailable");
    }
    std::vector<std::string> clusters;
    if (job->placement.is_object() && job->placement.contains("clusters")) {
        for (const auto& c : job->placement["clusters"]) {
            const auto name = c.value("name", std::string());
            if (request.cluster.empty() || request.cluster == name) {
                clusters.push_back(name);
            }
        }
    }
    if (!request.cluster.empty() && clusters.empty()) {
        co_return server::error_response(
            404, "job " + request.job_id + " has no part in cluster " + request.cluster, "NotFound");
    }

    // Find the job's pods in each of its clusters by the label every pod template carries.
    proxy::call_options call;
    call.timeout = options_.member_timeout;
    std::vector<pod_ref> pods;
    std::string failures;
    const std::string selector = std::string(job_id_label) + "=" + job->id;
    for (const auto& cluster : clusters) {
        auto path = proxy::append_query(proxy_prefix(cluster) + "/api/v1/namespaces/" +
                                            job->namespace_ + "/pods",
                                        "labelSelector", selector);
        auto listed = co_await karmada_.get(path, call);
        if (!listed) {
            failures += (failures.empty() ? "" : "; ") + cluster + ": " + listed.error().message;
            continue;
        }
        const auto& items = listed->body["items"];
        if (!items.is_array()) {
            continue;
        }
        for (const auto& p : items) {
            const auto name = p["metadata"].value("name", std::string());
            if (!name.empty() && (request.pod.empty() || request.pod == name)) {
                pods.push_back({cluster, name});
            }
        }
    }
    if (pods.empty() && !failures.empty()) {
        co_return server::error_response(502, "cannot list the job's pods: " + failures,
                                         "BadGateway");
    }
    if (!request.pod.empty() && pods.empty()) {
        co_return server::error_response(404, "pod " + request.pod + " of job " + job->id +
                                                  " not found",
                                         "NotFound");
    }
    const bool prefixed = request.pod.empty();
    const std::string ns = job->namespace_;

    if (!request.follow) {
        std::string body;
        for (const auto& pod : pods) {
            std::string path = log_path(pod, ns, request);
            auto got = co_await karmada_.request("GET", std::move(path), std::string(),
                                                 proxy::header_list(), call);
            const std::string prefix = prefixed ? pod.cluster + "/" + pod.name + " " : "";
            if (!got || got->status != 200) {
                failures += (failures.empty() ? "" : "; ") + pod.cluster + "/" + pod.name + ": " +
                            (got ? "HTTP " + std::to_string(got->status) : got.error().message);
                continue;
            }
            std::string partial;
            split_lines(partial, got->body, prefix, body);
            if (!partial.empty()) {
                body += prefix + partial + "\n";
            }
            if (body.size() > options_.max_log_bytes) {
                body.resize(options_.max_log_bytes);
                body += "\n[log truncated at " + std::to_string(options_.max_log_bytes) + " bytes]\n";
                break;
            }
        }
        auto r = server::text_response(200, std::move(body));
        if (!failures.empty()) {
            r.with_header("X-Log-Failures", failures.substr(0, 1024));
        }
        co_return r;
    }

    server::response r;
    r.status = 200;
    r.content_type = "text/plain; charset=utf-8";
    if (!failures.empty()) {
        r.with_header("X-Log-Failures", failures.substr(0, 1024));
    }
    auto& karmada = karmada_;
    const auto limit = options_.max_buffered_bytes;
    r.stream = [pods, ns, request, prefixed, &karmada, limit](
                   server::chunk_writer& out) -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto buffer = std::make_shared<follow_buffer>(ex);
        // The member streams run on one strand, and they are cancelled from that strand and only
        // while still running: Boost 1.81's co_spawn cancellation handler must never be
        // signalled after its operation completed (that crashed the broker after a follow).
        auto strand = asio::make_strand(ex);
        struct member_stream {
            asio::cancellation_signal cancel;
            bool done = false;  // guarded by the strand
        };
        std::vector<std::shared_ptr<member_stream>> streams;
        buffer->open_streams = static_cast<int>(pods.size());
        for (const auto& pod : pods) {
            auto stream = std::make_shared<member_stream>();
            streams.push_back(stream);
            const std::string prefix = prefixed ? pod.cluster + "/" + pod.name + " " : "";
            const std::string path = log_path(pod, ns, request);
            asio::co_spawn(
                strand,
                [buffer, prefix, path, &karmada, limit, stream]() -> asio::awaitable<void> {
                    auto partial = std::make_shared<std::string>();
                    proxy::stream_options options;
                    // A followed log may be silent for long; the client's presence bounds it.
                    options.idle_timeout = std::chrono::hours(24);
                    // A local, not a temporary in the co_await expression: g++ 12 destroys
                    // such temporaries twice (a double free after every followed log).
                    std::function<bool(std::string_view)> on_data =
                        [buffer, partial, prefix, limit](std::string_view chunk) {
                            std::string lines;
                            split_lines(*partial, chunk, prefix, lines);
                            if (!lines.empty()) {
                                buffer->push(std::move(lines), limit);
                            }
                            std::lock_guard lock(buffer->mutex);
                            return !buffer->stopping;
                        };
                    std::string stream_path = path;
                    auto ended = co_await karmada.stream_get(std::move(stream_path), options,
                                                             std::move(on_data));
                    std::string tail;
                    if (!partial->empty()) {
                        tail = prefix + *partial + "\n";
                    }
                    if (!ended && ended.error().code != proxy::kube_errc::cancelled) {
                        tail += prefix + "[log stream ended: " + ended.error().message + "]\n";
                    }
                    {
                        std::lock_guard lock(buffer->mutex);
                        --buffer->open_streams;
                    }
                    buffer->push(std::move(tail), limit);
                    stream->done = true;
                },
                asio::bind_cancellation_slot(stream->cancel.slot(), asio::detached));
        }
        for (;;) {
            std::string chunk;
            bool finished = false;
            std::size_t dropped = 0;
            {
                std::lock_guard lock(buffer->mutex);
                chunk.swap(buffer->pending);
                dropped = std::exchange(buffer->dropped, 0);
                finished = buffer->open_streams == 0;
            }
            if (dropped > 0) {
                chunk += "[" + std::to_string(dropped) + " bytes of log dropped: reader too slow]\n";
            }
            // Awaited in a statement of its own, not as the right side of &&: GCC 12 has
            // mishandled temporaries created conditionally inside co_await expressions.
            if (!chunk.empty()) {
                const bool written = co_await out.write(chunk);
                if (!written) {
                    break;
                }
            }
            if (finished) {
                std::lock_guard lock(buffer->mutex);
                if (buffer->pending.empty()) {
                    break;
                }
                continue;
            }
            auto [ec] = co_await buffer->wake.async_receive(asio::as_tuple(asio::use_awaitable));
            if (ec || out.closed()) {
                break;
            }
        }
        {
            std::lock_guard lock(buffer->mutex);
            buffer->stopping = true;
        }
        asio::post(strand, [streams] {
            for (const auto& st : streams) {
                if (!st->done) {
                    st->cancel.emit(asio::cancellation_type::terminal);
                }
            }
        });
    };
    co_return r;
}

}  // namespace broker::service
