// Pure helpers of the Karmada object pipeline and the reconciler's backoff.
#include "broker/service/job_service.hpp"
#include "broker/service/karmada_objects.hpp"
#include "broker/service/reconciler.hpp"
#include "broker/service/shielded.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json object(const char* api_version, const char* kind, const char* ns, const char* name) {
    json o = json::object();
    o["apiVersion"] = api_version;
    o["kind"] = kind;
    o["metadata"] = json::object();
    o["metadata"]["name"] = name;
    if (ns[0] != '\0') {
        o["metadata"]["namespace"] = ns;
    }
    return o;
}

struct path_case {
    const char* name;
    json object;
    std::optional<std::string> collection;
};

TEST(karmada_objects, collection_path_by_group_version_kind_and_namespace) {
    const std::vector<path_case> cases = {
        {"core PVC", object("v1", "PersistentVolumeClaim", "ml", "data"),
         "/api/v1/namespaces/ml/persistentvolumeclaims"},
        {"batch Job", object("batch/v1", "Job", "ml", "j"), "/apis/batch/v1/namespaces/ml/jobs"},
        {"PyTorchJob", object("kubeflow.org/v1", "PyTorchJob", "default", "p"),
         "/apis/kubeflow.org/v1/namespaces/default/pytorchjobs"},
        {"Volcano Job", object("batch.volcano.sh/v1alpha1", "Job", "ml", "v"),
         "/apis/batch.volcano.sh/v1alpha1/namespaces/ml/jobs"},
        {"PropagationPolicy", object("policy.karmada.io/v1alpha1", "PropagationPolicy", "ml", "pp"),
         "/apis/policy.karmada.io/v1alpha1/namespaces/ml/propagationpolicies"},
        {"unknown kind", object("v1", "Secret", "ml", "s"), std::nullopt},
        {"no namespace", object("batch/v1", "Job", "", "j"), std::nullopt},
        {"not an object", json::array(), std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(broker::service::collection_path(c.object), c.collection) << c.name;
    }
}

TEST(karmada_objects, binding_path_names_the_workloads_resource_binding) {
    json manifests = json::array({object("policy.karmada.io/v1alpha1", "PropagationPolicy", "ml",
                                         "train-propagation"),
                                  object("kubeflow.org/v1", "PyTorchJob", "ml", "train")});
    EXPECT_EQ(broker::service::binding_path(manifests),
              "/apis/work.karmada.io/v1alpha2/namespaces/ml/resourcebindings/train-pytorchjob");
    EXPECT_EQ(broker::service::binding_path(json::array()), "");
    EXPECT_EQ(broker::service::binding_path(json()), "");
    EXPECT_EQ(broker::service::binding_path("ml", "train", "PyTorchJob"),
              broker::service::binding_path(manifests));
}

TEST(reconciler, retry_delay_doubles_from_initial_up_to_max) {
    const std::vector<std::pair<int, std::chrono::milliseconds>> cases = {
        {1, 500ms}, {2, 1000ms}, {3, 2000ms}, {7, 30000ms}, {60, 30000ms}};
    for (const auto& [attempt, expected] : cases) {
        EXPECT_EQ(broker::service::retry_delay(attempt, 500ms, 30000ms), expected) << attempt;
    }
}

TEST(reconciler, a_binding_moves_a_job_only_when_it_binds_the_jobs_own_template) {
    using broker::service::binding_use;
    using broker::service::use_of_binding;
    using broker::store::job_state;
    struct row {
        job_state state;
        const char* template_uid;
        const char* bound_uid;
        bool deleted;
        binding_use expected;
        const char* why;
    };
    const row rows[] = {
        {job_state::submitting, "u1", "u1", false, binding_use::apply, "its own binding"},
        {job_state::running, "u1", "u1", true, binding_use::apply, "its own binding went away"},
        {job_state::submitting, "u1", "u0", false, binding_use::ignore, "a namesake's binding"},
        {job_state::running, "u1", "u0", false, binding_use::ignore, "a namesake's binding"},
        {job_state::running, "u1", "", false, binding_use::ignore, "a binding without a uid"},
        {job_state::submitting, "", "u0", false, binding_use::wait, "creation not recorded"},
        {job_state::submitting, "", "u0", true, binding_use::ignore, "a deletion, not recorded"},
        {job_state::submitting, "u1", "u1", true, binding_use::ignore, "a deletion while Submitting"},
        {job_state::running, "", "u0", false, binding_use::apply, "recorded before uids"},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(use_of_binding(r.state, r.template_uid, r.bound_uid, r.deleted), r.expected)
            << r.why;
    }
}

TEST(job_service, is_job_id_accepts_only_canonical_uuids) {
    EXPECT_TRUE(broker::service::is_job_id("0f8fad5b-d9cb-469f-a165-70867728950e"));
    EXPECT_FALSE(broker::service::is_job_id("0f8fad5bd9cb469fa16570867728950e"));
    EXPECT_FALSE(broker::service::is_job_id("0f8fad5b-d9cb-469f-a165-70867728950z"));
    EXPECT_FALSE(broker::service::is_job_id("../etc/passwd"));
    EXPECT_FALSE(broker::service::is_job_id(""));
}

TEST(shielded, returns_the_value_of_the_detached_call) {
    boost::asio::io_context io;
    int result = 0;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            std::function<boost::asio::awaitable<int>()> call =
                []() -> boost::asio::awaitable<int> { co_return 42; };
            result = co_await broker::service::shielded(std::move(call));
        },
        boost::asio::detached);
    io.run();
    EXPECT_EQ(result, 42);
}

}  // namespace
