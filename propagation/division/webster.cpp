// Webster (Sainte-Laguë) apportionment with Karmada's tie-breaker, two ways.
//
// Karmada hands out one seat at a time to the party with the largest float64 quotient
// votes / (2·seats + 1) (pkg/util/helper/webstermethod.go). Think of every (party, k) pair as
// an "item" with key (quotient(k) descending, k ascending, name by UID parity): a party's
// items are already in that order (the quotient never grows with k, and equal quotients go
// to the smaller k), so the seat-at-a-time process hands out exactly the first `seats` items
// of the total order. The fast method finds that prefix directly: it counts, for a threshold
// λ near the final divisor, each party's items strictly above λ (a prefix of the order, so
// either a subset or a superset of the answer), then adds the best next items or removes the
// worst last items with a heap until the total is right. Both directions move at most about
// one item per party, so the cost is O(n log n) whatever the number of seats.
//
// Worked examples (uid empty, so ties go to the name that sorts first):
//
// | seats | votes     | result | note                                          |
// |-------|-----------|--------|-----------------------------------------------|
// | 4     | 1:1:8     | 0:0:4  | largest remainder would give 1:0:3           |
// | 13    | 18:18:8   | 6:5:2  | the 18:18 tie goes to the first name          |
// | 14    | 3:2:1     | 7:5:2  |                                               |

#include "propagation/division/division.hpp"

#include <algorithm>
#include <queue>
#include <vector>

namespace propagation::division {

std::uint32_t fnv1a32(std::string_view uid) {
    std::uint32_t hash = 2166136261U;
    for (const char c : uid) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 16777619U;
    }
    return hash;
}

namespace {

__extension__ typedef __int128 int128;

/// The priority Go computes for a party holding `seats` seats. 2·seats+1 is formed in double
/// arithmetic so that it cannot overflow; it is exact (and equal to Go's float64 of the int)
/// for every seat count below 2^52.
double go_quotient(std::int64_t votes, std::int64_t seats) {
    return static_cast<double>(votes) / (2.0 * static_cast<double>(seats) + 1.0);
}

/// One item of the total order: party `party` receiving its seat number `k` (0-based), with
/// the quotient it competes with cached.
struct item {
    double quotient = 0;
    std::int64_t k = 0;
    std::size_t party = 0;
};

/// The total order over items: larger quotient first, then fewer seats, then the name in the
/// UID's direction, then input position (only reachable with duplicate names).
class item_order {
public:
    item_order(std::span<const std::string> names, bool ascending)
        : names_(names), ascending_(ascending) {}

