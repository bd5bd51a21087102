#pragma once
/// Schema checks for the objects the broker emits, against the upstream schemas in shared/
/// (read in place from BROKER_SHARED_DIR, never copied into the repository).
///
/// The walker follows the rules the Kubernetes API server applies to structural schemas:
/// `type` (integer is not number: 1.5 is rejected, int32/int64 ranges are checked),
/// `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`,
/// `x-kubernetes-embedded-resource`, `properties` (a field not listed is reported: the API
/// server would prune it silently), `additionalProperties` maps, arrays and `items`,
/// `required`, `enum`, `pattern`, `minLength`/`maxLength`, `minimum`/`maximum`,
/// `minItems`/`maxItems`, `nullable`, `x-kubernetes-list-type: map|set` uniqueness,
/// `allOf`/`anyOf`/`oneOf`/`not`, and OpenAPI v2 `$ref: #/definitions/...`.
/// Not evaluated: CEL rules (`x-kubernetes-validations`), `format` other than int32/int64,
/// defaults. `unhandled_keywords` lists any other keyword a schema uses, so a test can fail
/// when an upstream schema starts using a keyword this walker would silently ignore.
///
/// Where the schemas come from (`broker_schemas()`):
/// - CRD kinds (RayJob, PyTorchJob, Volcano Job, Notebook, PropagationPolicy, ...): the
///   served version's `openAPIV3Schema`; the root `metadata` (which a CRD only types as
///   `object`) is checked against ObjectMeta from Karmada's swagger.json.
/// - Core kinds without a CRD: Karmada's swagger.json has ObjectMeta, LabelSelector and the
///   whole networking/v1 IngressSpec, but not Job, Deployment, Service, PVC or PodSpec. So:
///   Ingress = swagger's IngressSpec; the pod template of Job and Deployment = the
///   PodTemplateSpec embedded in the PyTorchJob CRD (Worker template); PVC spec = the
///   PersistentVolumeClaimSpec embedded in that pod template (ephemeral volume claim
///   template); the thin top-level JobSpec, DeploymentSpec and ServiceSpec are written here
///   from the Kubernetes API reference (batch/v1, apps/v1, core/v1 as of Kubernetes 1.33).
///
/// Thread safety: the free functions are reentrant; `broker_schemas()` loads once (thread-safe
/// static initialisation) and is read-only afterwards.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace test_support {

/// One problem, at a field path such as `spec.template.spec.containers[0].resources.limits`
/// (map entries are written `labels[key]`).
struct schema_violation {
    std::string path;
    std::string message;
    friend bool operator==(const schema_violation&, const schema_violation&) = default;
};

/// "path: message" lines, for test failure output.
std::string to_string(const std::vector<schema_violation>& violations);

/// The schema of one kind: root schema plus the definitions `$ref`s resolve against.
struct object_schema {
    std::string api_version;  ///< "ray.io/v1"
    std::string kind;         ///< "RayJob"
    std::string source;       ///< where it came from, for messages
    nlohmann::json schema;
    std::shared_ptr<const nlohmann::json> definitions;  ///< may be null
};

/// Validates `value` against `schema` alone (no apiVersion/kind check). `definitions` is the
/// object `$ref: #/definitions/<name>` resolves against (may be null).
std::vector<schema_violation> validate_value(const nlohmann::json& schema,
                                             const nlohmann::json& value,
                                             const nlohmann::json* definitions = nullptr);

/// Validates a whole object: apiVersion and kind must be the schema's, metadata.name must be
/// set, then the walker over the rest.
std::vector<schema_violation> validate_object(const object_schema& schema,
                                              const nlohmann::json& object);

/// Schema keywords used anywhere in `schema` (recursively) that the walker neither checks
/// nor deliberately ignores (descriptions, defaults, CEL, patch strategies...).
std::vector<std::string> unhandled_keywords(const nlohmann::json& schema);

/// Parses YAML text into JSON with YAML 1.2 core-schema scalar resolution (plain `12` is an
/// integer, plain `true` a boolean, quoted scalars are strings). Throws std::runtime_error
/// with the parser's message on invalid YAML.
nlohmann::json parse_yaml(std::string_view text);

/// Reads and parses a YAML file; throws std::runtime_error when unreadable or invalid.
nlohmann::json load_yaml_file(const std::filesystem::path& file);

/// Writes JSON as block-style YAML that `parse_yaml` reads back to the same value: strings
/// that a YAML 1.1 or 1.2 parser would take for another type (`"2"`, `"true"`, `"on"`,
/// `"null"`) are quoted. Key order is the JSON object's order.
std::string to_yaml(const nlohmann::json& value);

/// Loads a CRD file and returns the schema of `version` (empty: the storage version). The
/// root metadata is checked as ObjectMeta when `object_meta` is given. Throws
/// std::runtime_error when the file is unreadable, not a CRD, or the version is not served.
object_schema load_crd_schema(const std::filesystem::path& crd_file, std::string_view version = {},
                              std::shared_ptr<const nlohmann::json> swagger_definitions = {});

/// The shared/ folder (BROKER_SHARED_DIR). Inline because the compile definition is given to
/// the test executables (test_support's INTERFACE), not to this library's own sources.
/// False when the schema files are absent, so that tests can skip with a visible reason.
bool shared_dir_available(const std::filesystem::path& shared);
#ifdef BROKER_SHARED_DIR
inline std::filesystem::path shared_dir() {
    return std::filesystem::path(BROKER_SHARED_DIR);
}
inline bool shared_dir_available() {
    return shared_dir_available(shared_dir());
}
#endif

/// Every kind the broker emits, with its schema (see the file comment for the sources).
class schema_set {
public:
    /// Loads everything from `shared`; throws std::runtime_error when a file is missing.
    explicit schema_set(const std::filesystem::path& shared);

    /// The schema for apiVersion/kind, or null when the broker has none for it.
    const object_schema* find(std::string_view api_version, std::string_view kind) const;

    /// Looks the schema up from the object's apiVersion/kind and validates; an object of a
    /// kind without a schema is itself a violation.
    std::vector<schema_violation> validate(const nlohmann::json& object) const;

    const std::vector<object_schema>& schemas() const { return schemas_; }

private:
    std::vector<object_schema> schemas_;
};

/// The schema set, loaded on first use from the `shared` of the first call (takes a few
/// seconds: the RayJob CRD alone is 1.4 MB of YAML). Throws like the constructor.
const schema_set& broker_schemas(const std::filesystem::path& shared);
#ifdef BROKER_SHARED_DIR
inline const schema_set& broker_schemas() {
    return broker_schemas(shared_dir());
}
#endif

}  // namespace test_support
