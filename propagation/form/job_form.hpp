#pragma once
/// The job form of CONTRACTS.md §5: the request body of POST /api/v1/jobs, as the frontend
/// posts it (camelCase JSON). `parse_job_form` validates everything and reports every problem
/// at once with its field path; unknown fields are errors.
///
/// Decisions (also in README):
/// - Field paths are the form's JSON paths: `replicas`, `env[2].name`,
///   `placement.clusterWeights.cluster-1`, `hyperparameters.lr`. Messages use the API server's
///   words (`Invalid value: 5: must be ...`, `Required value`, `unknown field "foo"`, type
///   errors as CRD validation words them).
/// - `null` is the same as leaving a field out; so is `""` for an optional string field
///   (frontends post blank inputs as empty strings). `name` and `image` are required.
/// - Integer fields take JSON integers (a float with no fraction, such as 4.0, is accepted as
///   OpenAPI validation does); strings and fractional numbers are type errors.
/// - Quantities take a string or a JSON number, trimmed of surrounding whitespace, parsed by
///   `quantity::parse`; requests and sizes must not be negative, a request not above its limit.
/// - `gpuResource` must be an extended resource name (domain-prefixed, e.g. nvidia.com/gpu,
///   amd.com/gpu), never a built-in resource such as cpu or memory.
/// - Names: `name` is a DNS-1123 label (≤ 63); for ray and pytorch a DNS-1035 label, and for ray
///   at most 47 characters (KubeRay). Cluster names (targetClusters, clusterWeights) are
///   DNS-1123 labels of at most 48 characters (Karmada's limit).
/// - replicas counts pods: for pytorch one Master and replicas-1 Workers (≥ 1, so 1 means a
///   Master alone); a notebook is exactly 1.
/// - placement.strategy: any for `job`; only `single` for every other type (Karmada cannot
///   divide their replicas, CONTRACTS.md §6).
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
/// The job type spelled as to_string spells it ("pytorch"); nullopt for anything else.
std::optional<job_type> parse_job_type(std::string_view s);

struct placement_request {
    /// Absent: the job type's default (spread for `job`, single for every other type).
    std::optional<placement_strategy> strategy;
    /// Cluster name → positive weight multiplier (default 1 for clusters not named).
    std::map<std::string, std::int64_t> cluster_weights;

    friend bool operator==(const placement_request&, const placement_request&) = default;
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
    /// `command` as given. An array is the container's command as is. A string is one shell
    /// command line: `command` holds it as its single element and `command_is_shell` is set,
    /// so each renderer decides how to run it (normally `["/bin/sh", "-c", line]`).
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
    /// Values arrive as strings, numbers or booleans and are kept as text: numbers in their
    /// shortest round-trip form (0.001 → "0.001", 32 → "32"), booleans as "true"/"false".
    /// Keys match `[A-Za-z_][A-Za-z0-9_.-]*` and must map to distinct `HP_` names.
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

    friend bool operator==(const job_form&, const job_form&) = default;
};

/// The `HP_` environment variable name of a hyperparameter key ("learning_rate" →
/// "HP_LEARNING_RATE", "a.b-c" → "HP_A_B_C").
std::string hyperparameter_env_name(std::string_view key);

/// Limits that keep a form reasonable; violating one is a field error.
struct form_limits {
    std::int32_t max_replicas = 10000;
    std::int32_t max_gpu_per_replica = 64;
    std::size_t max_string_bytes = 4096;      ///< image, a command element, a value
    std::size_t max_command_bytes = 65536;    ///< all of command + args
    std::size_t max_map_entries = 256;        ///< hyperparameters, env, labels, weights
    std::size_t max_target_clusters = 1000;
    std::size_t max_args = 1024;              ///< elements of command, and of args
    std::int32_t max_workers_per_node = 1024;
    std::int64_t max_cluster_weight = 1000000;
    std::size_t max_causes = 200;             ///< problems listed; then one "and N more"
    std::size_t max_text_bytes = 1024 * 1024; ///< parse_job_form_text
    std::size_t max_depth = 64;               ///< parse_job_form_text: nesting
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
