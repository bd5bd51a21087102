#pragma once
/// The job form of CONTRACTS.md §5: the request body of POST /api/v1/jobs, as the frontend
/// posts it (camelCase JSON). `parse_job_form` validates everything and reports every problem
/// at once with its field path; unknown fields are errors.
///
/// Thread safety: plain values.

#include "propagation/error.hpp"
#include "propagation/quantity/quantity.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace propagation::form {

enum class job_type { job, pytorch, ray, volcano, notebook };
enum class placement_strategy { spread, pack, single, duplicate };

std::string_view to_string(job_type t);
std::string_view to_string(placement_strategy s);

struct placement_request {
    /// Absent: the job type's default (spread for `job`, single for every other type).
    std::optional<placement_strategy> strategy;
    /// Cluster name → positive weight multiplier (default 1 for clusters not named).
    std::map<std::string, std::int64_t> cluster_weights;
};

struct env_var {
    std::string name;
    std::string value;
    friend bool operator==(const env_var&, const env_var&) = default;
};

struct job_form {
    std::string name;                 ///< DNS-1123 label (RFC 1123), ≤ 63; ray/pytorch: DNS-1035
    std::string namespace_ = "default";
    job_type type = job_type::job;
    std::string framework;            ///< informational
    std::string image;
    /// `command` as given: a string is run by a shell (`/bin/sh -c <string>`), an array as is.
    std::vector<std::string> command;
    bool command_is_shell = false;
    std::vector<std::string> args;
    std::int32_t replicas = 1;
    std::int32_t workers_per_node = 1;
    std::optional<quantity> cpu_request, cpu_limit, memory_request, memory_limit;
    std::int32_t gpu_request = 0;     ///< GPUs per replica
    std::string gpu_resource = "nvidia.com/gpu";
    std::string gpu_model;            ///< matched against the cluster label (see placement)
    std::string storage_class;
    std::optional<quantity> storage_size;
    /// Hyperparameters, in key order: each becomes env `HP_<KEY upper-cased, non-alnum → _>`
    /// and an argument `--<key>=<value>` appended after `args` (documented in README).
    std::map<std::string, std::string> hyperparameters;
    std::vector<env_var> env;         ///< object form {"K":"V"} or list form [{"name","value"}]
    std::map<std::string, std::string> labels;
    std::vector<std::string> target_clusters;  ///< empty: any Ready cluster
    placement_request placement;
    std::int32_t priority = 0;
    std::optional<std::int32_t> ttl_seconds_after_finished;
    std::optional<std::int32_t> backoff_limit;
    std::optional<std::int64_t> active_deadline_seconds;

    /// The effective strategy: the requested one, or the job type's default.
    placement_strategy effective_strategy() const;
};

/// Limits that keep a form reasonable; violating one is a field error.
struct form_limits {
    std::int32_t max_replicas = 10000;
    std::int32_t max_gpu_per_replica = 64;
    std::size_t max_string_bytes = 4096;      ///< image, a command element, a value
    std::size_t max_command_bytes = 65536;    ///< all of command + args
    std::size_t max_map_entries = 256;        ///< hyperparameters, env, labels, weights
    std::size_t max_target_clusters = 1000;
};

/// Validates a parsed JSON document as a job form. Errors: `invalid` with every cause
/// (unknown fields, wrong types, bad names, bad quantities, out-of-range numbers,
/// inconsistent requests such as limit < request), or `bad_input` when the top level is not
/// an object.
result<job_form> parse_job_form(const nlohmann::json& doc, const form_limits& limits = {});

/// Parses `text` as JSON first (`bad_input` with the parser's position on failure; depth and
/// size are bounded), then as above.
result<job_form> parse_job_form_text(std::string_view text, const form_limits& limits = {});

/// The form back as camelCase JSON (canonical: quantities canonicalised, defaults filled);
/// parse_job_form(to_json(f)) == f.
nlohmann::json to_json(const job_form& f);

}  // namespace propagation::form
