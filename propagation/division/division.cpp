// Karmada's replica assignment (pkg/scheduler/core: assignment.go, division_algorithm.go,
// common.go, util.go), one strategy per function and a table picking the strategy.
//
// | strategy       | weights handed to Webster                           | previous result      |
// |----------------|-----------------------------------------------------|----------------------|
// | duplicated     | none: every candidate gets all replicas             | ignored              |
// | static_weight  | resolved static weights (all 0 → every candidate 1) | ignored              |
// | dynamic_weight | available (scale up) / previous (scale down) /      | kept and added to    |
// |                | available + previous (fresh)                        | (scale up only)      |
// | aggregated     | as dynamic, over the shortest prefix that fits,     | as dynamic           |
// |                | clusters already holding replicas first             |                      |
//
// Examples: static 14 over 3:2:1 → 7:5:2; aggregated first schedule of 12 over free 6:8:10 →
// {m2:5, m3:7}; aggregated steady scale-down 12→6 from {m1:4, m2:8} → {m2:6}.
//
// Karmada counts replicas in int32. When every count of a request fits in int32 the sums
// Karmada compares are wrapped the way Go's int32 arithmetic wraps them, so that even its
// overflow behaviour is reproduced; larger requests (which Karmada cannot express) are summed
// exactly.

#include "propagation/division/division.hpp"

#include "propagation/division/go_sort.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace propagation::division {

namespace {

__extension__ typedef __int128 int128;

constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();

/// Go's int32 wrap-around of an exact sum.
std::int64_t wrap_int32(int128 value) {
    const auto low = static_cast<std::uint32_t>(static_cast<std::uint64_t>(value));
    return static_cast<std::int32_t>(low);
}

/// A small open-addressing table keyed by cluster name (names outlive it). Division runs on
/// thousands of clusters in the scheduler's hot path, where node-based hash sets dominated.
class name_table {
public:
    explicit name_table(std::size_t expected) {
        std::size_t capacity = 16;
        while (capacity < 2 * expected + 2) {
            capacity *= 2;
        }
        slots_.resize(capacity);
    }

    /// Inserts `key` → `value` unless present; returns the slot and whether it was inserted.
    std::pair<std::int64_t*, bool> emplace(std::string_view key, std::int64_t value) {
        slot& s = probe(key);
        if (s.used) {
            return {&s.value, false};
        }
        s = slot{key, value, true};
        return {&s.value, true};
    }

    std::int64_t* find(std::string_view key) {
        slot& s = probe(key);
        return s.used ? &s.value : nullptr;
    }

    bool contains(std::string_view key) { return find(key) != nullptr; }

private:
    struct slot {
        std::string_view key;
        std::int64_t value = 0;
        bool used = false;
    };

    slot& probe(std::string_view key) {
        std::uint64_t hash = 14695981039346656037ULL;
        for (const char c : key) {
            hash ^= static_cast<unsigned char>(c);
            hash *= 1099511628211ULL;
        }
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            if (!slots_[i].used || slots_[i].key == key) {
                return slots_[i];
            }
        }
    }

    std::vector<slot> slots_;
};

std::string path(std::string_view list, std::size_t index, std::string_view field) {
    std::string p(list);
    p += '[';
    p += std::to_string(index);
    p += "].";
    p += field;
    return p;
}

/// Field paths are only built when a check fails (`field` is a callable returning the path),
/// so validating thousands of clusters costs no allocations.
template <class Field>
void check_count(std::vector<field_error>& causes, const Field& field, std::int64_t value,
                 std::int64_t max) {
    if (value < 0) {
        causes.push_back({field(), "must be greater than or equal to 0"});
    } else if (value > max) {
        causes.push_back({field(), "must be less than or equal to " + std::to_string(max)});
    }
}

template <class Field>
void check_name(std::vector<field_error>& causes, name_table& seen, const Field& field,
                const std::string& name) {
    if (name.empty()) {
        causes.push_back({field(), "Required value", "FieldValueRequired"});
    } else if (name.size() > max_name_bytes) {
        causes.push_back({field(),
                          "must be no more than " + std::to_string(max_name_bytes) + " bytes",
                          "FieldValueTooLong"});
    } else if (!seen.emplace(name, 0).second) {
        causes.push_back({field(), "Duplicate value: \"" + name + "\"", "FieldValueDuplicate"});
    }
}

