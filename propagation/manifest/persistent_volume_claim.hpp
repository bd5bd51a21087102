#pragma once
/// v1 PersistentVolumeClaim `<name>-data` for a form with storageSize (mounted as volume
/// `data` in every pod of the job, see pod_template.hpp).
///
/// Access mode: ReadWriteOnce when the job has one pod (a single-replica job, a notebook),
/// ReadWriteMany otherwise, since pods on several nodes mount it at once (the storage class
/// must support RWX then). storageClassName is set when the form names one, else the cluster
/// default applies. Karmada propagates the PVC to every cluster of the placement (it selects
/// it too); each cluster gets its own volume — data is not shared across clusters.
///
/// Thread safety: pure function.

#include "propagation/manifest/build_input.hpp"

#include <nlohmann/json.hpp>

namespace propagation::manifest {

/// Precondition: `in.form.storage_size` is set.
nlohmann::json build_persistent_volume_claim(const build_input& in);

}  // namespace propagation::manifest
