#include "propagation/render/render_job.hpp"

#include "propagation/policy/render_job.hpp"

#include <cstdio>
#include <set>

namespace propagation::render {

using nlohmann::json;

result<rendered_job> render_job(const form::job_form& f, std::string_view job_id,
                                std::vector<placement::cluster_state> clusters) {
    placement::solver_input input{&f, std::string(job_id), std::move(clusters)};
    auto placed = placement::solve(input);
    if (!placed) {
        return placed.error();
    }
    rendered_job out;
    out.placement = std::move(*placed);
    auto objects = policy::render_job({f, job_id, &out.placement});
    if (!objects) {
        return objects.error();
    }
    out.manifests = objects->creation_order();
    return out;
}

result<std::vector<placement::cluster_state>> clusters_from_targets(const form::job_form& f) {
    if (f.target_clusters.empty()) {
        return invalid_error({{"targetClusters",
                               "name the target clusters, or give a capacity snapshot with "
                               "--clusters",
                               "FieldValueRequired"}});
    }
    std::vector<placement::cluster_state> out;
    for (const auto& name : f.target_clusters) {
        placement::cluster_state c;
        c.name = name;
        c.fit_known = false;
        c.gpu_model = f.gpu_model;  // unknown: assume the cluster has what the form asks for
        out.push_back(std::move(c));
    }
    return out;
}

result<std::vector<placement::cluster_state>> clusters_from_list(
    const json& cluster_list, const form::job_form& f, const placement::snapshot_options& options) {
    const json* items = &cluster_list;
    if (cluster_list.is_object()) {
        auto it = cluster_list.find("items");
        if (it == cluster_list.end()) {
            return bad_input_error("clusters: expected a ClusterList with items");
        }
        items = &*it;
    }
    if (!items->is_array()) {
        return bad_input_error("clusters: items must be an array of Cluster objects");
    }
    std::vector<placement::cluster_state> out;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < items->size(); ++i) {
        const auto& item = (*items)[i];
        const json* name = nullptr;
        if (item.is_object()) {
            if (auto m = item.find("metadata"); m != item.end() && m->is_object()) {
                if (auto n = m->find("name"); n != m->end() && n->is_string()) {
                    name = &*n;
                }
            }
        }
        if (name == nullptr || name->get<std::string>().empty()) {
            return bad_input_error("clusters: items[" + std::to_string(i) +
                                   "]: a Cluster object with metadata.name is required");
        }
        if (!seen.insert(name->get<std::string>()).second) {
            return bad_input_error("clusters: items[" + std::to_string(i) +
                                   "]: duplicate cluster " + name->get<std::string>());
        }
        out.push_back(placement::to_cluster_state(item, f, {}, options));
    }
    return out;
}

std::string offline_job_id(const form::job_form& f) {
    auto fnv64 = [](std::string_view s, std::uint64_t seed) {
        std::uint64_t h = 14695981039346656037ULL ^ seed;
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ULL;
        }
        return h;
    };
    const std::string key = f.namespace_ + "/" + f.name;
    const auto a = fnv64(key, 0);
    const auto b = fnv64(key, 0x9e3779b97f4a7c15ULL);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
                  static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                  static_cast<unsigned>(0x5000 | (a & 0x0fff)),
                  static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return buf;
}

json to_json(const placement::placement& p) {
    json clusters = json::array();
    for (const auto& c : p.clusters) {
        clusters.push_back({{"name", c.name}, {"replicas", c.replicas}, {"gpus", c.gpus}});
    }
    json rejected = json::array();
    for (const auto& r : p.rejected) {
        rejected.push_back({{"name", r.name}, {"reason", r.reason}});
    }
    return {{"strategy", form::to_string(p.strategy)},
            {"clusters", std::move(clusters)},
            {"rejected", std::move(rejected)}};
}

}  // namespace propagation::render
