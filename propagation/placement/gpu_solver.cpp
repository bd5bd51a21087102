#include "propagation/placement/gpu_solver.hpp"

#include "propagation/division/division.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <set>

namespace propagation::placement {
namespace {

using form::placement_strategy;

std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
    if (a == 0 || b == 0) {
        return 0;
    }
    if (a > max_weight_product / b) {
        return max_weight_product;
    }
    return std::min(a * b, max_weight_product);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

/// A candidate that passed the filters, with its effective weight and capacity.
struct eligible {
    const cluster_state* cluster;
    std::int64_t weight;    // admin × form weight
    std::int64_t capacity;  // A (clamped to the job's replicas when unknown)
};

std::string shortfall_reason(const cluster_state& c, std::int64_t replicas, std::int64_t gpus_each) {
    std::string reason = "fits " + std::to_string(c.fit) + " of " + std::to_string(replicas) +
                         " replicas";
    if (gpus_each > 0 && c.free_gpus >= 0) {
        reason += ": " + std::to_string(c.free_gpus) + " GPUs free";
        if (c.largest_node_gpus >= 0) {
            reason += ", largest node has " + std::to_string(c.largest_node_gpus);
        }
    }
    return reason;
}

/// Webster over `votes`, never giving a party more than its cap: a party whose share exceeds its
/// cap is fixed at the cap and the remaining seats are divided again among the others. Each
/// round fixes at least one party, so at most n rounds.
std::vector<std::int64_t> capped_webster(std::int64_t seats, const std::vector<std::string>& names,
                                         const std::vector<std::int64_t>& votes,
                                         const std::vector<std::int64_t>& caps,
                                         const std::string& uid) {
    const std::size_t n = names.size();
    std::vector<std::int64_t> result(n, 0);
    std::vector<bool> fixed(n, false);
    std::int64_t remaining = seats;
    while (remaining > 0) {
        std::vector<std::string> round_names;
        std::vector<std::int64_t> round_votes;
        std::vector<std::size_t> index;
        for (std::size_t i = 0; i < n; ++i) {
            if (!fixed[i] && votes[i] > 0) {
                round_names.push_back(names[i]);
                round_votes.push_back(votes[i]);
                index.push_back(i);
            }
        }
        if (index.empty()) {
            break;
        }
        auto shares = division::webster(remaining, round_names, round_votes, uid);
        bool capped = false;
        for (std::size_t k = 0; k < index.size(); ++k) {
            const auto i = index[k];
            if (shares[k] > caps[i]) {
                result[i] = caps[i];
                fixed[i] = true;
                remaining -= caps[i];
                capped = true;
            }
        }
        if (!capped) {
            for (std::size_t k = 0; k < index.size(); ++k) {
                result[index[k]] = shares[k];
            }
            remaining = 0;
        }
    }
    return result;
}

}  // namespace

bool gpu_model_matches(std::string_view cluster_model, std::string_view wanted) {
    if (wanted.empty()) {
        return true;
    }
    const auto have = lower(cluster_model);
    const auto want = lower(wanted);
    if (have == want) {
        return true;
    }
    std::size_t start = 0;
    while (start <= have.size()) {
        auto end = have.find_first_of("-_ ", start);
        if (end == std::string::npos) {
            end = have.size();
        }
        if (have.compare(start, end - start, want) == 0 && end - start == want.size()) {
            return true;
        }
        start = end + 1;
    }
    return false;
}

result<placement> solve(const solver_input& input) {
    const auto& f = *input.form;
    const std::int64_t replicas = f.replicas;
    const std::int64_t gpus_each = f.gpu_request;
    placement out;
    out.strategy = f.effective_strategy();

    std::set<std::string> targets(f.target_clusters.begin(), f.target_clusters.end());
    std::map<std::string, std::string> rejected;  // name → reason, sorted by name
    std::vector<eligible> candidates;
    std::set<std::string> known;
    for (const auto& c : input.clusters) {
        known.insert(c.name);
        if (!targets.empty() && targets.count(c.name) == 0) {
            rejected[c.name] = "not in targetClusters";
            continue;
        }
        if (!c.ready) {
            rejected[c.name] = c.not_ready_reason.empty() ? "NotReady" : c.not_ready_reason;
            continue;
        }
        if (!f.gpu_model.empty() && !gpu_model_matches(c.gpu_model, f.gpu_model)) {
            rejected[c.name] = "gpuModel " + f.gpu_model + " does not match " +
                               (c.gpu_model.empty() ? std::string("(no GPU model label)")
                                                    : c.gpu_model);
            continue;
        }
        if (!c.blocking_taints.empty()) {
            rejected[c.name] = "untolerated taint " + c.blocking_taints.front();
            continue;
        }
        std::int64_t form_weight = 1;
        if (auto it = f.placement.cluster_weights.find(c.name);
            it != f.placement.cluster_weights.end()) {
            form_weight = it->second;
        }
        const auto weight = saturating_mul(std::max<std::int64_t>(c.admin_weight, 0), form_weight);
        if (weight == 0) {
            rejected[c.name] = "weight 0";
            continue;
        }
        const auto capacity = c.fit_known ? std::max<std::int64_t>(c.fit, 0) : replicas;
        if (capacity == 0) {
            rejected[c.name] = shortfall_reason(c, replicas, gpus_each);
            continue;
        }
        candidates.push_back({&c, weight, capacity});
    }
    for (const auto& t : targets) {
        if (known.count(t) == 0) {
            rejected[t] = "not a member cluster";
        }
    }

    auto fail = [&](std::string message) -> result<placement> {
        std::vector<field_error> causes;
        for (const auto& [name, reason] : rejected) {
            causes.push_back({name, reason, "Unschedulable"});
        }
        return unschedulable_error(std::move(message), std::move(causes));
    };
    if (candidates.empty()) {
        return fail("no member cluster can run this job");
    }

    std::map<std::string, std::int64_t> chosen;
    switch (out.strategy) {
        case placement_strategy::spread: {
            std::int64_t total = 0;
            std::vector<std::string> names;
            std::vector<std::int64_t> votes, caps;
            for (const auto& e : candidates) {
                total += e.capacity;
                names.push_back(e.cluster->name);
                votes.push_back(saturating_mul(e.weight, e.capacity));
                caps.push_back(e.capacity);
            }
            if (total < replicas) {
                for (const auto& e : candidates) {
                    rejected[e.cluster->name] = shortfall_reason(*e.cluster, replicas, gpus_each);
                }
                return fail("only " + std::to_string(total) + " of " + std::to_string(replicas) +
                            " replicas fit across all candidate clusters");
            }
            auto shares = capped_webster(replicas, names, votes, caps, input.uid);
            for (std::size_t i = 0; i < names.size(); ++i) {
                if (shares[i] > 0) {
                    chosen[names[i]] = shares[i];
                } else {
                    rejected[names[i]] = "received no replicas in the weighted split";
                }
            }
            break;
        }
        case placement_strategy::pack: {
            auto order = candidates;
            std::stable_sort(order.begin(), order.end(), [](const eligible& a, const eligible& b) {
                const auto wa = saturating_mul(a.weight, a.capacity);
                const auto wb = saturating_mul(b.weight, b.capacity);
                if (wa != wb) {
                    return wa > wb;
                }
                return a.cluster->name < b.cluster->name;
            });
            std::int64_t remaining = replicas;
            for (const auto& e : order) {
                if (remaining == 0) {
                    rejected[e.cluster->name] = "not needed: the job fits on fewer clusters";
                    continue;
                }
                const auto take = std::min(remaining, e.capacity);
                chosen[e.cluster->name] = take;
                remaining -= take;
            }
            if (remaining > 0) {
                for (const auto& e : candidates) {
                    rejected[e.cluster->name] = shortfall_reason(*e.cluster, replicas, gpus_each);
                }
                return fail("only " + std::to_string(replicas - remaining) + " of " +
                            std::to_string(replicas) + " replicas fit across all candidate clusters");
            }
            break;
        }
        case placement_strategy::single: {
            const eligible* best = nullptr;
            auto left = [&](const eligible& e) {
                return e.cluster->free_gpus >= 0 ? e.cluster->free_gpus - replicas * gpus_each
                                                 : std::numeric_limits<std::int64_t>::max();
            };
            for (const auto& e : candidates) {
                if (e.capacity < replicas) {
                    rejected[e.cluster->name] = shortfall_reason(*e.cluster, replicas, gpus_each);
                    continue;
                }
                if (best == nullptr || e.weight > best->weight ||
                    (e.weight == best->weight &&
                     (left(e) < left(*best) ||
                      (left(e) == left(*best) && e.cluster->name < best->cluster->name)))) {
                    best = &e;
                }
            }
            if (best == nullptr) {
                return fail("no single cluster fits all " + std::to_string(replicas) + " replicas");
            }
            for (const auto& e : candidates) {
                if (&e != best && e.capacity >= replicas) {
                    rejected[e.cluster->name] =
                        e.weight < best->weight ? "lower weight than " + best->cluster->name
                                                : best->cluster->name + " fits better";
                }
            }
            chosen[best->cluster->name] = replicas;
            break;
        }
        case placement_strategy::duplicate: {
            for (const auto& e : candidates) {
                if (e.capacity < replicas) {
                    rejected[e.cluster->name] = shortfall_reason(*e.cluster, replicas, gpus_each);
                } else {
                    chosen[e.cluster->name] = replicas;
                }
            }
            if (chosen.empty()) {
                return fail("no cluster fits all " + std::to_string(replicas) + " replicas");
            }
            break;
        }
    }

    for (const auto& [name, count] : chosen) {
        out.clusters.push_back({name, count, count * gpus_each});
        rejected.erase(name);
    }
    for (auto& [name, reason] : rejected) {
        out.rejected.push_back({name, std::move(reason)});
    }
    return out;
}

}  // namespace propagation::placement
