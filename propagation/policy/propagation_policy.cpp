#include "propagation/policy/propagation_policy.hpp"

#include "propagation/manifest/manifest_builder.hpp"
#include "propagation/manifest/naming.hpp"

#include <string>

namespace propagation::policy {

namespace {

using nlohmann::json;

// A string member of an object, or null when absent or not a string.
const std::string* string_at(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

result<json> selectors(const std::vector<json>& objects) {
    if (objects.empty()) {
        return invalid_error({{"objects", "no object to propagate", "FieldValueRequired"}});
    }
    json out = json::array();
    for (std::size_t i = 0; i < objects.size(); ++i) {
        const auto& o = objects[i];
        const std::string* api_version = o.is_object() ? string_at(o, "apiVersion") : nullptr;
        const std::string* kind = o.is_object() ? string_at(o, "kind") : nullptr;
        const std::string* name = nullptr;
        if (o.is_object()) {
            if (auto m = o.find("metadata"); m != o.end() && m->is_object()) {
                name = string_at(*m, "name");
            }
        }
        if (api_version == nullptr || kind == nullptr || name == nullptr) {
            return invalid_error({{"objects[" + std::to_string(i) + "]",
                                   "needs apiVersion, kind and metadata.name"}});
        }
        json s = json::object();
        s["apiVersion"] = *api_version;
        s["kind"] = *kind;
        s["name"] = *name;
        out.push_back(std::move(s));
    }
    return result<json>(boost::system::in_place_value, std::move(out));
}

json cluster_names(const placement::placement& p) {
    json names = json::array();
    for (const auto& c : p.clusters) {
        names.push_back(c.name);
    }
    return names;
}

}  // namespace

result<json> build_propagation_policy(const policy_input& in) {
    if (auto r = manifest::check_placement(in.form, in.placement); !r) {
        return r.error();
    }
    auto sel = selectors(in.objects);
    if (!sel) {
        return sel.error();
    }

    json placement = json::object();
    placement["clusterAffinity"] = {{"clusterNames", cluster_names(in.placement)}};
    if (in.placement.strategy == form::placement_strategy::duplicate) {
        placement["replicaScheduling"] = {{"replicaSchedulingType", "Duplicated"}};
    } else if (in.placement.clusters.size() > 1) {
        json weights = json::array();
        for (const auto& c : in.placement.clusters) {
            json w = json::object();
            w["targetCluster"] = {{"clusterNames", json::array({c.name})}};
            w["weight"] = c.replicas;
            weights.push_back(std::move(w));
        }
        json scheduling = json::object();
        scheduling["replicaSchedulingType"] = "Divided";
        scheduling["replicaDivisionPreference"] = "Weighted";
        scheduling["weightPreference"] = {{"staticWeightList", std::move(weights)}};
        placement["replicaScheduling"] = std::move(scheduling);
    }

    json spec = json::object();
    spec["resourceSelectors"] = std::move(*sel);
    spec["placement"] = std::move(placement);

    json metadata = json::object();
    metadata["name"] = manifest::policy_name(in.form.name);
    metadata["namespace"] = in.form.namespace_;
    metadata["labels"] = {{std::string(manifest::job_id_label), in.job_id}};

    json policy = json::object();
    policy["apiVersion"] = "policy.karmada.io/v1alpha1";
    policy["kind"] = "PropagationPolicy";
    policy["metadata"] = std::move(metadata);
    policy["spec"] = std::move(spec);
    return result<json>(boost::system::in_place_value, std::move(policy));
}

}  // namespace propagation::policy
