#include "propagation/division/general_estimator.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace propagation::division {

namespace {

__extension__ typedef __int128 int128;

using json = nlohmann::json;

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
/// Pod slots of every virtual node (Kubernetes' default maxPods), as Karmada assumes.
constexpr std::int64_t pods_per_model_node = 110;

// ---------------------------------------------------------------------------------------
// Parsing

class parser {
public:
    std::vector<field_error> causes;

    void type_error(const std::string& field, std::string_view expected) {
        causes.push_back({field, "must be " + std::string(expected), "FieldValueTypeInvalid"});
    }

    /// Object member or nullptr when absent or null (Go decodes null as "not set").
    static const json* member(const json& object, const char* key) {
        const auto it = object.find(key);
        if (it == object.end() || it->is_null()) {
            return nullptr;
        }
        return &*it;
    }

    std::optional<quantity> parse_quantity(const json& value, const std::string& field) {
        std::string text;
        if (value.is_string()) {
            text = value.get<std::string>();
        } else if (value.is_number()) {
            text = value.dump();
        } else {
            type_error(field, "a quantity (string or number)");
            return std::nullopt;
        }
        auto parsed = quantity::parse(text);
        if (!parsed) {
            const error& e = parsed.error();
            std::string message = e.causes.empty() ? e.message : e.causes.front().message;
            causes.push_back({field, std::move(message)});
            return std::nullopt;
        }
        return *parsed;
    }

    std::optional<std::int64_t> parse_integer(const json& value, const std::string& field,
                                              bool non_negative) {
        if (value.is_number_unsigned()) {
            const auto v = value.get<std::uint64_t>();
            if (v > static_cast<std::uint64_t>(int64_max)) {
                causes.push_back(
                    {field, "must be less than or equal to " + std::to_string(int64_max)});
                return std::nullopt;
            }
            return static_cast<std::int64_t>(v);
        }
        if (value.is_number_integer()) {
            const auto v = value.get<std::int64_t>();
            if (non_negative && v < 0) {
                causes.push_back({field, "must be greater than or equal to 0"});
                return std::nullopt;
            }
            return v;
        }
        type_error(field, "an integer");
        return std::nullopt;
    }

    bool check_name(const std::string& field, const std::string& name) {
        if (name.size() > max_resource_name_bytes) {
            causes.push_back(
                {field,
                 "must be no more than " + std::to_string(max_resource_name_bytes) + " bytes",
                 "FieldValueTooLong"});
            return false;
        }
        return true;
    }

    resource_list parse_list(const json& value, const std::string& field) {
        resource_list list;
        if (!value.is_object()) {
            type_error(field, "an object");
            return list;
        }
        if (value.size() > max_resources_per_list) {
            causes.push_back(
                {field, "must have at most " + std::to_string(max_resources_per_list) + " items",
                 "FieldValueTooMany"});
            return list;
        }
        for (const auto& [name, q] : value.items()) {
            const std::string entry = field + "." + name;
            if (!check_name(entry, name)) {
                continue;
            }
            if (q.is_null()) {
                continue;
            }
            if (auto parsed = parse_quantity(q, entry)) {
                list.insert_or_assign(name, *parsed);
            }
        }
        return list;
    }

    std::vector<resource_model> parse_models(const json& value, const std::string& field) {
        std::vector<resource_model> models;
        if (!value.is_array()) {
            type_error(field, "an array");
            return models;
        }
        if (value.size() > max_resource_models) {
            causes.push_back({field,
                              "must have at most " + std::to_string(max_resource_models) + " items",
                              "FieldValueTooMany"});
            return models;
        }
        for (std::size_t i = 0; i < value.size(); ++i) {
            const std::string at = field + "[" + std::to_string(i) + "]";
            const json& m = value[i];
            if (!m.is_object()) {
                type_error(at, "an object");
                continue;
            }
            resource_model model;
            if (const json* grade = member(m, "grade")) {
                if (auto g = parse_integer(*grade, at + ".grade", true)) {
                    model.grade = static_cast<std::uint64_t>(*g);
                }
            }
            if (const json* ranges = member(m, "ranges")) {
                model.ranges = parse_ranges(*ranges, at + ".ranges");
            }
            models.push_back(std::move(model));
        }
        return models;
    }

