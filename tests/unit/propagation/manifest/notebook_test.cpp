#include "propagation/manifest/notebook.hpp"

#include "propagation/manifest/manifest_builder.hpp"
#include "tests/unit/propagation/manifest/manifest_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace propagation;
using nlohmann::json;

propagation::form::job_form notebook_form() {
    auto f = manifest_test::seed_form(form::job_type::notebook);
    f.name = "lab";
    f.namespace_ = "team-a";
    f.replicas = 1;
    f.command.clear();
    f.command_is_shell = false;
    f.hyperparameters.clear();
    f.storage_size = quantity::parse("20Gi").value();
    f.storage_class = "fast";
    return f;
}

TEST(notebook, pvc_deployment_service_ingress_in_creation_order) {
    SKIP_WITHOUT_SHARED();
    const auto f = notebook_form();
    auto objects = manifest::build_manifests({.form = f, .job_id = manifest_test::job_id});
    ASSERT_TRUE(objects) << objects.error().message;
    ASSERT_EQ(objects->size(), 4u);
    EXPECT_EQ((*objects)[0]["kind"], "PersistentVolumeClaim");
    EXPECT_EQ((*objects)[0]["metadata"]["name"], "lab-data");
    EXPECT_EQ((*objects)[0]["spec"]["accessModes"], json({"ReadWriteOnce"}));
    EXPECT_EQ((*objects)[0]["spec"]["storageClassName"], "fast");
    EXPECT_EQ((*objects)[1]["kind"], "Deployment");
    EXPECT_EQ((*objects)[2]["kind"], "Service");
    EXPECT_EQ((*objects)[3]["kind"], "Ingress");
    for (const auto& o : *objects) {
        EXPECT_EQ(o["metadata"]["name"].get<std::string>().rfind("lab", 0), 0u);
        EXPECT_EQ(o["metadata"]["namespace"], "team-a");
        EXPECT_EQ(o["metadata"]["labels"]["broker.gpufed.io/job-id"], manifest_test::job_id);
    }
    EXPECT_EQ(manifest_test::schema_problems(*objects), "");
}

TEST(notebook, one_replica_whatever_the_form_says_and_service_selects_the_pod) {
    auto f = notebook_form();
    f.replicas = 3;
    std::vector<json> out;
    ASSERT_TRUE(manifest::build_notebook({.form = f, .job_id = manifest_test::job_id}, out));
    const json& deployment = out[0];
    EXPECT_EQ(deployment["spec"]["replicas"], 1);
    EXPECT_EQ(deployment["spec"]["strategy"]["type"], "Recreate");
    const json& selector = deployment["spec"]["selector"]["matchLabels"];
    const json& pod_labels = deployment["spec"]["template"]["metadata"]["labels"];
    for (auto it = selector.begin(); it != selector.end(); ++it) {
        EXPECT_EQ(pod_labels[it.key()], it.value());
    }
    EXPECT_EQ(out[1]["spec"]["selector"], selector);
    const json& c = manifest_test::containers(deployment["spec"]["template"])[0];
    EXPECT_EQ(c["ports"][0]["containerPort"], 8888);
    EXPECT_EQ(c["env"].back(),
              json::parse(R"({"name":"NB_PREFIX","value":"/notebook/team-a/lab"})"));
    const json& path = out[2]["spec"]["rules"][0]["http"]["paths"][0];
    EXPECT_EQ(path["path"], "/notebook/team-a/lab");
    EXPECT_EQ(path["backend"]["service"]["name"], "lab");
}

}  // namespace
