#pragma once
/// Go's `sort.Sort` (Go 1.19 and later: pattern-defeating quicksort), reproduced step for step
/// so that elements Karmada's comparators consider equal end up in the order Karmada's
/// scheduler sees. Up to 12 elements it is an insertion sort (stable); above that the
/// partitioning reorders equal elements, and the aggregated strategy's "shortest prefix of
/// the sorted list" depends on that order. The pseudo-random pattern breaker is seeded by the
/// length, so the result is deterministic.
///
/// Interface: `less(i, j)` and `swap(i, j)` on indices 0..n-1, as Go's sort.Interface.
/// Thread safety: pure functions over the caller's data.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace propagation::division::go_sort {

template <class Less, class Swap>
class sorter {
public:
    sorter(Less& less, Swap& swap) : less_(less), swap_(swap) {}

    void sort(std::ptrdiff_t n) {
        if (n <= 1) {
            return;
        }
        pdqsort(0, n, bit_length(static_cast<std::uint64_t>(n)));
    }

private:
    enum class hint { unknown, increasing, decreasing };

    static int bit_length(std::uint64_t x) { return 64 - std::countl_zero(x); }

    bool less(std::ptrdiff_t i, std::ptrdiff_t j) {
        return less_(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
    }
    void swap(std::ptrdiff_t i, std::ptrdiff_t j) {
        swap_(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
    }

    void insertion_sort(std::ptrdiff_t a, std::ptrdiff_t b) {
        for (std::ptrdiff_t i = a + 1; i < b; ++i) {
            for (std::ptrdiff_t j = i; j > a && less(j, j - 1); --j) {
                swap(j, j - 1);
            }
        }
    }

    void sift_down(std::ptrdiff_t lo, std::ptrdiff_t hi, std::ptrdiff_t first) {
        std::ptrdiff_t root = lo;
        for (;;) {
            std::ptrdiff_t child = 2 * root + 1;
            if (child >= hi) {
                return;
            }
            if (child + 1 < hi && less(first + child, first + child + 1)) {
                ++child;
            }
            if (!less(first + root, first + child)) {
                return;
            }
            swap(first + root, first + child);
            root = child;
        }
    }

    void heap_sort(std::ptrdiff_t a, std::ptrdiff_t b) {
        const std::ptrdiff_t first = a;
        const std::ptrdiff_t hi = b - a;
        for (std::ptrdiff_t i = (hi - 1) / 2; i >= 0; --i) {
            sift_down(i, hi, first);
        }
        for (std::ptrdiff_t i = hi - 1; i >= 0; --i) {
            swap(first, first + i);
            sift_down(0, i, first);
        }
    }

    void pdqsort(std::ptrdiff_t a, std::ptrdiff_t b, int limit) {
        constexpr std::ptrdiff_t max_insertion = 12;
        bool was_balanced = true;
        bool was_partitioned = true;
        for (;;) {
            const std::ptrdiff_t length = b - a;
            if (length <= max_insertion) {
                insertion_sort(a, b);
                return;
            }
            if (limit == 0) {
                heap_sort(a, b);
                return;
            }
            if (!was_balanced) {
                break_patterns(a, b);
                --limit;
            }
            auto [pivot, h] = choose_pivot(a, b);
            if (h == hint::decreasing) {
                reverse_range(a, b);
                pivot = (b - 1) - (pivot - a);
                h = hint::increasing;
            }
            if (was_balanced && was_partitioned && h == hint::increasing) {
                if (partial_insertion_sort(a, b)) {
                    return;
                }
            }
            if (a > 0 && !less(a - 1, pivot)) {
                a = partition_equal(a, b, pivot);
                continue;
            }
            auto [mid, already] = partition(a, b, pivot);
            was_partitioned = already;
            const std::ptrdiff_t left = mid - a;
            const std::ptrdiff_t right = b - mid;
            const std::ptrdiff_t balance_threshold = length / 8;
            if (left < right) {
                was_balanced = left >= balance_threshold;
                pdqsort(a, mid, limit);
                a = mid + 1;
            } else {
                was_balanced = right >= balance_threshold;
                pdqsort(mid + 1, b, limit);
                b = mid;
            }
        }
    }

    struct partition_result {
        std::ptrdiff_t mid;
        bool already;
    };

    partition_result partition(std::ptrdiff_t a, std::ptrdiff_t b, std::ptrdiff_t pivot) {
        swap(a, pivot);
        std::ptrdiff_t i = a + 1;
        std::ptrdiff_t j = b - 1;
        while (i <= j && less(i, a)) {
            ++i;
        }
        while (i <= j && !less(j, a)) {
            --j;
        }
        if (i > j) {
            swap(j, a);
            return {j, true};
        }
        swap(i, j);
        ++i;
        --j;
        for (;;) {
            while (i <= j && less(i, a)) {
                ++i;
            }
            while (i <= j && !less(j, a)) {
                --j;
            }
            if (i > j) {
                break;
            }
            swap(i, j);
            ++i;
            --j;
        }
        swap(j, a);
        return {j, false};
    }

    std::ptrdiff_t partition_equal(std::ptrdiff_t a, std::ptrdiff_t b, std::ptrdiff_t pivot) {
        swap(a, pivot);
        std::ptrdiff_t i = a + 1;
        std::ptrdiff_t j = b - 1;
        for (;;) {
            while (i <= j && !less(a, i)) {
                ++i;
            }
            while (i <= j && less(a, j)) {
                --j;
            }
            if (i > j) {
                break;
            }
            swap(i, j);
            ++i;
            --j;
        }
        return i;
    }

    bool partial_insertion_sort(std::ptrdiff_t a, std::ptrdiff_t b) {
        constexpr int max_steps = 5;
        constexpr std::ptrdiff_t shortest_shifting = 50;
        std::ptrdiff_t i = a + 1;
        for (int step = 0; step < max_steps; ++step) {
            while (i < b && !less(i, i - 1)) {
                ++i;
            }
            if (i == b) {
                return true;
            }
            if (b - a < shortest_shifting) {
                return false;
            }
            swap(i, i - 1);
            // Go shifts down to index 1 (not a + 1); kept as is since it decides the order.
            if (i - a >= 2) {
                for (std::ptrdiff_t j = i - 1; j >= 1; --j) {
                    if (!less(j, j - 1)) {
                        break;
                    }
                    swap(j, j - 1);
                }
            }
            if (b - i >= 2) {
                for (std::ptrdiff_t j = i + 1; j < b; ++j) {
                    if (!less(j, j - 1)) {
                        break;
                    }
                    swap(j, j - 1);
                }
            }
        }
        return false;
    }

    void break_patterns(std::ptrdiff_t a, std::ptrdiff_t b) {
        const std::ptrdiff_t length = b - a;
        if (length < 8) {
            return;
        }
        std::uint64_t random = static_cast<std::uint64_t>(length);
        const std::uint64_t modulus = std::uint64_t{1}
                                      << bit_length(static_cast<std::uint64_t>(length));
        for (std::ptrdiff_t idx = a + (length / 4) * 2 - 1; idx <= a + (length / 4) * 2 + 1;
             ++idx) {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            auto other = static_cast<std::ptrdiff_t>(random & (modulus - 1));
            if (other >= length) {
                other -= length;
            }
            swap(idx, a + other);
        }
    }

    struct pivot_choice {
        std::ptrdiff_t pivot;
        hint h;
    };

    pivot_choice choose_pivot(std::ptrdiff_t a, std::ptrdiff_t b) {
        constexpr std::ptrdiff_t shortest_ninther = 50;
        constexpr int max_swaps = 4 * 3;
        const std::ptrdiff_t l = b - a;
        int swaps = 0;
        std::ptrdiff_t i = a + l / 4 * 1;
        std::ptrdiff_t j = a + l / 4 * 2;
        std::ptrdiff_t k = a + l / 4 * 3;
        if (l >= 8) {
            if (l >= shortest_ninther) {
                i = median(i - 1, i, i + 1, swaps);
                j = median(j - 1, j, j + 1, swaps);
                k = median(k - 1, k, k + 1, swaps);
            }
            j = median(i, j, k, swaps);
        }
        if (swaps == 0) {
            return {j, hint::increasing};
        }
        if (swaps == max_swaps) {
            return {j, hint::decreasing};
        }
        return {j, hint::unknown};
    }

    // Returns (x, y) with data[x] <= data[y], counting a swap when the order flips.
    void order2(std::ptrdiff_t& x, std::ptrdiff_t& y, int& swaps) {
        if (less(y, x)) {
            ++swaps;
            std::swap(x, y);
        }
    }

    std::ptrdiff_t median(std::ptrdiff_t x, std::ptrdiff_t y, std::ptrdiff_t z, int& swaps) {
        order2(x, y, swaps);
        order2(y, z, swaps);
        order2(x, y, swaps);
        return y;
    }

    void reverse_range(std::ptrdiff_t a, std::ptrdiff_t b) {
        std::ptrdiff_t i = a;
        std::ptrdiff_t j = b - 1;
        while (i < j) {
            swap(i, j);
            ++i;
            --j;
        }
    }

    Less& less_;
    Swap& swap_;
};

/// Sorts indices 0..n-1 as Go's sort.Sort would with the given Less and Swap.
template <class Less, class Swap>
void sort(std::size_t n, Less less, Swap swap) {
    sorter<Less, Swap> s(less, swap);
    s.sort(static_cast<std::ptrdiff_t>(n));
}

}  // namespace propagation::division::go_sort