    std::vector<resource_model_range> parse_ranges(const json& value, const std::string& field) {
        std::vector<resource_model_range> ranges;
        if (!value.is_array()) {
            type_error(field, "an array");
            return ranges;
        }
        if (value.size() > max_resources_per_list) {
            causes.push_back(
                {field, "must have at most " + std::to_string(max_resources_per_list) + " items",
                 "FieldValueTooMany"});
            return ranges;
        }
        for (std::size_t i = 0; i < value.size(); ++i) {
            const std::string at = field + "[" + std::to_string(i) + "]";
            const json& r = value[i];
            if (!r.is_object()) {
                type_error(at, "an object");
                continue;
            }
            resource_model_range range;
            if (const json* name = member(r, "name")) {
                if (name->is_string()) {
                    range.name = name->get<std::string>();
                    check_name(at + ".name", range.name);
                } else {
                    type_error(at + ".name", "a string");
                }
            }
            for (const auto& [key, target] :
                 {std::pair{"min", &range.min}, std::pair{"max", &range.max}}) {
                if (const json* q = member(r, key)) {
                    if (auto parsed = parse_quantity(*q, at + "." + key)) {
                        // Resource model bounds are amounts of a resource: Karmada's validation
                        // keeps them non-negative, and the estimator's arithmetic assumes it.
                        if (parsed->sign() < 0) {
                            causes.push_back(
                                {at + "." + key, "must be greater than or equal to 0"});
                        } else {
                            *target = *parsed;
                        }
                    }
                }
            }
            ranges.push_back(std::move(range));
        }
        return ranges;
    }

    resource_summary parse_summary(const json& value, const std::string& field) {
        resource_summary summary;
        if (!value.is_object()) {
            type_error(field, "an object");
            return summary;
        }
        for (const auto& [key, target] : {std::pair{"allocatable", &summary.allocatable},
                                          std::pair{"allocating", &summary.allocating},
                                          std::pair{"allocated", &summary.allocated}}) {
            if (const json* list = member(value, key)) {
                *target = parse_list(*list, field + "." + key);
            }
        }
        if (const json* modelings = member(value, "allocatableModelings")) {
            const std::string at = field + ".allocatableModelings";
            if (!modelings->is_array()) {
                type_error(at, "an array");
            } else if (modelings->size() > max_resource_models) {
                causes.push_back(
                    {at, "must have at most " + std::to_string(max_resource_models) + " items",
                     "FieldValueTooMany"});
            } else {
                for (std::size_t i = 0; i < modelings->size(); ++i) {
                    const std::string item = at + "[" + std::to_string(i) + "]";
                    const json& m = (*modelings)[i];
                    if (!m.is_object()) {
                        type_error(item, "an object");
                        continue;
                    }
                    allocatable_modeling modeling;
                    if (const json* grade = member(m, "grade")) {
                        if (auto g = parse_integer(*grade, item + ".grade", true)) {
                            modeling.grade = static_cast<std::uint64_t>(*g);
                        }
                    }
                    if (const json* count = member(m, "count")) {
                        // A negative count is accepted here: Karmada then abandons the model
                        // path for the summary path, and so do we.
                        if (auto c = parse_integer(*count, item + ".count", false)) {
                            modeling.count = *c;
                        }
                    }
                    summary.allocatable_modelings.push_back(modeling);
                }
            }
        }
        return summary;
    }
};

// ---------------------------------------------------------------------------------------
// Karmada's resource vocabulary (k8s.io/kubernetes/pkg/apis/core/v1/helper, lifted).

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/// DNS-1123 subdomain: lowercase labels of [a-z0-9-] joined by dots, at most 253 bytes.
bool is_dns1123_subdomain(std::string_view s) {
    if (s.empty() || s.size() > 253) {
        return false;
    }
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = s.find('.', start);
        const std::string_view label =
            s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || !is_lower_alnum(label.front()) || !is_lower_alnum(label.back())) {
            return false;
        }
        for (const char c : label) {
            if (!is_lower_alnum(c) && c != '-') {
                return false;
            }
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        start = dot + 1;
    }
}

