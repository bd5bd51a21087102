#pragma once
/// Kubernetes `Table` (meta.k8s.io/v1) renderings of merged lists, as kubectl asks for them
/// (Accept `application/json;as=Table;v=v1;g=meta.k8s.io`): the usual columns of each
/// allow-listed kind plus a CLUSTER column naming the member each row came from. Rows carry
/// `PartialObjectMetadata` (kubectl reads the namespace from it for `-A`) unless the full
/// object was asked for (`includeObject=Object`).
///
/// Thread safety: pure functions.

#include "proxy/resource_kinds.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace proxy {

/// Age as kubectl prints it ("45s", "12m", "5h", "3d", "<unknown>").
std::string human_age(const nlohmann::json& timestamp, std::chrono::system_clock::time_point now);

/// A Table of `items` (already annotated with `cluster_annotation`); `list_metadata` becomes the
/// Table's metadata (continue tokens survive).
nlohmann::json to_table(const resource_kind& kind, const nlohmann::json& items,
                        const nlohmann::json& list_metadata, const std::string& cluster_annotation,
                        bool include_object, std::chrono::system_clock::time_point now);

/// True when an Accept header asks for a meta.k8s.io Table.
bool wants_table(std::string_view accept);

}  // namespace proxy
