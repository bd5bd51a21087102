#include "broker/service/karmada_objects.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace broker::service {
namespace {

using nlohmann::json;

struct kind_plural {
    std::string_view kind;
    std::string_view plural;
};

constexpr std::array<kind_plural, 11> known_kinds = {{
    {"Job", "jobs"},
    {"PyTorchJob", "pytorchjobs"},
    {"RayJob", "rayjobs"},
    {"RayCluster", "rayclusters"},
    {"Deployment", "deployments"},
    {"Service", "services"},
    {"Ingress", "ingresses"},
    {"PersistentVolumeClaim", "persistentvolumeclaims"},
    {"PropagationPolicy", "propagationpolicies"},
    {"OverridePolicy", "overridepolicies"},
    {"Notebook", "notebooks"},
}};

std::string text_at(const json& obj, std::initializer_list<const char*> path) {
    const json* cur = &obj;
    for (const char* key : path) {
        if (!cur->is_object()) {
            return {};
        }
        auto it = cur->find(key);
        if (it == cur->end()) {
            return {};
        }
        cur = &*it;
    }
    return cur->is_string() ? cur->get<std::string>() : std::string();
}

bool is_workload_kind(std::string_view kind) {
    return kind == "Job" || kind == "PyTorchJob" || kind == "RayJob" || kind == "Deployment";
}

std::string object_path(const json& object) {
    auto collection = collection_path(object);
    return collection ? *collection + "/" + text_at(object, {"metadata", "name"}) : std::string();
}

std::string describe(const json& object) {
    return text_at(object, {"kind"}) + " " + text_at(object, {"metadata", "namespace"}) + "/" +
           text_at(object, {"metadata", "name"});
}

proxy::call_options with_timeout(std::chrono::steady_clock::time_point deadline) {
    proxy::call_options options;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    options.timeout = std::max(left, std::chrono::milliseconds(1));
    return options;
}

}  // namespace

std::optional<std::string> plural_of(std::string_view kind) {
    for (const auto& k : known_kinds) {
        if (k.kind == kind) {
            return std::string(k.plural);
        }
    }
    return std::nullopt;
}

std::optional<std::string> collection_path(const json& object) {
    const auto api_version = text_at(object, {"apiVersion"});
    const auto plural = plural_of(text_at(object, {"kind"}));
    const auto ns = text_at(object, {"metadata", "namespace"});
    if (api_version.empty() || !plural || ns.empty()) {
        return std::nullopt;
    }
    const std::string root = api_version.find('/') == std::string::npos ? "/api/" : "/apis/";
    return root + api_version + "/namespaces/" + ns + "/" + *plural;
}

const json* workload_of(const json& manifests) {
    if (!manifests.is_array()) {
        return nullptr;
    }
    for (const auto& m : manifests) {
        if (is_workload_kind(text_at(m, {"kind"}))) {
            return &m;
        }
    }
    return nullptr;
}

std::string binding_path(std::string_view namespace_, std::string_view name,
                         std::string_view kind) {
    std::string binding(name);
    binding += '-';
    binding += kind;
    std::transform(binding.begin(), binding.end(), binding.begin(), [](unsigned char c) {
        return c == ':' ? '.' : static_cast<char>(std::tolower(c));
    });
    return resource_binding_path(namespace_, binding);
}

std::string resource_binding_path(std::string_view namespace_, std::string_view binding_name) {
    std::string path = "/apis/work.karmada.io/v1alpha2/namespaces/";
    path += namespace_;
    path += "/resourcebindings/";
    path += binding_name;
    return path;
}

std::string binding_path(const json& manifests) {
    const json* workload = workload_of(manifests);
    if (workload == nullptr) {
        return {};
    }
    return binding_path(text_at(*workload, {"metadata", "namespace"}),
                        text_at(*workload, {"metadata", "name"}), text_at(*workload, {"kind"}));
}