/// Kubernetes' IsQualifiedName: [prefix/]name, name ≤ 63 of [A-Za-z0-9._-] with alphanumeric
/// ends, prefix a DNS-1123 subdomain.
bool is_qualified_name(std::string_view s) {
    std::string_view name = s;
    if (const std::size_t slash = s.find('/'); slash != std::string_view::npos) {
        if (s.find('/', slash + 1) != std::string_view::npos) {
            return false;
        }
        if (!is_dns1123_subdomain(s.substr(0, slash))) {
            return false;
        }
        name = s.substr(slash + 1);
    }
    if (name.empty() || name.size() > 63 || !is_alnum(name.front()) || !is_alnum(name.back())) {
        return false;
    }
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool is_prefixed_native(std::string_view name) {
    return name.find("kubernetes.io/") != std::string_view::npos;
}

bool is_native(std::string_view name) {
    return name.find('/') == std::string_view::npos || is_prefixed_native(name);
}

bool is_extended(std::string_view name) {
    if (is_native(name) || name.starts_with("requests.")) {
        return false;
    }
    return is_qualified_name("requests." + std::string(name));
}

/// lifted.IsScalarResourceName: the names Karmada's Resource keeps in its scalar map.
bool is_scalar(std::string_view name) {
    return is_extended(name) || name.starts_with("hugepages-") || is_prefixed_native(name) ||
           name.starts_with("attachable-volumes-");
}

std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

/// Karmada's util.Resource: CPU in millicores, the rest in whole units.
struct resource_amounts {
    std::int64_t milli_cpu = 0;
    std::int64_t memory = 0;
    std::int64_t ephemeral_storage = 0;
    std::int64_t pods = 0;
    std::map<std::string, std::int64_t, std::less<>> scalar;

    void add(const std::string& name, const quantity& q) {
        if (name == "cpu") {
            milli_cpu = wrapping_add(milli_cpu, q.milli_value());
        } else if (name == "memory") {
            memory = wrapping_add(memory, q.value());
        } else if (name == "pods") {
            pods = wrapping_add(pods, q.value());
        } else if (name == "ephemeral-storage") {
            ephemeral_storage = wrapping_add(ephemeral_storage, q.value());
        } else if (is_scalar(name)) {
            scalar[name] = wrapping_add(scalar[name], q.value());
        }
    }

    std::int64_t scalar_of(const std::string& name) const {
        const auto it = scalar.find(name);
        return it == scalar.end() ? 0 : it->second;
    }

    /// Resource.MaxDivided over `per_replica`'s ResourceList (only positive amounts are
    /// listed there; the pod slot is always the last bound).
    std::int64_t max_divided(const resource_amounts& per_replica) const {
        std::int64_t fit = int64_max;
        if (per_replica.milli_cpu > 0) {
            fit = std::min(fit, milli_cpu / per_replica.milli_cpu);
        }
        if (per_replica.memory > 0) {
            fit = std::min(fit, memory / per_replica.memory);
        }
        if (per_replica.ephemeral_storage > 0) {
            fit = std::min(fit, ephemeral_storage / per_replica.ephemeral_storage);
        }
        for (const auto& [name, amount] : per_replica.scalar) {
            if (amount > 0) {
                fit = std::min(fit, scalar_of(name) / amount);
            }
        }
        return std::min(fit, pods);
    }
};

const quantity* find(const resource_list& list, const std::string& name) {
    const auto it = list.find(name);
    return it == list.end() ? nullptr : &it->second;
}

/// getAllowedPodNumber.
std::int64_t allowed_pods(const resource_summary& s) {
    auto pods_of = [](const resource_list& list) -> int128 {
        const quantity* q = find(list, "pods");
        return q == nullptr ? 0 : q->value();
    };
    const int128 allowed = pods_of(s.allocatable) - pods_of(s.allocated) - pods_of(s.allocating);
    if (allowed <= 0) {
        return 0;
    }
    return allowed > int64_max ? int64_max : static_cast<std::int64_t>(allowed);
}

/// Free amount of one resource, `allocatable − allocated − allocating`, as whole units or
/// millicores. Saturates where Karmada's arbitrary-precision arithmetic would not overflow.
std::int64_t free_amount(const quantity& allocatable, const quantity* allocated,
                         const quantity* allocating, bool milli) {
    quantity left = allocatable;
    for (const quantity* used : {allocated, allocating}) {
        if (used == nullptr) {
            continue;
        }
        auto diff = quantity::sub(left, *used);
        if (!diff) {
            return compare(left, *used) > 0 ? int64_max : std::numeric_limits<std::int64_t>::min();
        }
        left = *diff;
    }
    return milli ? left.milli_value() : left.value();
}

/// getMaximumReplicasBasedOnClusterSummary.
std::int64_t summary_bound(const resource_summary& s, const resource_list& request) {
    std::int64_t best = int64_max;
    for (const auto& [name, value] : request) {
        std::int64_t requested = value.value();
        if (requested <= 0) {
            continue;
        }
        const quantity* allocatable = find(s.allocatable, name);
        if (allocatable == nullptr) {
            return 0;
        }
        const quantity* allocated = find(s.allocated, name);
        const quantity* allocating = find(s.allocating, name);
        std::int64_t available = free_amount(*allocatable, allocated, allocating, false);
        if (available <= 0) {
            return 0;
        }
        if (name == "cpu") {
            requested = value.milli_value();
            available = free_amount(*allocatable, allocated, allocating, true);
        }
        best = std::min(best, available / requested);
    }
    return best;
}

/// getMaximumReplicasBasedOnResourceModels: nullopt where Karmada returns an error (no
/// models, a negative node count) and falls back to the summary path.
std::optional<std::int64_t> model_bound(const cluster_capacity& c, const resource_list& request) {
    if (c.resource_models.empty()) {
        return std::nullopt;
    }
    // One virtual node per counted node of each grade: the grade's minimums plus 110 pods.
    std::map<std::uint64_t, resource_amounts> node_by_grade;
    for (const resource_model& model : c.resource_models) {
        std::map<std::string, quantity> minimums;
        for (const resource_model_range& r : model.ranges) {
            minimums.insert_or_assign(r.name, r.min);
        }
        minimums.insert_or_assign("pods", quantity::from_int(pods_per_model_node));
        resource_amounts node;
        for (const auto& [name, q] : minimums) {
            node.add(name, q);
        }
        node_by_grade[model.grade] = std::move(node);
    }
    std::map<std::uint64_t, int128> count_by_grade;
    for (const allocatable_modeling& m : c.summary->allocatable_modelings) {
        if (m.count < 0) {
            return std::nullopt;
        }
        count_by_grade[m.grade] += m.count;
    }

    resource_amounts per_replica;
    for (const auto& [name, q] : request) {
        per_replica.add(name, q);
    }
    per_replica.pods = 1;
    // ResourceList() drops non-positive amounts before MaxDivided sees them.
    if (per_replica.milli_cpu < 0) {
        per_replica.milli_cpu = 0;
    }
    if (per_replica.memory < 0) {
        per_replica.memory = 0;
    }
    if (per_replica.ephemeral_storage < 0) {
        per_replica.ephemeral_storage = 0;
    }

    // First-fit of identical one-replica sets fills each node up to its own bound in turn,
    // so the simulation's count is the sum of the per-node bounds, capped at MaxInt32.
    int128 fitted = 0;
    for (const auto& [grade, node] : node_by_grade) {
        const auto it = count_by_grade.find(grade);
        if (it == count_by_grade.end() || it->second == 0) {
            continue;
        }
        const std::int64_t per_node = std::max<std::int64_t>(node.max_divided(per_replica), 0);
        fitted += it->second * per_node;
        if (fitted >= int32_max) {
            return int32_max;
        }
    }
    return static_cast<std::int64_t>(fitted);
}

std::int64_t as_go_int32(std::int64_t value) {
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(value)));
}

}  // namespace

