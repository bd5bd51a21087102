#pragma once
/// The label, annotation and object names the broker puts on what it creates. Deterministic:
/// the same form name always yields the same names (creation is idempotent, CONTRACTS.md §7).
///
/// Thread safety: pure functions and constants.

#include <string>
#include <string_view>

namespace propagation::manifest {

/// On every object and pod template the broker creates; the broker finds, watches and deletes
/// a job's objects by it.
inline constexpr std::string_view job_id_label = "broker.gpufed.io/job-id";
/// On the workload object when the form's priority is non-zero (see build_input.hpp).
inline constexpr std::string_view priority_annotation = "broker.gpufed.io/priority";

/// Container and volume names the builders use.
inline constexpr std::string_view data_volume_name = "data";

/// `<name>-data`: the PVC created when the form sets storageSize.
inline std::string pvc_name(std::string_view form_name) {
    std::string s(form_name);
    s += "-data";
    return s;
}

/// `<name>-propagation`: the job's PropagationPolicy (the seed's naming).
inline std::string policy_name(std::string_view form_name) {
    std::string s(form_name);
    s += "-propagation";
    return s;
}

}  // namespace propagation::manifest