proxy::net::awaitable<proxy::kube_result<std::string>> create_job_objects(
    proxy::kube_client& karmada, const json& manifests, std::string_view job_id,
    std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!manifests.is_array()) {
        co_return proxy::transport_error(proxy::kube_errc::invalid_argument,
                                         "the job has no rendered manifests");
    }
    const json* workload = workload_of(manifests);
    std::string template_uid;
    for (const auto& object : manifests) {
        auto collection = collection_path(object);
        if (!collection) {
            co_return proxy::transport_error(proxy::kube_errc::invalid_argument,
                                             "cannot create " + describe(object) +
                                                 ": unknown kind or missing namespace");
        }
        const bool is_template = &object == workload;
        auto options = with_timeout(deadline);
        // Only success matters, except for the template, whose echo carries its uid.
        options.parse_body = is_template;
        auto created = co_await karmada.create(*collection, object, std::move(options));
        if (created) {
            if (is_template) {
                template_uid = text_at(created->body, {"metadata", "uid"});
            }
            continue;
        }
        if (!created.error().conflict() || created.error().reason != "AlreadyExists") {
            co_return created.error();
        }
        // Created by an earlier attempt of ours, or a name clash with someone else's object.
        auto existing = co_await karmada.get(object_path(object), with_timeout(deadline));
        if (!existing) {
            co_return existing.error();
        }
        const json& labels = existing->body["metadata"]["labels"];
        const bool ours = labels.is_object() && labels.contains(job_id_label) &&
                          labels[std::string(job_id_label)] == job_id;
        if (!ours) {
            auto e = created.error();
            e.reason = std::string(name_conflict_reason);
            e.message = describe(object) + " already exists and belongs to another job";
            co_return e;
        }
        if (is_template) {
            template_uid = text_at(existing->body, {"metadata", "uid"});
        }
    }
    if (workload != nullptr && template_uid.empty()) {
        // The uid is what the job's ResourceBinding is recognised by: without it the job could
        // never leave Submitting. Retried like any bad answer.
        co_return proxy::transport_error(proxy::kube_errc::bad_response,
                                         "Karmada answered without the uid of " +
                                             describe(*workload));
    }
    co_return template_uid;
}

proxy::net::awaitable<proxy::kube_result<void>> delete_job_objects(
    proxy::kube_client& karmada, const json& manifests, std::string_view job_id,
    std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!manifests.is_array()) {
        co_return proxy::kube_result<void>{};  // never rendered: nothing was created
    }
    for (auto it = manifests.rbegin(); it != manifests.rend(); ++it) {
        const auto path = object_path(*it);
        if (path.empty()) {
            continue;
        }
        // Only our own object: a job of the same name may own it now (ours failed to create,
        // or was deleted and the name reused).
        auto existing = co_await karmada.get(path, with_timeout(deadline));
        if (!existing) {
            if (existing.error().not_found()) {
                continue;
            }
            co_return existing.error();
        }
        const std::string label_key(job_id_label);
        if (text_at(existing->body, {"metadata", "labels", label_key.c_str()}) != job_id) {
            continue;
        }
        const auto uid = text_at(existing->body, {"metadata", "uid"});
        // Background propagation removes a Job's pods along with it, as `kubectl delete` does;
        // the uid precondition makes sure the object is still the one we looked at.
        json delete_options = json::object();
        delete_options["kind"] = "DeleteOptions";
        delete_options["apiVersion"] = "v1";
        delete_options["propagationPolicy"] = "Background";
        if (!uid.empty()) {
            delete_options["preconditions"] = json::object();
            delete_options["preconditions"]["uid"] = uid;
        }
        auto removed = co_await karmada.remove(path, with_timeout(deadline), delete_options);
        if (!removed && !removed.error().not_found() && !removed.error().conflict()) {
            co_return removed.error();
        }
    }
    co_return proxy::kube_result<void>{};
}

}  // namespace broker::service