auto at(std::string_view list, std::size_t index, std::string_view field) {
    return [=] { return path(list, index, field); };
}

auto named(std::string_view field) {
    return [=] { return std::string(field); };
}

std::vector<field_error> validate(const division_request& r) {
    std::vector<field_error> causes;
    check_count(causes, named("replicas"), r.replicas, max_replicas);
    if (r.clusters.size() > max_clusters) {
        causes.push_back({"clusters",
                          "must have at most " + std::to_string(max_clusters) + " items",
                          "FieldValueTooMany"});
        return causes;
    }
    name_table names(r.clusters.size());
    for (std::size_t i = 0; i < r.clusters.size(); ++i) {
        const candidate& c = r.clusters[i];
        check_name(causes, names, at("clusters", i, "name"), c.name);
        check_count(causes, at("clusters", i, "weight"), c.weight,
                    std::numeric_limits<std::int64_t>::max());
        check_count(causes, at("clusters", i, "available"), c.available,
                    std::numeric_limits<std::int64_t>::max());
        check_count(causes, at("clusters", i, "previous"), c.previous, max_replicas);
    }
    if (r.previous) {
        if (r.previous->size() > max_clusters) {
            causes.push_back({"previous",
                              "must have at most " + std::to_string(max_clusters) + " items",
                              "FieldValueTooMany"});
            return causes;
        }
        name_table previous_names(r.previous->size());
        for (std::size_t i = 0; i < r.previous->size(); ++i) {
            const target_cluster& t = (*r.previous)[i];
            check_name(causes, previous_names, at("previous", i, "name"), t.name);
            check_count(causes, at("previous", i, "replicas"), t.replicas, max_replicas);
        }
    }
    return causes;
}

/// Whether Karmada could have seen this request: every count fits in int32.
bool fits_int32(const division_request& r) {
    if (r.replicas > int32_max) {
        return false;
    }
    for (const candidate& c : r.clusters) {
        if (c.available > int32_max || c.previous > int32_max) {
            return false;
        }
    }
    if (r.previous) {
        for (const target_cluster& t : *r.previous) {
            if (t.replicas > int32_max) {
                return false;
            }
        }
    }
    return true;
}

using cluster_list = std::vector<target_cluster>;

/// Bytes [from, from+8) of `name` as a big-endian integer, zero-padded: integer order is the
/// byte order of that slice.
std::uint64_t prefix_key(std::string_view name, std::size_t from) {
    std::array<unsigned char, 8> bytes{};
    if (from < name.size()) {
        std::memcpy(bytes.data(), name.data() + from, std::min<std::size_t>(8, name.size() - from));
    }
    std::uint64_t key = 0;
    std::memcpy(&key, bytes.data(), sizeof key);
    if constexpr (std::endian::native == std::endian::little) {
        key = __builtin_bswap64(key);
    }
    return key;
}

/// Webster over a weight list; the result lists every party, name ascending, zeros included
/// (AllocateWebsterSeats sorts its parties by name).
cluster_list webster_by_name(std::int64_t seats, const cluster_list& weights,
                             std::string_view uid) {
    std::vector<std::string> names;
    std::vector<std::int64_t> votes;
    names.reserve(weights.size());
    votes.reserve(weights.size());
    for (const target_cluster& w : weights) {
        names.push_back(w.name);
        votes.push_back(w.replicas);
    }
    const std::vector<std::int64_t> seats_of = webster(seats, names, votes, uid);
    // Sort by name on two big-endian 8-byte prefix keys, falling back to a full comparison
    // only when the first 16 bytes agree: byte order, as Go compares strings.
    struct keyed_name {
        std::uint64_t k0;
        std::uint64_t k1;
        std::size_t index;
    };
    std::vector<keyed_name> order(weights.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = {prefix_key(names[i], 0), prefix_key(names[i], 8), i};
    }
    std::sort(order.begin(), order.end(), [&](const keyed_name& a, const keyed_name& b) {
        if (a.k0 != b.k0) {
            return a.k0 < b.k0;
        }
        if (a.k1 != b.k1) {
            return a.k1 < b.k1;
        }
        return names[a.index] < names[b.index];
    });
    cluster_list result;
    result.reserve(order.size());
    for (const keyed_name& k : order) {
        result.push_back({std::move(names[k.index]), seats_of[k.index]});
    }
    return result;
}

