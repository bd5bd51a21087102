#include "sim/model/patch.hpp"

#include <algorithm>
#include <string_view>

namespace fedsim::model {

void apply_merge_patch(nlohmann::json& target, const nlohmann::json& patch) {
    if (!patch.is_object()) {
        target = patch;
        return;
    }
    if (!target.is_object())
        target = nlohmann::json::object();
    for (const auto& [key, value] : patch.items()) {
        if (value.is_null()) {
            target.erase(key);
        } else {
            apply_merge_patch(target[key], value);
        }
    }
}

namespace {

/// The merge key of a list field in the built-in types (patchMergeKey), or "".
std::string merge_key(std::string_view field, const nlohmann::json& sample) {
    if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" ||
        field == "env" || field == "volumes" || field == "imagePullSecrets" ||
        field == "resourceClaims" || field == "schedulingGates") {
        return "name";
    }
    if (field == "volumeMounts" || field == "volumeDevices") {
        return field == "volumeMounts" ? "mountPath" : "devicePath";
    }
    if (field == "ports") {
        if (sample.is_object() && sample.contains("containerPort"))
            return "containerPort";
        return "port";
    }
    if (field == "conditions")
        return "type";
    if (field == "hostAliases")
        return "ip";
    if (field == "topologySpreadConstraints")
        return "topologyKey";
    if (field == "ownerReferences")
        return "uid";
    return "";
}

bool primitive_union_list(std::string_view field) {
    return field == "finalizers";
}

void strategic(nlohmann::json& target, const nlohmann::json& patch);

void merge_list(nlohmann::json& target, const nlohmann::json& patch, std::string_view field) {
    if (!target.is_array())
        target = nlohmann::json::array();
    // `$patch: replace` as a list element replaces the whole list.
    for (const auto& e : patch) {
        if (e.is_object() && e.value("$patch", "") == "replace") {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& x : patch) {
                if (!(x.is_object() && x.contains("$patch")))
                    out.push_back(x);
            }
            target = std::move(out);
            return;
        }
    }
    const nlohmann::json& sample =
        !patch.empty() ? patch.front() : (!target.empty() ? target.front() : nlohmann::json());
    std::string key = merge_key(field, sample);
    if (primitive_union_list(field)) {
        for (const auto& e : patch) {
            if (std::find(target.begin(), target.end(), e) == target.end())
                target.push_back(e);
        }
        return;
    }
    if (key.empty()) {
        target = patch;
        return;
    }
    for (const auto& e : patch) {
        if (!e.is_object() || !e.contains(key)) {
            target.push_back(e);
            continue;
        }
        auto it = std::find_if(target.begin(), target.end(), [&](const nlohmann::json& t) {
            return t.is_object() && t.contains(key) && t[key] == e[key];
        });
        if (e.value("$patch", "") == "delete") {
            if (it != target.end())
                target.erase(it);
            continue;
        }
        if (it == target.end()) {
            nlohmann::json fresh = nlohmann::json::object();
            strategic(fresh, e);
            target.push_back(std::move(fresh));
        } else {
            strategic(*it, e);
        }
    }
}

void strategic(nlohmann::json& target, const nlohmann::json& patch) {
    if (!patch.is_object()) {
        target = patch;
        return;
    }
    if (!target.is_object())
        target = nlohmann::json::object();
    if (patch.value("$patch", "") == "replace") {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [k, v] : patch.items()) {
            if (k.empty() || k[0] != '$')
                out[k] = v;
        }
        target = std::move(out);
        return;
    }
    if (patch.value("$patch", "") == "delete") {
        target = nlohmann::json::object();
        return;
    }
    for (const auto& [key, value] : patch.items()) {
        if (!key.empty() && key[0] == '$') {
            static constexpr std::string_view del = "$deleteFromPrimitiveList/";
            if (key.rfind(del, 0) == 0 && value.is_array()) {
                std::string field = key.substr(del.size());
                if (auto it = target.find(field); it != target.end() && it->is_array()) {
                    nlohmann::json kept = nlohmann::json::array();
                    for (const auto& x : *it) {
                        if (std::find(value.begin(), value.end(), x) == value.end())
                            kept.push_back(x);
                    }
                    *it = std::move(kept);
                }
            } else if (key == "$retainKeys" && value.is_array()) {
                for (auto it = target.begin(); it != target.end();) {
                    if (std::find(value.begin(), value.end(), it.key()) == value.end() &&
                        !patch.contains(it.key())) {
                        it = target.erase(it);
                    } else {
                        ++it;
                    }
                }
            }
            // $setElementOrder only orders lists; ordering is left as merged.
            continue;
        }
        if (value.is_null()) {
            target.erase(key);
        } else if (value.is_array()) {
            merge_list(target[key], value, key);
        } else if (value.is_object()) {
            strategic(target[key], value);
        } else {
            target[key] = value;
        }
    }
}

}  // namespace

void apply_strategic_merge_patch(nlohmann::json& target, const nlohmann::json& patch) {
    strategic(target, patch);
}

std::string apply_json_patch(nlohmann::json& target, const nlohmann::json& patch) {
    if (!patch.is_array())
        return "json: cannot unmarshal object into Go value of type jsonpatch.Patch";
    try {
        target = target.patch(patch);
    } catch (const nlohmann::json::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace fedsim::model
