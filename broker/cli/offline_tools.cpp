#include "broker/cli/offline_tools.hpp"

#include "propagation/division/division.hpp"
#include "propagation/division/general_estimator.hpp"
#include "propagation/form/job_form.hpp"
#include "propagation/json/bounded_json.hpp"
#include "propagation/render/render_job.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <set>

namespace broker::cli {
namespace {

using nlohmann::json;
namespace division = propagation::division;

constexpr std::int64_t max_int32 = std::numeric_limits<std::int32_t>::max();
constexpr std::size_t max_clusters = 100000;

tool_outcome unusable(const std::string& message) { return {2, {}, message + "\n"}; }

tool_outcome no_answer(const propagation::error& e) {
    json causes = json::array();
    for (const auto& c : e.causes) {
        causes.push_back({{"field", c.field}, {"message", c.message}, {"reason", c.reason}});
    }
    json body = {{"error", {{"reason", e.reason}, {"message", e.message}, {"causes", causes}}}};
    return {1, body.dump() + "\n", {}};
}

/// Reads fields of one JSON object with type and range checks; the first problem wins, since
/// exit status 2 reports a single line.
class object_reader {
public:
    object_reader(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

    bool ok() const { return !problem_; }
    const std::string& problem() const { return *problem_; }

    void allow_only(std::initializer_list<std::string_view> keys) {
        for (const auto& [key, value] : obj_.items()) {
            bool known = false;
            for (auto k : keys) {
                known = known || k == key;
            }
            if (!known) {
                fail(at(key) + ": unknown field");
            }
        }
    }

    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max,
                                        bool required) {
        const json* it = typed_field(key, required, "an integer", &json::is_number_integer);
        if (it == nullptr) {
            return std::nullopt;
        }
        std::int64_t v = 0;
        if (it->is_number_unsigned()) {
            const auto u = it->get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                fail(at(key) + ": " + std::to_string(u) + " is out of range");
                return std::nullopt;
            }
            v = static_cast<std::int64_t>(u);
        } else {
            v = it->get<std::int64_t>();
        }
        if (v < min || v > max) {
            fail(at(key) + ": " + std::to_string(v) + " is out of range [" + std::to_string(min) +
                 ", " + std::to_string(max) + "]");
            return std::nullopt;
        }
        return v;
    }

    std::optional<std::string> string(std::string_view key, bool required) {
        const json* it = typed_field(key, required, "a string", &json::is_string);
        if (it == nullptr) {
            return std::nullopt;
        }
        return it->get<std::string>();
    }

    const json* array(std::string_view key, bool required) {
        return typed_field(key, required, "an array", &json::is_array);
    }

    /// The field `key` when present and of the expected type; otherwise records the problem
    /// (a missing field only when `required`) and returns null.
    const json* typed_field(std::string_view key, bool required, std::string_view expected,
                            bool (json::*is_expected)() const noexcept) {
        auto it = obj_.find(key);
        if (it == obj_.end() || it->is_null()) {
            if (required) {
                fail(at(key) + ": required field is missing");
            }
            return nullptr;
        }
        if (!((*it).*is_expected)()) {
            fail(at(key) + ": expected " + std::string(expected) + ", got " +
                 std::string(propagation::json::type_name(*it)));
            return nullptr;
        }
        return &*it;
    }

    void fail(std::string message) {
        if (!problem_) {
            problem_ = std::move(message);
        }
    }

