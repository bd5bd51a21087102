#pragma once
/// Karmada-compatible replica division (karmada/SPEC.md §c): what `broker place` prints and
/// what fedsim's scheduler does. Pure functions over an explicit request.
///
/// Thread safety: pure functions.

#include "propagation/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace propagation::division {

enum class strategy { duplicated, static_weight, dynamic_weight, aggregated };
enum class schedule_mode { steady, fresh };

/// One candidate cluster, in Karmada's candidate order.
struct candidate {
    std::string name;
    std::int64_t weight = 0;     ///< resolved static weight; 0 = no staticWeightList rule matched
    std::int64_t available = 0;  ///< estimator's answer: more replicas this cluster can take
    std::int64_t previous = 0;   ///< replicas this workload has there now
    std::int64_t score = 0;      ///< scheduler score (ClusterLocality: 100 if already hosting)
};

struct target_cluster {
    std::string name;
    std::int64_t replicas = 0;
    friend bool operator==(const target_cluster&, const target_cluster&) = default;
};

struct division_request {
    strategy kind = strategy::static_weight;
    std::int64_t replicas = 0;
    std::string uid;  ///< resource template UID (tie-breaker); may be empty
    schedule_mode mode = schedule_mode::steady;
    std::vector<candidate> clusters;
    /// The whole previous assignment (may name clusters that are no longer candidates).
    /// Absent: built from the candidates' `previous` fields.
    std::optional<std::vector<target_cluster>> previous;
};

/// Input limits checked by `divide` (and by the offline tool before it): far beyond anything
/// Karmada accepts (its counts are int32), small enough that every sum fits in 64 bits.
inline constexpr std::int64_t max_replicas = 1'000'000'000'000;  ///< 10^12
inline constexpr std::size_t max_clusters = 100'000;
inline constexpr std::size_t max_name_bytes = 253;

/// Divides as Karmada's scheduler does (AssignReplicas then removeZeroReplicasCluster).
/// Returns the clusters that get replicas (for duplicated: every candidate), in Karmada's
/// output order:
///
/// | case                                   | order                                          |
/// |----------------------------------------|------------------------------------------------|
/// | replicas == 0 (any strategy)           | every candidate, candidate order, replicas 0   |
/// | duplicated                             | candidate order                                |
/// | static / dynamic / aggregated divided  | name ascending (Webster's result order), then  |
/// |                                        | previous clusters Webster did not see (aggr.)  |
/// | dynamic/aggregated steady, unchanged   | the previous assignment's order                |
///
/// Previous assignment: `request.previous` when present (clusters that are no longer
/// candidates are ignored, as Karmada does); otherwise every candidate with `previous > 0`, in
/// candidate order. When `request.previous` is present the candidates' `previous` fields are
/// not used.
///
/// Errors: `invalid` for unusable input (negative counts, duplicate names, more than the
/// limits above; causes carry field paths such as `clusters[2].available`); `unschedulable`
/// with Karmada's words: "no clusters available to schedule", "Clusters available replicas N
/// are not enough to schedule.".
result<std::vector<target_cluster>> divide(const division_request& request);

/// Karmada's Job completions split (`divideReplicasByJobCompletions`): Webster over
/// `completions` with each cluster's parallelism (its share of replicas) as the weight and the
/// UID tie-break. Returns every given cluster, name ascending, zeros included. Errors:
/// `invalid` for negative counts, duplicate names or more than the limits.
result<std::vector<target_cluster>> divide_job_completions(
    std::int64_t completions, std::span<const target_cluster> parallelism, std::string_view uid);

/// Sorts candidates into Karmada's candidate order (`sortClusters`): score descending, then
/// AvailableReplicas (`available + previous`) descending, then name ascending.
void sort_candidates(std::vector<candidate>& candidates);

/// Karmada's spread selection for a `spreadByField: cluster` constraint
/// (`selectBestClustersByCluster`), over candidates already in candidate order. Takes the
/// first min(n, max_groups); when `need_replicas` is set (Divided scheduling) and their
/// AvailableReplicas (`available + previous`) sum is short, walks back from the last picked
/// one, swapping it for the unpicked cluster with the largest strictly larger
/// AvailableReplicas. Errors (`unschedulable`): "the number of feasible clusters is less than
/// spreadConstraint.MinGroups", "no enough resource when selecting N clusters".
result<std::vector<candidate>> select_clusters_by_cluster(
    std::span<const candidate> candidates, std::int64_t min_groups, std::int64_t max_groups,
    std::optional<std::int64_t> need_replicas);

/// Webster (Sainte-Laguë) apportionment with Karmada's tie-breaker (SPEC.md §c.1): `seats`
/// seats over parties with `votes`, returning each party's seats in the input order.
/// Cost O(n log n) in the number of parties, independent of `seats`; identical results to
/// handing out seats one at a time (`webster_seat_by_seat`, the reference and baseline).
///
/// Quotients are compared exactly as Go computes them: float64(votes) / float64(2·seats+1).
/// Ties: fewer seats first, then name ascending when fnv1a32(uid) is even or uid is empty,
/// descending when odd; equal names fall back to input order. Parties with votes <= 0 get
/// nothing; when no party has positive votes (or seats <= 0) everyone gets 0, as Karmada's
/// dispenser does for an all-zero weight list. `names` and `votes` must have equal sizes
/// (extra entries of the longer one are ignored). Never throws for any seats value; callers
/// bound `seats` (see max_replicas) since the result can hold values up to `seats`.
std::vector<std::int64_t> webster(std::int64_t seats, std::span<const std::string> names,
                                  std::span<const std::int64_t> votes, std::string_view uid);

/// The seat-at-a-time method exactly as Karmada runs it: O(seats · log n). Reference only.
std::vector<std::int64_t> webster_seat_by_seat(std::int64_t seats,
                                               std::span<const std::string> names,
                                               std::span<const std::int64_t> votes,
                                               std::string_view uid);

/// FNV-1a 32-bit hash of `uid`; Karmada orders tied names ascending when it is even.
std::uint32_t fnv1a32(std::string_view uid);

}  // namespace propagation::division
