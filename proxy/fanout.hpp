#pragma once
/// Structured fan-out (STYLE.md principle 6): one child call per member cluster, all started
/// together under the caller's cancellation, each bounded by its own deadline, and a
/// per-member outcome for every member — value, error, or timed out — never a merged body.
/// Deciding what the outcomes mean for the client (200 with failures listed, 502, 504) is
/// the aggregator's job.
///
/// Thread safety: `fan_out` runs on the awaiting coroutine's executor; the children run
/// there too (use a strand when the calls touch shared state). `call` is invoked once per
/// member, concurrently in the coroutine sense, and must not block.

#include "proxy/kube_client.hpp"
#include "proxy/list_splice.hpp"
#include "proxy/net.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace proxy {

template <class T>
struct basic_member_outcome {
    std::string member;
    kube_result<T> result;  ///< a timeout is an error with code kube_errc::timeout
    std::chrono::milliseconds elapsed{0};

    bool timed_out() const { return !result && result.error().code == kube_errc::timeout; }
};

template <class T>
using basic_member_call = std::function<net::awaitable<kube_result<T>>(const std::string&)>;

/// A member's list answer as text, already scanned for splicing (list_splice.hpp).
struct scanned_member {
    std::string text;
    scanned_list list;
};

using member_outcome = basic_member_outcome<json_response>;
using member_call = basic_member_call<json_response>;
using scanned_outcome = basic_member_outcome<scanned_member>;
using scanned_call = basic_member_call<scanned_member>;

/// Calls `call(member)` for every member at once and waits for all of them. A call still
/// running after `per_member_timeout` is cancelled and reported as a timeout. Outcomes are in
/// the order of `members`. An exception thrown by a call becomes that member's error
/// (`bad_response`, detail = what()), never the caller's.
net::awaitable<std::vector<member_outcome>> fan_out(std::vector<std::string> members,
                                                    std::chrono::milliseconds per_member_timeout,
                                                    member_call call);

/// The same for calls that answer scanned list texts.
net::awaitable<std::vector<scanned_outcome>> fan_out(std::vector<std::string> members,
                                                     std::chrono::milliseconds per_member_timeout,
                                                     scanned_call call);

/// Receives one member's outcome; `index` is the member's position in `members`.
using scanned_sink = std::function<void(std::size_t index, scanned_outcome outcome)>;

/// Like fan_out, but hands each member's outcome to `sink` as soon as that member is done
/// (so a caller can use early answers while slow members still run), then returns once every
/// member has been delivered — exactly once each, also when the fan-out is cancelled.
net::awaitable<void> fan_out_each(std::vector<std::string> members,
                                  std::chrono::milliseconds per_member_timeout, scanned_call call,
                                  scanned_sink sink);

}  // namespace proxy
