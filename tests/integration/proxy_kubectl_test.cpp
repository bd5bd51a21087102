// kubectl 1.32 against the broker's /federation API (served in-process over TLS, with a JWT in
// the kubeconfig: client-go sends bearer tokens only over HTTPS) in front of the real fedsim.
#include "tests/integration/proxy_support.hpp"

#include "broker/auth/jwt.hpp"

namespace {

using namespace proxy_test_support;
using nlohmann::json;
using test_support::command_result;
using test_support::run_command;

const char* const kubectl_path = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";

class proxy_kubectl : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!std::filesystem::exists(kubectl_path)) {
            GTEST_SKIP() << kubectl_path << " is not installed";
        }
        fedsim_ = fedsim_test::start_fedsim({"--demo", "--time-scale", "20"});
        if (!fedsim_) {
            GTEST_SKIP() << "fedsim executable not built: " << fedsim_test::fedsim_exe();
        }
        create_job(fedsim_->port(), "dup-job", "a", json::array({"cluster-1", "cluster-2"}));
        create_job(fedsim_->port(), "solo-job", "b", json::array({"cluster-3"}));
        broker_ = std::make_unique<broker_under_test>(fedsim_->url(), true,
                                                      broker::routes::proxy_route_options{},
                                                      dir_.path.string());
        ASSERT_TRUE(broker_->wait_synced(3));

        broker::auth::sign_request req;
        req.user = "ops";
        req.roles = {"admin"};
        req.issued_at = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
        auto token = broker::auth::sign_token(broker_->jwt_key_pem, req);
        ASSERT_TRUE(token.token) << token.error;
        kubeconfig_ = (dir_.path / "kubeconfig").string();
        std::ofstream(kubeconfig_)
            << "apiVersion: v1\nkind: Config\nclusters:\n- name: fed\n  cluster:\n"
            << "    server: https://127.0.0.1:" << broker_->port << "/federation\n"
            << "    certificate-authority: " << (dir_.path / "ca.crt").string() << "\n"
            << "users:\n- name: ops\n  user:\n    token: " << *token.token << "\n"
            << "contexts:\n- name: fed\n  context: {cluster: fed, user: ops}\n"
            << "current-context: fed\n";
        std::filesystem::create_directories(dir_.path / "cache");
        // Pods of the three jobs are created asynchronously by fedsim.
        ASSERT_TRUE(eventually([&] {
            auto r = kubectl({"get", "jobs", "-A", "-o", "json"});
            return r.exit_code == 0 && json::parse(r.out)["items"].size() == 3;
        }));
    }

    command_result kubectl(std::vector<std::string> args)
    {
        std::vector<std::string> argv = {kubectl_path, "--kubeconfig", kubeconfig_,
                                         "--cache-dir", (dir_.path / "cache").string(),
                                         "--request-timeout", "20s"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, 60s, {}, {{"HOME", dir_.path.string()}});
    }

    fedsim_test::temp_dir dir_;
    std::unique_ptr<test_support::child_process> fedsim_;
    std::unique_ptr<broker_under_test> broker_;
    std::string kubeconfig_;
};

TEST_F(proxy_kubectl, get_pods_all_namespaces_prints_a_cluster_column)
{
    command_result r;
    ASSERT_TRUE(eventually([&] {
        r = kubectl({"get", "pods", "-A"});
        return r.exit_code == 0 && r.out.find("solo-job") != std::string::npos &&
               r.out.find("dup-job") != std::string::npos;
    })) << r.err << r.out;
    for (const char* col : {"NAMESPACE", "NAME", "READY", "STATUS", "CLUSTER"}) {
        EXPECT_NE(r.out.find(col), std::string::npos) << col << "\n" << r.out;
    }
    for (const char* c : {"cluster-1", "cluster-2", "cluster-3"}) {
        EXPECT_NE(r.out.find(c), std::string::npos) << c << "\n" << r.out;
    }
}

TEST_F(proxy_kubectl, get_nodes_and_jobs_show_every_member)
{
    auto nodes = kubectl({"get", "nodes"});
    ASSERT_EQ(nodes.exit_code, 0) << nodes.err;
    for (const char* n : {"c1-a100-0", "c2-h100-0", "c3-l40s-3", "CLUSTER"}) {
        EXPECT_NE(nodes.out.find(n), std::string::npos) << n << "\n" << nodes.out;
    }
    auto jobs = kubectl({"get", "jobs", "-A"});
    ASSERT_EQ(jobs.exit_code, 0) << jobs.err;
    // The duplicated job is printed once per cluster, never merged.
    std::size_t count = 0;
    for (auto at = jobs.out.find("dup-job"); at != std::string::npos;
         at = jobs.out.find("dup-job", at + 1)) {
        ++count;
    }
    EXPECT_EQ(count, 2u) << jobs.out;
}

TEST_F(proxy_kubectl, get_by_name_as_yaml_and_json_and_duplicates_conflict)
{
    auto pods = json::parse(kubectl({"get", "pods", "-n", "default", "-o", "json"}).out);
    std::string solo_pod;
    for (const auto& p : pods["items"]) {
        if (p["metadata"]["annotations"]["resource.karmada.io/cached-from-cluster"] ==
            "cluster-3") {
            solo_pod = p["metadata"]["name"];
        }
    }
    ASSERT_FALSE(solo_pod.empty()) << pods.dump();
    auto y = kubectl({"get", "pod", solo_pod, "-n", "default", "-o", "yaml"});
    ASSERT_EQ(y.exit_code, 0) << y.err;
    EXPECT_NE(y.out.find("kind: Pod"), std::string::npos) << y.out;
    EXPECT_NE(y.out.find("resource.karmada.io/cached-from-cluster: cluster-3"), std::string::npos)
        << y.out;
    auto table = kubectl({"get", "job", "solo-job", "-n", "default"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("cluster-3"), std::string::npos) << table.out;

    auto dup = kubectl({"get", "job", "dup-job", "-n", "default", "-o", "yaml"});
    EXPECT_NE(dup.exit_code, 0);
    EXPECT_NE(dup.err.find("Conflict"), std::string::npos) << dup.err;
    EXPECT_NE(dup.err.find("cluster-1"), std::string::npos) << dup.err;
    EXPECT_NE(dup.err.find("cluster-2"), std::string::npos) << dup.err;

    auto secrets = kubectl({"get", "secrets", "-A"});
    EXPECT_NE(secrets.exit_code, 0);  // not even discoverable
}

}  // namespace