/// util.MergeTargetClusters: the new list with the old replicas added, then old clusters the
/// new list does not name. Go appends those in map order (random); we keep the old order.
cluster_list merge(const cluster_list& old_clusters, cluster_list new_clusters) {
    if (old_clusters.empty()) {
        return new_clusters;
    }
    if (new_clusters.empty()) {
        return old_clusters;
    }
    // Value: index into old_clusters, or -1 once the new list has taken it.
    name_table old_by_name(old_clusters.size());
    for (std::size_t i = 0; i < old_clusters.size(); ++i) {
        *old_by_name.emplace(old_clusters[i].name, 0).first = static_cast<std::int64_t>(i);
    }
    for (target_cluster& t : new_clusters) {
        if (std::int64_t* index = old_by_name.find(t.name); index != nullptr && *index >= 0) {
            t.replicas += old_clusters[static_cast<std::size_t>(*index)].replicas;
            *index = -1;
        }
    }
    for (std::size_t i = 0; i < old_clusters.size(); ++i) {
        if (std::int64_t* index = old_by_name.find(old_clusters[i].name);
            index != nullptr && *index == static_cast<std::int64_t>(i)) {
            new_clusters.push_back(old_clusters[i]);
            *index = -1;
        }
    }
    return new_clusters;
}

cluster_list remove_zero_replicas(cluster_list clusters) {
    std::erase_if(clusters, [](const target_cluster& t) { return t.replicas <= 0; });
    return clusters;
}

/// sort.Sort(TargetClustersList(list)): replicas descending, Go's unstable order for ties.
/// Only the aggregated strategy depends on this order (its prefix); Webster itself sees a map,
/// so for dynamic weight the list is left in candidate order.
cluster_list sort_by_replicas_desc(const cluster_list& list, strategy kind) {
    if (kind != strategy::aggregated) {
        return list;
    }
    std::vector<std::pair<std::int64_t, std::size_t>> keyed(list.size());
    for (std::size_t i = 0; i < keyed.size(); ++i) {
        keyed[i] = {list[i].replicas, i};
    }
    go_sort::sort(
        keyed.size(), [&](std::size_t i, std::size_t j) { return keyed[i].first > keyed[j].first; },
        [&](std::size_t i, std::size_t j) { std::swap(keyed[i], keyed[j]); });
    cluster_list sorted;
    sorted.reserve(list.size());
    for (const auto& [replicas, i] : keyed) {
        sorted.push_back(list[i]);
    }
    return sorted;
}

/// The inputs of one assignment, as Karmada's assignState.
struct assign_state {
    const division_request& request;
    bool int32_mode = true;
    cluster_list scheduled;  // previous result restricted to candidates
    std::int64_t assigned = 0;
    cluster_list available;  // the weight list
    std::int64_t target = 0;
};

using assign_fn = result<cluster_list> (*)(assign_state&);

result<cluster_list> assign_duplicated(assign_state& s) {
    cluster_list out;
    out.reserve(s.request.clusters.size());
    for (const candidate& c : s.request.clusters) {
        out.push_back({c.name, s.request.replicas});
    }
    return out;
}

result<cluster_list> assign_static_weight(assign_state& s) {
    cluster_list weights;
    for (const candidate& c : s.request.clusters) {
        if (c.weight > 0) {
            weights.push_back({c.name, c.weight});
        }
    }
    if (weights.empty()) {
        for (const candidate& c : s.request.clusters) {
            weights.push_back({c.name, 1});
        }
    }
    return webster_by_name(s.request.replicas, weights, s.request.uid);
}

