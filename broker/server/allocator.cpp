#include "broker/server/allocator.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>
#include <initializer_list>

namespace broker::server {

bool tune_allocator(const allocator_settings& settings)
{
    if (::dlsym(RTLD_DEFAULT, "mallctl") != nullptr) {
        return false;  // jemalloc serves malloc (linked or preloaded): glibc's knobs do nothing
    }
    for (const char* name : {"GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"}) {
        if (std::getenv(name) != nullptr) {
            return false;
        }
    }
    // Setting either threshold also switches off glibc's dynamic adjustment of both, which
    // would otherwise move them after the first large free.
    const bool trim = ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(settings.trim_threshold)) == 1;
    const bool mmap = ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(settings.mmap_threshold)) == 1;
    return trim && mmap;
}

}  // namespace broker::server
