#include "broker/auth/authenticator.hpp"
#include "broker/routes/member_routes.hpp"
#include "broker/server/response.hpp"
#include "broker/service/shielded.hpp"
#include "propagation/division/general_estimator.hpp"
#include "propagation/placement/cluster_snapshot.hpp"

namespace broker::routes {
namespace {

using nlohmann::json;
namespace division = propagation::division;

bool is_gpu_resource(std::string_view name) {
    return name.find("gpu") != std::string_view::npos;
}

std::int64_t whole(const division::resource_list& list, const std::string& name) {
    auto it = list.find(name);
    return it == list.end() ? 0 : it->second.value();
}

}  // namespace

json cluster_json(const proxy::member_cluster& m, const store::resources* reserved,
                  const propagation::placement::snapshot_options& options) {
    json c = {{"name", m.name},
              {"ready", m.ready},
              {"readyStatus", m.ready_status},
              {"readyReason", m.ready_reason},
              {"kubernetesVersion", m.kubernetes_version},
              {"labels", m.labels},
              {"provider", m.provider},
              {"region", m.region},
              {"zones", m.zones},
              {"gpuModel", propagation::placement::cluster_gpu_model(*m.object, options)}};
    json gpus = json::array();
    auto capacity = division::parse_cluster_capacity(*m.object, "cluster");
    if (capacity && capacity->summary) {
        const auto& s = *capacity->summary;
        bool reserved_assigned = false;
        // The broker reserves its jobs' GPUs of the default resource first.
        std::vector<std::string> names;
        for (const auto& [name, q] : s.allocatable) {
            if (is_gpu_resource(name)) {
                names.push_back(name);
            }
        }
        std::stable_partition(names.begin(), names.end(),
                              [](const std::string& n) { return n == "nvidia.com/gpu"; });
        for (const auto& name : names) {
            const auto total = whole(s.allocatable, name);
            const auto allocated = whole(s.allocated, name) + whole(s.allocating, name);
            const std::int64_t held = reserved != nullptr && !reserved_assigned ? reserved->gpus : 0;
            reserved_assigned = true;
            gpus.push_back({{"resource", name},
                            {"model", c["gpuModel"]},
                            {"total", total},
                            {"allocated", allocated},
                            {"reserved", held},
                            {"free", std::max<std::int64_t>(0, total - allocated - held)}});
        }
    }
    c["gpus"] = std::move(gpus);
    return c;
}

void add_cluster_list_route(server::router& router, proxy::member_registry& members,
                            store::store& store,
                            std::shared_ptr<const propagation::placement::snapshot_options> options) {
    router.add("GET", "/api/v1/proxy/clusters",
               [&members, &store, options](server::request_context& ctx)
                   -> boost::asio::awaitable<server::response> {
                   if (auth::principal_of(ctx) == nullptr) {
                       co_return server::error_response(401, "authentication required",
                                                        "Unauthorized");
                   }
                   auto snapshot = members.snapshot();
                   // Reservations come from the database; the clusters themselves from memory.
                   std::function<boost::asio::awaitable<store::store_result<store::reserved_map>>()>
                       read = [&store] { return store.outstanding_reservations(); };
                   auto reserved = co_await service::shielded(std::move(read));
                   json items = json::array();
                   for (const auto& m : *snapshot) {
                       const store::resources* r = nullptr;
                       if (reserved) {
                           if (auto it = reserved->find(m.name); it != reserved->end()) {
                               r = &it->second;
                           }
                       }
                       items.push_back(cluster_json(m, r, *options));
                   }
                   json body = {{"items", std::move(items)},
                                {"synced", members.synced()},
                                {"reservationsKnown", static_cast<bool>(reserved)}};
                   co_return server::json_response(200, body);
               });
}

}  // namespace broker::routes
