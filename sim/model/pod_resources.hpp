#pragma once
/// Resource amounts of pods and nodes as integers (CPU in millicores, everything else in whole
/// units), so the simulated scheduler bin-packs with integer arithmetic and never re-parses
/// quantities. Pod requests follow Kubernetes' effective-request rule: the sum over containers,
/// or the largest init container if that is larger, plus overhead; limits stand in for missing
/// requests.
///
/// Thread safety: plain values and pure functions.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace fedsim::model {

struct resource_amounts {
    std::int64_t cpu_milli = 0;
    std::int64_t memory = 0;
    std::map<std::string, std::int64_t, std::less<>>
        scalar;  ///< nvidia.com/gpu, ephemeral-storage...

    void add(const resource_amounts& o, int sign = 1);
    /// True when `this` fits in `free` (every requested resource is available).
    bool fits_in(const resource_amounts& free) const;
    /// Names of resources `this` does not fit in `free`, in a stable order ("cpu", "memory", ...).
    std::string first_shortage(const resource_amounts& free) const;
    /// As a ResourceList JSON: {"cpu": "1500m", "memory": "4Gi"-ish canonical, ...}; `pods` added
    /// when `pods >= 0`.
    nlohmann::json to_json(std::int64_t pods = -1) const;
};

/// Parses a quantity; CPU-like resources (`cpu`) in millicores, others rounded up to units.
/// Unparsable → 0.
std::int64_t parse_amount(std::string_view resource, const nlohmann::json& value);

/// A ResourceList (`{"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": 1}`) as amounts.
resource_amounts parse_resource_list(const nlohmann::json& list);

/// The effective requests of a pod spec (`spec` of a Pod or of a pod template).
resource_amounts pod_requests(const nlohmann::json& pod_spec);

/// Canonical quantity text for an amount (`cpu` millicores → "1500m" / "2"; bytes → "4Gi" when
/// exact, else the plain number).
std::string format_amount(std::string_view resource, std::int64_t amount);

}  // namespace fedsim::model
