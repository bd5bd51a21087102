#pragma once

#include "sim/model/object_store.hpp"
#include "sim/model/resource_registry.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace fedsim::api {

/// True when an Accept header asks for server-side printing (`as=Table;...;g=meta.k8s.io`), as
/// `kubectl get` does without `-o`.
/// Thread safety: pure function.
bool wants_table(std::string_view accept);

/// A `meta.k8s.io/v1` Table for `items`, with the columns kubectl prints for the kind: pods
/// (NAME READY STATUS RESTARTS AGE, wide: IP NODE ...), jobs (NAME STATUS COMPLETIONS DURATION
/// AGE), deployments, nodes, namespaces, services, events, Karmada clusters (NAME VERSION MODE
/// READY AGE) and CRD additionalPrinterColumns; NAME AGE otherwise. Each row carries the
/// object's metadata as a PartialObjectMetadata (kubectl reads the namespace from it).
/// `list_metadata` becomes the Table's metadata (resourceVersion, continue).
/// Thread safety: pure function.
nlohmann::json to_table(const model::resource_info& resource,
                        const std::vector<model::object_ptr>& items, model::time_point now,
                        const nlohmann::json& list_metadata);

/// kubectl's age format ("45s", "3m20s", "5h", "12d"), as apimachinery's HumanDuration.
/// Thread safety: pure function.
std::string human_duration(std::chrono::seconds d);

/// Evaluates the small JSONPath subset CRD printer columns use: `.a.b`, `[n]`, `[*]` and
/// `[?(@.key=="value")]`. Null when nothing matched.
/// Thread safety: pure function.
nlohmann::json eval_json_path(const nlohmann::json& object, std::string_view path);

} // namespace fedsim::api