/// dynamicDivideReplicas: capacity check, the aggregated prefix, Webster, merge.
result<cluster_list> dynamic_divide(assign_state& s) {
    int128 exact_sum = 0;
    for (const target_cluster& t : s.available) {
        exact_sum += t.replicas;
    }
    const int128 sum = s.int32_mode ? wrap_int32(exact_sum) : exact_sum;
    if (sum < s.target) {
        return unschedulable_error("Clusters available replicas " +
                                   std::to_string(static_cast<std::int64_t>(sum)) +
                                   " are not enough to schedule.");
    }
    if (s.request.kind == strategy::aggregated) {
        // resortAvailableClusters: clusters already holding replicas go first.
        name_table prior(s.scheduled.size());
        bool any_prior = false;
        for (const target_cluster& t : s.scheduled) {
            if (t.replicas > 0) {
                prior.emplace(t.name, 0);
                any_prior = true;
            }
        }
        if (any_prior) {
            std::stable_partition(s.available.begin(), s.available.end(),
                                  [&](const target_cluster& t) { return prior.contains(t.name); });
        }
        int128 running = 0;
        for (std::size_t i = 0; i < s.available.size(); ++i) {
            running += s.available[i].replicas;
            if (s.int32_mode) {
                running = wrap_int32(running);
            }
            if (running >= s.target) {
                s.available.resize(i + 1);
                break;
            }
        }
    }
    return merge(s.scheduled, webster_by_name(s.target, s.available, s.request.uid));
}

result<cluster_list> dynamic_scale_up(assign_state& s) {
    s.target = s.request.replicas - s.assigned;
    cluster_list available;
    available.reserve(s.request.clusters.size());
    for (const candidate& c : s.request.clusters) {
        available.push_back({c.name, c.available});
    }
    s.available = sort_by_replicas_desc(available, s.request.kind);
    return dynamic_divide(s);
}

result<cluster_list> dynamic_scale_down(assign_state& s) {
    s.target = s.request.replicas;
    s.available = sort_by_replicas_desc(s.scheduled, s.request.kind);
    s.scheduled.clear();
    return dynamic_divide(s);
}

result<cluster_list> dynamic_fresh(assign_state& s) {
    s.target = s.request.replicas;
    name_table held(s.scheduled.size());
    for (const target_cluster& t : s.scheduled) {
        held.emplace(t.name, t.replicas);
    }
    cluster_list available;
    available.reserve(s.request.clusters.size());
    for (const candidate& c : s.request.clusters) {
        const std::int64_t* previous = held.find(c.name);
        available.push_back({c.name, c.available + (previous == nullptr ? 0 : *previous)});
    }
    s.available = sort_by_replicas_desc(available, s.request.kind);
    s.scheduled.clear();
    return dynamic_divide(s);
}

/// assignByDynamicStrategy (dynamic weight and aggregated).
result<cluster_list> assign_dynamic(assign_state& s) {
    // buildScheduledClusters: the previous result, minus clusters no longer candidates.
    if (s.request.previous) {
        name_table candidates(s.request.clusters.size());
        for (const candidate& c : s.request.clusters) {
            candidates.emplace(c.name, 0);
        }
        for (const target_cluster& t : *s.request.previous) {
            if (candidates.contains(t.name)) {
                s.scheduled.push_back(t);
                s.assigned += t.replicas;
            }
        }
    } else {
        for (const candidate& c : s.request.clusters) {
            if (c.previous > 0) {
                s.scheduled.push_back({c.name, c.previous});
                s.assigned += c.previous;
            }
        }
    }
    if (s.request.mode == schedule_mode::fresh) {
        return dynamic_fresh(s);
    }
    if (s.assigned > s.request.replicas) {
        return dynamic_scale_down(s);
    }
    if (s.assigned < s.request.replicas) {
        return dynamic_scale_up(s);
    }
    return s.scheduled;
}

/// The strategy table (assignFuncMap).
constexpr std::array<assign_fn, 4> assign_table = {
    assign_duplicated,     // strategy::duplicated
    assign_static_weight,  // strategy::static_weight
    assign_dynamic,        // strategy::dynamic_weight
    assign_dynamic,        // strategy::aggregated
};

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return std::numeric_limits<std::int64_t>::max();
    }
    return sum;
}

}  // namespace

