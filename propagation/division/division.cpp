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
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>
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

std::string path(std::string_view list, std::size_t index, std::string_view field) {
    std::string p(list);
    p += '[';
    p += std::to_string(index);
    p += "].";
    p += field;
    return p;
}

void check_count(std::vector<field_error>& causes, std::string field, std::int64_t value,
                 std::int64_t max) {
    if (value < 0) {
        causes.push_back({std::move(field), "must be greater than or equal to 0"});
    } else if (value > max) {
        causes.push_back({std::move(field), "must be less than or equal to " + std::to_string(max)});
    }
}

void check_name(std::vector<field_error>& causes, std::unordered_set<std::string_view>& seen,
                std::string field, const std::string& name) {
    if (name.empty()) {
        causes.push_back({std::move(field), "Required value", "FieldValueRequired"});
    } else if (name.size() > max_name_bytes) {
        causes.push_back({std::move(field),
                          "must be no more than " + std::to_string(max_name_bytes) + " bytes",
                          "FieldValueTooLong"});
    } else if (!seen.insert(name).second) {
        causes.push_back({std::move(field), "Duplicate value: \"" + name + "\"",
                          "FieldValueDuplicate"});
    }
}

std::vector<field_error> validate(const division_request& r) {
    std::vector<field_error> causes;
    check_count(causes, "replicas", r.replicas, max_replicas);
    if (r.clusters.size() > max_clusters) {
        causes.push_back({"clusters", "must have at most " + std::to_string(max_clusters) +
                                          " items", "FieldValueTooMany"});
        return causes;
    }
    std::unordered_set<std::string_view> names;
    for (std::size_t i = 0; i < r.clusters.size(); ++i) {
        const candidate& c = r.clusters[i];
        check_name(causes, names, path("clusters", i, "name"), c.name);
        check_count(causes, path("clusters", i, "weight"), c.weight,
                    std::numeric_limits<std::int64_t>::max());
        check_count(causes, path("clusters", i, "available"), c.available,
                    std::numeric_limits<std::int64_t>::max());
        check_count(causes, path("clusters", i, "previous"), c.previous, max_replicas);
    }
    if (r.previous) {
        if (r.previous->size() > max_clusters) {
            causes.push_back({"previous", "must have at most " + std::to_string(max_clusters) +
                                              " items", "FieldValueTooMany"});
            return causes;
        }
        std::unordered_set<std::string_view> previous_names;
        for (std::size_t i = 0; i < r.previous->size(); ++i) {
            const target_cluster& t = (*r.previous)[i];
            check_name(causes, previous_names, path("previous", i, "name"), t.name);
            check_count(causes, path("previous", i, "replicas"), t.replicas, max_replicas);
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

/// Webster over a weight list; the result lists every party, name ascending, zeros included
/// (AllocateWebsterSeats sorts its parties by name).
cluster_list webster_by_name(std::int64_t seats, const cluster_list& weights, std::string_view uid) {
    std::vector<std::string> names;
    std::vector<std::int64_t> votes;
    names.reserve(weights.size());
    votes.reserve(weights.size());
    for (const target_cluster& w : weights) {
        names.push_back(w.name);
        votes.push_back(w.replicas);
    }
    const std::vector<std::int64_t> seats_of = webster(seats, names, votes, uid);
    std::vector<std::size_t> order(weights.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
    cluster_list result;
    result.reserve(order.size());
    for (const std::size_t i : order) {
        result.push_back({std::move(names[i]), seats_of[i]});
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
    std::unordered_map<std::string_view, std::int64_t> old_by_name;
    for (const target_cluster& t : old_clusters) {
        old_by_name[t.name] = t.replicas;
    }
    for (target_cluster& t : new_clusters) {
        if (auto it = old_by_name.find(t.name); it != old_by_name.end()) {
            t.replicas += it->second;
            old_by_name.erase(it);
        }
    }
    for (const target_cluster& t : old_clusters) {
        if (old_by_name.erase(t.name) > 0) {
            new_clusters.push_back(t);
        }
    }
    return new_clusters;
}

cluster_list remove_zero_replicas(cluster_list clusters) {
    std::erase_if(clusters, [](const target_cluster& t) { return t.replicas <= 0; });
    return clusters;
}

/// sort.Sort(TargetClustersList(list)): replicas descending, Go's unstable order for ties.
cluster_list sort_by_replicas_desc(const cluster_list& list) {
    std::vector<std::size_t> index(list.size());
    for (std::size_t i = 0; i < index.size(); ++i) {
        index[i] = i;
    }
    go_sort::sort(
        index.size(),
        [&](std::size_t i, std::size_t j) { return list[index[i]].replicas > list[index[j]].replicas; },
        [&](std::size_t i, std::size_t j) { std::swap(index[i], index[j]); });
    cluster_list sorted;
    sorted.reserve(list.size());
    for (const std::size_t i : index) {
        sorted.push_back(list[i]);
    }
    return sorted;
}

/// The inputs of one assignment, as Karmada's assignState.
struct assign_state {
    const division_request& request;
    bool int32_mode = true;
    cluster_list scheduled;   // previous result restricted to candidates
    std::int64_t assigned = 0;
    cluster_list available;   // the weight list
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
        std::unordered_set<std::string_view> prior;
        for (const target_cluster& t : s.scheduled) {
            if (t.replicas > 0) {
                prior.insert(t.name);
            }
        }
        if (!prior.empty()) {
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
    s.available = sort_by_replicas_desc(available);
    return dynamic_divide(s);
}

result<cluster_list> dynamic_scale_down(assign_state& s) {
    s.target = s.request.replicas;
    s.available = sort_by_replicas_desc(s.scheduled);
    s.scheduled.clear();
    return dynamic_divide(s);
}

result<cluster_list> dynamic_fresh(assign_state& s) {
    s.target = s.request.replicas;
    std::unordered_map<std::string_view, std::int64_t> held;
    for (const target_cluster& t : s.scheduled) {
        held.emplace(t.name, t.replicas);
    }
    cluster_list available;
    available.reserve(s.request.clusters.size());
    for (const candidate& c : s.request.clusters) {
        const auto it = held.find(c.name);
        available.push_back({c.name, c.available + (it == held.end() ? 0 : it->second)});
    }
    s.available = sort_by_replicas_desc(available);
    s.scheduled.clear();
    return dynamic_divide(s);
}

/// assignByDynamicStrategy (dynamic weight and aggregated).
result<cluster_list> assign_dynamic(assign_state& s) {
    // buildScheduledClusters: the previous result, minus clusters no longer candidates.
    std::unordered_set<std::string_view> candidates;
    for (const candidate& c : s.request.clusters) {
        candidates.insert(c.name);
    }
    if (s.request.previous) {
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
    check_count(causes, "completions", completions, max_replicas);
    if (parallelism.size() > max_clusters) {
        causes.push_back({"clusters", "must have at most " + std::to_string(max_clusters) +
                                          " items", "FieldValueTooMany"});
        return invalid_error(std::move(causes));
    }
    std::unordered_set<std::string_view> names;
    for (std::size_t i = 0; i < parallelism.size(); ++i) {
        check_name(causes, names, path("clusters", i, "name"), parallelism[i].name);
        check_count(causes, path("clusters", i, "replicas"), parallelism[i].replicas,
                    max_replicas);
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

result<std::vector<candidate>> select_clusters_by_cluster(std::span<const candidate> candidates,
                                                          std::int64_t min_groups,
                                                          std::int64_t max_groups,
                                                          std::optional<std::int64_t> need_replicas) {
    std::vector<field_error> causes;
    check_count(causes, "minGroups", min_groups, std::numeric_limits<std::int32_t>::max());
    check_count(causes, "maxGroups", max_groups, std::numeric_limits<std::int32_t>::max());
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
