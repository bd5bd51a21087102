#pragma once
/// The member clusters, kept current from Karmada's Cluster objects
/// (`cluster.karmada.io/v1alpha1`, cluster-scoped) through a reflector (list + watch).
///
/// Each Cluster is reduced to what the broker's routes and placement read often (name,
/// Ready, Kubernetes version, labels, provider/region/zones, taints) plus the raw object,
/// which the capacity estimator (propagation/division/general_estimator.hpp) reads for
/// `spec.resourceModels` and `status.resourceSummary`. Readers on any thread take an
/// immutable snapshot, a `std::shared_ptr<const member_list>` swapped as a whole on every
/// change, so a request sees one consistent view without locks beyond the pointer copy.
///
/// Thread safety: all member functions may be called from any thread. Listeners run on the
/// client's strand, must not block, and receive the new snapshot.

#include "propagation/error.hpp"
#include "proxy/kube_client.hpp"
#include "proxy/reflector.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proxy {

/// Path of Karmada's Cluster collection.
inline constexpr std::string_view clusters_path = "/apis/cluster.karmada.io/v1alpha1/clusters";

struct cluster_taint {
    std::string key;
    std::string value;
    std::string effect;  ///< NoSchedule, PreferNoSchedule, NoExecute

    friend bool operator==(const cluster_taint&, const cluster_taint&) = default;
};

struct member_cluster {
    std::string name;
    bool ready = false;                 ///< condition Ready is "True"
    std::string ready_status = "Unknown";  ///< "True", "False" or "Unknown" (also when absent)
    std::string ready_reason;
    std::string ready_message;
    std::string kubernetes_version;     ///< status.kubernetesVersion, e.g. "v1.33.2"
    std::map<std::string, std::string> labels;
    std::string provider;
    std::string region;
    std::vector<std::string> zones;     ///< spec.zones, or [spec.zone] on older objects
    std::vector<cluster_taint> taints;
    std::string sync_mode;              ///< Push or Pull
    std::string api_endpoint;
    std::string resource_version;
    std::shared_ptr<const nlohmann::json> object;  ///< the Cluster as served
};

using member_list = std::vector<member_cluster>;  ///< sorted by name

/// Reduces one Cluster object. Errors (with field paths): not an object, missing or empty
/// metadata.name, and members of the wrong JSON type (e.g. `spec.taints` not an array);
/// unknown fields are ignored (they belong to newer Karmada versions).
propagation::result<member_cluster> parse_member_cluster(
    std::shared_ptr<const nlohmann::json> object);

struct member_registry_options {
    reflector_options watch;  ///< `path` defaults to clusters_path when empty
};

struct member_registry_stats {
    std::uint64_t updates = 0;         ///< snapshots published
    std::uint64_t invalid_clusters = 0;  ///< Cluster objects skipped as unusable (last snapshot)
    reflector_stats reflector;
};

class member_registry {
public:
    using listener = std::function<void(const std::shared_ptr<const member_list>&)>;

    /// Watches Cluster objects through `client` (after start()).
    explicit member_registry(const kube_client& client, member_registry_options options = {});
    /// A registry with a fixed set of Cluster objects and no watch (tests, offline tools);
    /// invalid objects are skipped and counted.
    explicit member_registry(const std::vector<nlohmann::json>& clusters);
    ~member_registry();
    member_registry(const member_registry&) = delete;
    member_registry& operator=(const member_registry&) = delete;

    void start();
    void stop();

    /// Never null; empty before the first list.
    std::shared_ptr<const member_list> snapshot() const;
    std::optional<member_cluster> find(std::string_view name) const;
    /// True once the first list has been applied (always true for a fixed registry).
    bool synced() const;

    /// Registers a change listener (called on the client's strand after each new snapshot).
    /// Register before start() to see the first snapshot.
    void subscribe(listener on_change);

    member_registry_stats stats() const;

    struct state;

private:
    std::shared_ptr<state> state_;
    std::unique_ptr<reflector> reflector_;
};

}  // namespace proxy
