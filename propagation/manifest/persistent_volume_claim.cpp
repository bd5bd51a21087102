#include "propagation/manifest/persistent_volume_claim.hpp"

#include "propagation/manifest/naming.hpp"
#include "propagation/manifest/pod_template.hpp"

namespace propagation::manifest {

nlohmann::json build_persistent_volume_claim(const build_input& in) {
    const auto& f = in.form;
    // A RayJob always has a head pod next to its workers.
    const bool one_pod =
        f.type == form::job_type::notebook || (f.replicas <= 1 && f.type != form::job_type::ray);
    nlohmann::json spec = nlohmann::json::object();
    spec["accessModes"] = nlohmann::json::array({one_pod ? "ReadWriteOnce" : "ReadWriteMany"});
    spec["resources"] = {{"requests", {{"storage", f.storage_size->to_string()}}}};
    if (!f.storage_class.empty()) {
        spec["storageClassName"] = f.storage_class;
    }
    nlohmann::json pvc = nlohmann::json::object();
    pvc["apiVersion"] = "v1";
    pvc["kind"] = "PersistentVolumeClaim";
    pvc["metadata"] = object_metadata(in, pvc_name(f.name), false);
    pvc["spec"] = std::move(spec);
    return pvc;
}

}  // namespace propagation::manifest