    std::string at(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

private:
    const json& obj_;
    std::string path_;
    std::optional<std::string> problem_;
};

std::optional<division::strategy> parse_strategy(std::string_view s) {
    if (s == "duplicated") return division::strategy::duplicated;
    if (s == "static_weight") return division::strategy::static_weight;
    if (s == "dynamic_weight") return division::strategy::dynamic_weight;
    if (s == "aggregated") return division::strategy::aggregated;
    return std::nullopt;
}

/// Reads one `{name, replicas}` list (top-level `previous`).
std::optional<std::vector<division::target_cluster>> read_targets(const json& list,
                                                                  const std::string& path,
                                                                  object_reader& top) {
    std::vector<division::target_cluster> out;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto item_path = path + "[" + std::to_string(i) + "]";
        if (!list[i].is_object()) {
            top.fail(item_path + ": expected an object");
            return std::nullopt;
        }
        object_reader r(list[i], item_path);
        r.allow_only({"name", "replicas"});
        auto name = r.string("name", true);
        auto replicas = r.integer("replicas", 0, max_int32, true);
        if (!r.ok()) {
            top.fail(r.problem());
            return std::nullopt;
        }
        if (!seen.insert(*name).second) {
            top.fail(item_path + ".name: duplicate cluster \"" + *name + "\"");
            return std::nullopt;
        }
        out.push_back({*name, *replicas});
    }
    return out;
}

}  // namespace

tool_outcome run_place(std::string_view input) {
    auto doc = propagation::json::parse_bounded(input);
    if (!doc) {
        return unusable(doc.error().message);
    }
    if (!doc->is_object()) {
        return unusable("input: expected a JSON object, got " +
                        std::string(propagation::json::type_name(*doc)));
    }
    object_reader top(*doc, "");
    top.allow_only({"strategy", "replicas", "uid", "mode", "clusters", "previous"});
    division::division_request request;
    if (auto s = top.string("strategy", true)) {
        if (auto kind = parse_strategy(*s)) {
            request.kind = *kind;
        } else {
            top.fail("strategy: unsupported value \"" + *s +
                     "\": supported values: \"duplicated\", \"static_weight\", "
                     "\"dynamic_weight\", \"aggregated\"");
        }
    }
    if (auto r = top.integer("replicas", 0, max_int32, true)) {
        request.replicas = *r;
    }
    if (auto uid = top.string("uid", false)) {
        request.uid = *uid;
    }
    if (auto mode = top.string("mode", false)) {
        if (*mode == "steady") {
            request.mode = division::schedule_mode::steady;
        } else if (*mode == "fresh") {
            request.mode = division::schedule_mode::fresh;
        } else {
            top.fail("mode: unsupported value \"" + *mode +
                     "\": supported values: \"steady\", \"fresh\"");
        }
    }
    if (const json* clusters = top.array("clusters", true)) {
        if (clusters->size() > max_clusters) {
            top.fail("clusters: " + std::to_string(clusters->size()) +
                     " entries; the limit is " + std::to_string(max_clusters));
        }
        std::set<std::string> seen;
        for (std::size_t i = 0; top.ok() && i < clusters->size(); ++i) {
            const auto path = "clusters[" + std::to_string(i) + "]";
            if (!(*clusters)[i].is_object()) {
                top.fail(path + ": expected an object, got " +
                         std::string(propagation::json::type_name((*clusters)[i])));
                break;
            }
            object_reader r((*clusters)[i], path);
            r.allow_only({"name", "weight", "available", "previous"});
            division::candidate c;
            if (auto name = r.string("name", true)) {
                if (name->empty()) {
                    r.fail(path + ".name: must not be empty");
                } else if (!seen.insert(*name).second) {
                    r.fail(path + ".name: duplicate cluster \"" + *name + "\"");
                }
                c.name = *name;
            }
            c.weight = r.integer("weight", 0, std::numeric_limits<std::int64_t>::max(), false)
                           .value_or(0);
            // A cluster no estimator bounded can take the whole workload (Karmada's default).
            c.available = r.integer("available", 0, max_int32, false).value_or(request.replicas);
            c.previous = r.integer("previous", 0, max_int32, false).value_or(0);
            if (!r.ok()) {
                top.fail(r.problem());
                break;
            }
            request.clusters.push_back(std::move(c));
        }
    }
    if (const json* previous = top.array("previous", false); previous && top.ok()) {
        request.previous = read_targets(*previous, "previous", top);
    }
    if (!top.ok()) {
        return unusable(top.problem());
    }

    auto result = division::divide(request);
    if (!result) {
        return no_answer(result.error());
    }
    json clusters = json::array();
    for (const auto& t : *result) {
        clusters.push_back({{"name", t.name}, {"replicas", t.replicas}});
    }
    return {0, json{{"clusters", clusters}}.dump() + "\n", {}};
}

