#pragma once
/// The pieces every workload kind shares: object metadata, the container built from the
/// form, and the pod spec around it.
///
/// Container rules (one place, so that every kind behaves the same):
/// - `command` given as a string runs through a shell: `["/bin/sh", "-c", <string>]`. When
///   the container also has arguments (the form's `args` plus the hyperparameter arguments),
///   the shell script becomes `<string> "$@"` with `sh` as `$0`
///   (`["/bin/sh", "-c", "<string> \"$@\"", "sh"]`): `sh -c` would otherwise take the first
///   argument as `$0` and drop the others. An array command is used as is.
/// - Arguments: the form's `args`, then one `--<key>=<value>` per hyperparameter, in key order.
/// - Environment: the form's `env` in its order, then `HP_<KEY>` per hyperparameter (key
///   upper-cased, every character that is not a letter or digit replaced by `_`).
/// - Resources: cpu/memory requests and limits as given; `<gpuResource>: N` as both request
///   and limit when gpuRequest > 0 (extended resources need request == limit).
/// - A pod that requests GPUs tolerates `<gpuResource>:NoSchedule` (the taint GPU node pools
///   carry) and selects nodes by GPU model (build_input.hpp).
/// - `storageSize`: volume `data` from PVC `<name>-data`, mounted at `data_mount_path`.
///
/// Thread safety: pure functions.

#include "propagation/error.hpp"
#include "propagation/manifest/build_input.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace propagation::manifest {

/// `{name, namespace, labels}` (+ the priority annotation when `workload` and priority != 0).
nlohmann::json object_metadata(const build_input& in, std::string_view name, bool workload);

/// `{labels}` for a pod template.
nlohmann::json pod_metadata(const build_input& in);

/// What differs between the containers of the kinds.
struct container_options {
    std::string_view name;
    bool gpus = true;     ///< request the form's GPUs
    bool command = true;  ///< set command/args (false for Ray, whose operator starts Ray)
};

/// The container built from the form (see the file comment).
nlohmann::json container(const build_input& in, const container_options& opt);

/// `{containers: [c], tolerations?, nodeSelector?, volumes?}`; `gpus`: the pod requests GPUs.
nlohmann::json pod_spec(const build_input& in, nlohmann::json&& container, bool gpus);

/// `{metadata, spec}` of a pod template.
nlohmann::json pod_template(const build_input& in, nlohmann::json&& spec);

/// The environment variable a hyperparameter key becomes: `learning-rate` → `HP_LEARNING_RATE`.
std::string hyperparameter_env_name(std::string_view key);

/// Quotes `s` for a POSIX shell when needed: `a b` → `'a b'`, `it's` → `'it'\''s'`.
std::string shell_quote(std::string_view s);

/// The command line as one shell string (Ray's entrypoint): the shell command or the quoted
/// array (a first word containing `=` is always quoted, or the shell would take it for a
/// variable assignment), followed by the quoted arguments.
std::string shell_command_line(const form::job_form& f);

/// Wraps a built object in a result (nlohmann::json converts implicitly to anything, so the
/// plain conversion to result<json> is ambiguous).
inline result<nlohmann::json> object_result(nlohmann::json&& object) {
    return result<nlohmann::json>(boost::system::in_place_value, std::move(object));
}

/// True when the job asks for GPUs.
inline bool wants_gpus(const form::job_form& f) {
    return f.gpu_request > 0;
}

}  // namespace propagation::manifest
