#pragma once
/// What kube-apiserver's registry strategies do to built-in kinds before storing them: defaults
/// (the ones clients can see and rely on, e.g. Job completions/parallelism/backoffLimit,
/// Deployment strategy, Pod restartPolicy, Service type and clusterIP) and validation of names
/// and the fields our users get wrong, with the API server's wording.
///
/// Thread safety: pure functions.

#include "sim/model/api_error.hpp"
#include "sim/model/resource_registry.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace fedsim::model {

/// Fills defaults in place (after generateName was resolved, before validation).
/// `sequence` gives stable values for things like a Service's clusterIP.
void apply_builtin_defaults(const resource_info& resource, nlohmann::json& object,
                            std::uint64_t sequence);

/// The spec defaults kube-apiserver applies when decoding any write (update and patch too), so
/// that re-sending an unchanged manifest (kubectl apply, server-side apply) compares equal to the
/// stored, defaulted object. Never touches status, generated selectors or allocated IPs.
void apply_builtin_write_defaults(const resource_info& resource, nlohmann::json& object);

/// Unknown fields of Pod, Job, Deployment and Service at the levels users write (the object,
/// its spec, and a workload's spec.template / spec.template.spec), as paths ("spec.foo").
/// `prune` erases them, as decoding into the typed object does under Warn / Ignore.
std::vector<std::string> builtin_unknown_fields(const resource_info& resource,
                                                nlohmann::json& object, bool prune);

/// Validates metadata (name rules per kind, labels, annotations) and the built-in kinds'
/// required fields. Appends causes; empty = valid.
void validate_object(const resource_info& resource, const nlohmann::json& object,
                     std::vector<status_cause>& causes);

/// Fields that may not change on update (Job selector, template... ); appends causes.
void validate_update(const resource_info& resource, const nlohmann::json& old_object,
                     const nlohmann::json& new_object, std::vector<status_cause>& causes);

/// True when `resource` keeps metadata.generation (spec-carrying kinds).
bool tracks_generation(const resource_info& resource);

}  // namespace fedsim::model