tool_outcome run_estimate(std::string_view input) {
    auto doc = propagation::json::parse_bounded(input);
    if (!doc) {
        return unusable(doc.error().message);
    }
    if (!doc->is_object()) {
        return unusable("input: expected a JSON object, got " +
                        std::string(propagation::json::type_name(*doc)));
    }
    object_reader top(*doc, "");
    top.allow_only({"cluster", "request"});
    auto cluster_it = doc->find("cluster");
    if (cluster_it == doc->end() || !cluster_it->is_object()) {
        top.fail("cluster: required: a Cluster object (cluster.karmada.io/v1alpha1)");
    }
    if (!top.ok()) {
        return unusable(top.problem());
    }
    auto capacity = division::parse_cluster_capacity(*cluster_it, "cluster");
    if (!capacity) {
        const auto& e = capacity.error();
        return unusable(e.causes.empty() ? e.message
                                         : e.causes.front().field + ": " + e.causes.front().message);
    }
    std::optional<division::resource_list> request;
    if (auto it = doc->find("request"); it != doc->end() && !it->is_null()) {
        auto parsed = division::parse_resource_list(*it, "request");
        if (!parsed) {
            const auto& e = parsed.error();
            return unusable(e.causes.empty()
                                ? e.message
                                : e.causes.front().field + ": " + e.causes.front().message);
        }
        request = std::move(*parsed);
    }
    const auto replicas = division::max_available_replicas(*capacity, request);
    return {0, json{{"maxReplicas", replicas}}.dump() + "\n", {}};
}

tool_outcome run_render(std::string_view input, std::string_view clusters_json) {
    auto form = propagation::form::parse_job_form_text(input);
    if (!form) {
        if (form.error().code == propagation::errc::bad_input) {
            return unusable(form.error().message);
        }
        return no_answer(form.error());
    }
    const auto job_id = propagation::render::offline_job_id(*form);
    propagation::result<std::vector<propagation::placement::cluster_state>> clusters =
        propagation::render::clusters_from_targets(*form);
    if (!clusters_json.empty()) {
        auto list = propagation::json::parse_bounded(clusters_json);
        if (!list) {
            return unusable("--clusters: " + list.error().message);
        }
        clusters = propagation::render::clusters_from_list(*list, *form);
        if (!clusters) {
            return unusable("--" + clusters.error().message);
        }
    }
    if (!clusters) {
        return no_answer(clusters.error());
    }
    auto rendered = propagation::render::render_job(*form, job_id, std::move(*clusters));
    if (!rendered) {
        return no_answer(rendered.error());
    }
    json body = {{"placement", propagation::render::to_json(rendered->placement)},
                 {"manifests", rendered->manifests}};
    return {0, body.dump() + "\n", {}};
}

int run_offline_tool(std::string_view tool, const std::vector<std::string>& args) {
    std::string clusters_json;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (tool == "render" && args[i] == "--clusters" && i + 1 < args.size()) {
            std::FILE* f = std::fopen(args[i + 1].c_str(), "rb");
            if (f == nullptr) {
                std::cerr << "--clusters: cannot open " << args[i + 1] << "\n";
                return 2;
            }
            char buf[65536];
            std::size_t n = 0;
            while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
                clusters_json.append(buf, n);
            }
            std::fclose(f);
            ++i;
        } else {
            std::cerr << "broker " << tool << ": unknown argument \"" << args[i] << "\"\n";
            return 2;
        }
    }
    std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    tool_outcome outcome;
    if (tool == "place") {
        outcome = run_place(input);
    } else if (tool == "estimate") {
        outcome = run_estimate(input);
    } else {
        outcome = run_render(input, clusters_json);
    }
    std::cout << outcome.out << std::flush;
    std::cerr << outcome.err << std::flush;
    return outcome.exit_code;
}

}  // namespace broker::cli
