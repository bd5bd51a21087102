#pragma once
/// Scans of members' list answers remembered per request, so that an answer whose items are
/// byte for byte those of the previous answer to the same request is not scanned again.
///
/// Why: the validating scan is most of the proxy's CPU per list (list_splice.hpp), and the
/// answers admins poll repeat: a member's pods change far less often than they are listed.
/// Only the items are compared, not the whole text, because a real API server's list carries
/// its current resourceVersion in `metadata`, which moves with every write to the resource.
///
/// How: a remembered answer keeps its text from just after `"items":[` to the end (the items,
/// `]`, `}`). A new answer ending with exactly those bytes is its own head (everything before)
/// plus the remembered tail; the head is checked by scanning it with `]}` appended, which must
/// be a valid list object with no items whose last member is `"items":[`. Valid head + valid
/// tail in the same context is a valid answer, and the remembered item spans, shifted by the
/// difference in head length, are its items. Everything else (items not the last member, no
/// items, a different tail, a head that does not check) is scanned in full; the result is
/// the one scan_list gives in every case (tests compare the two).
///
/// Limits: at most `max_entries` requests and `max_bytes` of memory (the remembered text, the
/// item table with its strings, the key); the least recently used go first. An answer that
/// would cost more than a quarter of `max_bytes` is not remembered.
///
/// Thread safety: all members may be called from any thread.

#include "proxy/list_splice.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace proxy {

struct scan_memo_options {
    std::size_t max_entries = 1024;
    std::size_t max_bytes = 32u << 20;  ///< 0: remember nothing (every answer scanned in full)
};

class scan_memo {
public:
    explicit scan_memo(scan_memo_options options = {});

    /// scan_list(text, options, error, message), reusing the scan remembered under `key` (the
    /// member and request path) when the answer's items are the remembered ones, and
    /// remembering this one otherwise. `options` must be the same for every call of a memo.
    std::optional<scanned_list> scan(const std::string& key, std::string_view text,
                                     const scan_options& options, scan_error& error,
                                     std::string& message);

    std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
    std::uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
    /// The memory charged against max_bytes now.
    std::size_t remembered_bytes() const;

private:
    struct entry {
        std::string tail;      ///< the answer from just after `"items":[` to its end
        scanned_list list;     ///< item offsets relative to the start of `tail`
        std::size_t cost = 0;  ///< what it is charged against max_bytes
    };
    struct slot {
        std::shared_ptr<const entry> value;
        std::uint64_t used = 0;
    };

    std::shared_ptr<const entry> find(const std::string& key);
    void remember(const std::string& key, std::string_view text, const scanned_list& list);

    scan_memo_options options_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, slot> entries_;  // guarded by mutex_
    std::size_t bytes_ = 0;                          // guarded by mutex_
    std::uint64_t clock_ = 0;                        // guarded by mutex_
    std::atomic<std::uint64_t> hits_{0}, misses_{0};
};

}  // namespace proxy