result<cluster_capacity> parse_cluster_capacity(const nlohmann::json& cluster,
                                                std::string_view path) {
    parser p;
    const std::string root(path);
    cluster_capacity capacity;
    if (!cluster.is_object()) {
        p.type_error(root, "an object");
        return invalid_error(std::move(p.causes));
    }
    if (const json* metadata = parser::member(cluster, "metadata")) {
        if (!metadata->is_object()) {
            p.type_error(root + ".metadata", "an object");
        } else if (const json* name = parser::member(*metadata, "name")) {
            if (name->is_string()) {
                capacity.name = name->get<std::string>();
            } else {
                p.type_error(root + ".metadata.name", "a string");
            }
        }
    }
    if (const json* spec = parser::member(cluster, "spec")) {
        if (!spec->is_object()) {
            p.type_error(root + ".spec", "an object");
        } else if (const json* models = parser::member(*spec, "resourceModels")) {
            capacity.resource_models = p.parse_models(*models, root + ".spec.resourceModels");
        }
    }
    if (const json* status = parser::member(cluster, "status")) {
        if (!status->is_object()) {
            p.type_error(root + ".status", "an object");
        } else if (const json* summary = parser::member(*status, "resourceSummary")) {
            capacity.summary = p.parse_summary(*summary, root + ".status.resourceSummary");
        }
    }
    if (!p.causes.empty()) {
        return invalid_error(std::move(p.causes));
    }
    return capacity;
}

result<resource_list> parse_resource_list(const nlohmann::json& list, std::string_view path) {
    parser p;
    resource_list parsed = p.parse_list(list, std::string(path));
    if (!p.causes.empty()) {
        return invalid_error(std::move(p.causes));
    }
    return parsed;
}

std::int64_t max_available_replicas(const cluster_capacity& capacity,
                                    const std::optional<resource_list>& request) {
    if (!capacity.summary) {
        return 0;
    }
    const resource_summary& summary = *capacity.summary;
    std::int64_t maximum = allowed_pods(summary);
    if (maximum <= 0) {
        return 0;
    }
    if (!request) {
        return as_go_int32(maximum);
    }
    if (!summary.allocatable_modelings.empty()) {
        if (const auto fitted = model_bound(capacity, *request)) {
            return as_go_int32(std::min(maximum, *fitted));
        }
    }
    return as_go_int32(std::min(maximum, summary_bound(summary, *request)));
}

}  // namespace propagation::division
