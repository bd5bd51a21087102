#pragma once
/// Process-wide allocator settings for the servers (broker and fedsim).
///
/// Both move answers of tens to hundreds of kilobytes per request: a member's list in, the
/// spliced list out. With glibc's defaults every such buffer freed at the top of the heap
/// crosses the 128 KiB trim threshold, so the heap is shrunk and grown again on every request
/// (madvise, page faults, TLB shootdowns between io threads: about a tenth of the proxy's CPU
/// in the throughput bench). Keeping up to `trim_threshold` of free memory per arena and
/// serving blocks below `mmap_threshold` from the heap turns that into plain reuse.
///
/// Thread safety: call once from main before any thread starts.

#include <cstddef>

namespace broker::server {

struct allocator_settings {
    std::size_t trim_threshold = 16u << 20;
    std::size_t mmap_threshold = 4u << 20;
};

/// Applies the settings to glibc's malloc unless the operator set MALLOC_TRIM_THRESHOLD_,
/// MALLOC_MMAP_THRESHOLD_ or GLIBC_TUNABLES (their choice wins), or jemalloc serves malloc
/// (the servers are linked with it by default, see CMakeLists.txt; its own size classes and
/// thread caches make the settings moot). Returns whether anything was changed.
bool tune_allocator(const allocator_settings& settings = {});

}  // namespace broker::server