result<std::vector<target_cluster>> divide(const division_request& request) {
    if (auto causes = validate(request); !causes.empty()) {
        return invalid_error(std::move(causes));
    }
    if (request.clusters.empty()) {
        return unschedulable_error("no clusters available to schedule");
    }
    if (request.replicas == 0) {
        // Not a workload to divide: every candidate is listed with 0 replicas.
        cluster_list out;
        out.reserve(request.clusters.size());
        for (const candidate& c : request.clusters) {
            out.push_back({c.name, 0});
        }
        return out;
    }
    const auto kind = static_cast<std::size_t>(request.kind);
    if (kind >= assign_table.size()) {
        return invalid_error({{"strategy", "Unsupported value", "FieldValueNotSupported"}});
    }
    assign_state state{request, fits_int32(request), {}, 0, {}, 0};
    auto assigned = assign_table[kind](state);
    if (!assigned) {
        return assigned.error();
    }
    return remove_zero_replicas(std::move(*assigned));
}

result<std::vector<target_cluster>> divide_job_completions(
    std::int64_t completions, std::span<const target_cluster> parallelism, std::string_view uid) {
    std::vector<field_error> causes;
    check_count(causes, named("completions"), completions, max_replicas);
    if (parallelism.size() > max_clusters) {
        causes.push_back({"clusters",
                          "must have at most " + std::to_string(max_clusters) + " items",
                          "FieldValueTooMany"});
        return invalid_error(std::move(causes));
    }
    name_table names(parallelism.size());
    for (std::size_t i = 0; i < parallelism.size(); ++i) {
        check_name(causes, names, at("clusters", i, "name"), parallelism[i].name);
        check_count(causes, at("clusters", i, "replicas"), parallelism[i].replicas, max_replicas);
    }
    if (!causes.empty()) {
        return invalid_error(std::move(causes));
    }
    return webster_by_name(completions, cluster_list(parallelism.begin(), parallelism.end()), uid);
}

void sort_candidates(std::vector<candidate>& candidates) {
    std::sort(candidates.begin(), candidates.end(), [](const candidate& a, const candidate& b) {
        if (a.score != b.score) {
            return a.score > b.score;
        }
        const std::int64_t av = saturating_add(a.available, a.previous);
        const std::int64_t bv = saturating_add(b.available, b.previous);
        if (av != bv) {
            return av > bv;
        }
        return a.name < b.name;
    });
}

result<std::vector<candidate>> select_clusters_by_cluster(
    std::span<const candidate> candidates, std::int64_t min_groups, std::int64_t max_groups,
    std::optional<std::int64_t> need_replicas) {
    std::vector<field_error> causes;
    check_count(causes, named("minGroups"), min_groups, std::numeric_limits<std::int32_t>::max());
    check_count(causes, named("maxGroups"), max_groups, std::numeric_limits<std::int32_t>::max());
    if (!causes.empty()) {
        return invalid_error(std::move(causes));
    }
    const auto total = static_cast<std::int64_t>(candidates.size());
    if (total < min_groups) {
        return unschedulable_error(
            "the number of feasible clusters is less than spreadConstraint.MinGroups");
    }
    const std::int64_t need_count = std::min(max_groups, total);
    std::vector<candidate> picked(candidates.begin(), candidates.begin() + need_count);
    if (!need_replicas) {
        return picked;
    }
    std::vector<candidate> rest(candidates.begin() + need_count, candidates.end());
    auto worth = [](const candidate& c) { return saturating_add(c.available, c.previous); };
    auto enough = [&] {
        int128 sum = 0;
        for (const candidate& c : picked) {
            sum += worth(c);
        }
        return sum >= *need_replicas;
    };
    // Walk back from the last picked cluster, swapping in the unpicked one with the most
    // AvailableReplicas when it has strictly more (GetClusterWithMaxAvailableResource).
    for (auto id = static_cast<std::ptrdiff_t>(picked.size()) - 1; id >= 0 && !enough(); --id) {
        std::int64_t best_value = worth(picked[static_cast<std::size_t>(id)]);
        std::ptrdiff_t best = -1;
        for (std::size_t r = 0; r < rest.size(); ++r) {
            if (best_value < worth(rest[r])) {
                best = static_cast<std::ptrdiff_t>(r);
                best_value = worth(rest[r]);
            }
        }
        if (best >= 0) {
            std::swap(picked[static_cast<std::size_t>(id)], rest[static_cast<std::size_t>(best)]);
        }
    }
    if (!enough() || picked.empty()) {
        return unschedulable_error("no enough resource when selecting " +
                                   std::to_string(need_count) + " clusters");
    }
    return picked;
}

}  // namespace propagation::division