    bool before(const item& a, const item& b) const {
        if (a.quotient != b.quotient) {
            return a.quotient > b.quotient;
        }
        if (a.k != b.k) {
            return a.k < b.k;
        }
        const int c = names_[a.party].compare(names_[b.party]);
        if (c != 0) {
            return ascending_ ? c < 0 : c > 0;
        }
        return a.party < b.party;
    }

private:
    std::span<const std::string> names_;
    bool ascending_;
};

struct prepared {
    std::size_t n = 0;
    std::vector<std::int64_t> votes;  // clamped at 0
    std::vector<std::size_t> active;  // parties with votes > 0
};

prepared prepare(std::span<const std::string> names, std::span<const std::int64_t> votes) {
    prepared p;
    p.n = std::min(names.size(), votes.size());
    p.votes.resize(p.n);
    for (std::size_t i = 0; i < p.n; ++i) {
        p.votes[i] = std::max<std::int64_t>(votes[i], 0);
        if (p.votes[i] > 0) {
            p.active.push_back(i);
        }
    }
    return p;
}

bool uid_ascending(std::string_view uid) {
    return uid.empty() || fnv1a32(uid) % 2 == 0;
}

/// Number of items of a party with `votes` whose quotient is strictly above `lambda`, capped
/// at `cap`. The predicate "quotient(k) > lambda" is true for a prefix of k, so an estimate is
/// corrected by galloping and then bisection, evaluating the predicate exactly as Go would.
std::int64_t count_above(std::int64_t votes, double lambda, std::int64_t cap) {
    constexpr std::int64_t max_step = std::int64_t{1} << 61;  // doubling never overflows
    auto above = [&](std::int64_t k) { return k < cap && go_quotient(votes, k) > lambda; };
    // votes/(2k+1) > lambda  <=>  k < (votes/lambda - 1)/2, up to rounding.
    std::int64_t guess = cap;
    if (lambda > 0) {
        const long double estimate =
            (static_cast<long double>(votes) / static_cast<long double>(lambda) - 1.0L) / 2.0L;
        if (estimate < static_cast<long double>(cap)) {
            guess = estimate > 0 ? static_cast<std::int64_t>(estimate) : 0;
        }
    }
    std::int64_t lo = 0;  // above(lo) is true once found
    std::int64_t hi = 0;  // above(hi) is false
    if (above(guess)) {
        lo = guess;
        std::int64_t step = 1;
        for (;;) {
            hi = (cap - lo <= step) ? cap : lo + step;
            if (!above(hi)) {
                break;
            }
            lo = hi;
            if (step < max_step) {
                step *= 2;
            }
        }
    } else {
        hi = guess;
        std::int64_t step = 1;
        for (;;) {
            if (hi == 0) {
                return 0;
            }
            const std::int64_t candidate = (hi <= step) ? 0 : hi - step;
            if (above(candidate)) {
                lo = candidate;
                break;
            }
            hi = candidate;
            if (step < max_step) {
                step *= 2;
            }
        }
    }
    while (hi - lo > 1) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (above(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return hi;
}

}  // namespace

std::vector<std::int64_t> webster_seat_by_seat(std::int64_t seats,
                                               std::span<const std::string> names,
                                               std::span<const std::int64_t> votes,
                                               std::string_view uid) {
    const prepared p = prepare(names, votes);
    std::vector<std::int64_t> result(p.n, 0);
    if (seats <= 0 || p.active.empty()) {
        return result;
    }
    const item_order order(names, uid_ascending(uid));
    // std::priority_queue keeps the "largest" on top; an item is smaller when it comes later.
    auto later = [&](const item& a, const item& b) { return order.before(b, a); };
    std::priority_queue<item, std::vector<item>, decltype(later)> heap(later);
    for (const std::size_t i : p.active) {
        heap.push(item{go_quotient(p.votes[i], 0), 0, i});
    }
    for (std::int64_t s = 0; s < seats; ++s) {
        item top = heap.top();
        heap.pop();
        ++result[top.party];
        top.k = result[top.party];
        top.quotient = go_quotient(p.votes[top.party], top.k);
        heap.push(top);
    }
    return result;
}

std::vector<std::int64_t> webster(std::int64_t seats, std::span<const std::string> names,
                                  std::span<const std::int64_t> votes, std::string_view uid) {
    const prepared p = prepare(names, votes);
    std::vector<std::int64_t> result(p.n, 0);
    if (seats <= 0 || p.active.empty()) {
        return result;
    }
    const item_order order(names, uid_ascending(uid));

    long double total_votes = 0;
    for (const std::size_t i : p.active) {
        total_votes += static_cast<long double>(p.votes[i]);
    }
    const auto count_all = [&](double lambda) {
        int128 total = 0;
        for (const std::size_t i : p.active) {
            result[i] = count_above(p.votes[i], lambda, seats);
            total += result[i];
        }
        return total;
    };
    // The Webster divisor is close to total/seats and a seat is won while votes/(2k+1) stays
    // above half of it, so every party's count is within one of its final share.
    double lambda = static_cast<double>(total_votes / (2.0L * static_cast<long double>(seats)));
    int128 total = count_all(lambda);
    // Rounding can only move the counts by a few items; rescale the threshold in the unlikely
    // case the first guess is far off, so that the heap phase stays O(n log n).
    const int128 slack = static_cast<int128>(p.active.size()) + 8;
    for (int round = 0; round < 64; ++round) {
        const int128 off = total - seats;
        if (off <= slack && off >= -slack) {
            break;
        }
        const double ratio = static_cast<double>(total) / static_cast<double>(seats);
        lambda *= (ratio > 0 ? ratio : 0.5);
        total = count_all(lambda);
    }

    if (total < seats) {
        // Add the best next items: each party's next item is (party, result[party]).
        auto later = [&](const item& a, const item& b) { return order.before(b, a); };
        std::vector<item> heap;
        heap.reserve(p.active.size());
        for (const std::size_t i : p.active) {
            heap.push_back(item{go_quotient(p.votes[i], result[i]), result[i], i});
        }
        std::make_heap(heap.begin(), heap.end(), later);
        for (int128 missing = seats - total; missing > 0; --missing) {
            std::pop_heap(heap.begin(), heap.end(), later);
            item& top = heap.back();
            ++result[top.party];
            top.k = result[top.party];
            top.quotient = go_quotient(p.votes[top.party], top.k);
            std::push_heap(heap.begin(), heap.end(), later);
        }
    } else if (total > seats) {
        // Remove the worst last items: each party's last item is (party, result[party] - 1).
        auto earlier = [&](const item& a, const item& b) { return order.before(a, b); };
        std::vector<item> heap;
        heap.reserve(p.active.size());
        for (const std::size_t i : p.active) {
            if (result[i] > 0) {
                heap.push_back(item{go_quotient(p.votes[i], result[i] - 1), result[i] - 1, i});
            }
        }
        std::make_heap(heap.begin(), heap.end(), earlier);
        for (int128 extra = total - seats; extra > 0; --extra) {
            std::pop_heap(heap.begin(), heap.end(), earlier);
            item& top = heap.back();
            --result[top.party];
            if (result[top.party] > 0) {
                top.k = result[top.party] - 1;
                top.quotient = go_quotient(p.votes[top.party], top.k);
                std::push_heap(heap.begin(), heap.end(), earlier);
            } else {
                heap.pop_back();
            }
        }
    }
    return result;
}

}  // namespace propagation::division
