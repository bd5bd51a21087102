// The real clients are the authority: kubectl 1.32 and the Python client against the real
// fedsim executable. Each test skips with a reason when its client is not installed.
#include "tests/integration/fedsim_test_support.hpp"
#include "tests/support/tls_certs.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <thread>

namespace {

using nlohmann::json;
using test_support::command_result;
using test_support::run_command;
using namespace std::chrono_literals;

const char* const kubectl_path = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";

const std::string policy_yaml = R"(apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: train-pp
  namespace: default
spec:
  resourceSelectors:
    - apiVersion: batch/v1
      kind: Job
      name: train-1
  placement:
    clusterAffinity:
      clusterNames: [cluster-1]
)";

const std::string job_yaml = R"(apiVersion: batch/v1
kind: Job
metadata:
  name: train-1
  namespace: default
spec:
  parallelism: 2
  completions: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: trainer
          image: busybox
          command: ["sh", "-c", "echo training"]
          resources:
            limits:
              nvidia.com/gpu: 1
)";

/// kubectl with a private kubeconfig and cache dir, bounded in time.
struct kubectl {
    std::string kubeconfig;
    std::string cache_dir;

    command_result operator()(std::vector<std::string> args, const std::string& stdin_data = {},
                              std::chrono::milliseconds timeout = 60s) const
    {
        std::vector<std::string> argv = {kubectl_path, "--kubeconfig", kubeconfig, "--cache-dir",
                                         cache_dir, "--request-timeout", "20s"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, timeout, stdin_data, {{"HOME", cache_dir}});
    }
};

/// Polls `probe` until it returns true or `deadline` passes (no fixed sleeps as assertions).
template <class F>
bool eventually(F probe, std::chrono::milliseconds deadline = 60s)
{
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        if (probe()) {
            return true;
        }
        std::this_thread::sleep_for(200ms);
    }
    return false;
}

class fedsim_kubectl : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!std::filesystem::exists(kubectl_path)) {
            GTEST_SKIP() << kubectl_path << " is not installed";
        }
        auto exe = fedsim_test::fedsim_exe();
        if (exe.empty() || !std::filesystem::exists(exe)) {
            GTEST_SKIP() << "fedsim executable not built: " << exe;
        }
        kubeconfig_ = (dir_.path / "kubeconfig").string();
        // No --token here: client-go never sends a bearer token over plain HTTP (the TLS test
        // below covers the token).
        std::vector<std::string> args = {"--demo", "--kubeconfig-out", kubeconfig_,
                                         "--time-scale", "20"};
        std::filesystem::path crds = std::filesystem::path(BROKER_SHARED_DIR) / "karmada" / "crds";
        if (std::filesystem::exists(crds)) {
            args.push_back("--crd-dir");
            args.push_back(crds.string());
        }
        fedsim_ = fedsim_test::start_fedsim(args);
        ASSERT_TRUE(fedsim_);
        std::filesystem::create_directories(dir_.path / "cache");
        kc_ = kubectl{kubeconfig_, (dir_.path / "cache").string()};
    }

    fedsim_test::temp_dir dir_;
    std::string kubeconfig_;
    std::unique_ptr<test_support::child_process> fedsim_;
    kubectl kc_;
};

TEST_F(fedsim_kubectl, get_clusters_prints_karmadas_columns)
{
    auto r = kc_({"get", "clusters"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("NAME"), std::string::npos) << r.out;
    for (const char* col : {"VERSION", "MODE", "READY", "AGE"}) {
        EXPECT_NE(r.out.find(col), std::string::npos) << col << "\n" << r.out;
    }
    for (const char* c : {"cluster-1", "cluster-2", "cluster-3"}) {
        EXPECT_NE(r.out.find(c), std::string::npos) << r.out;
    }
    auto j = kc_({"get", "clusters", "-o", "json"});
    ASSERT_EQ(j.exit_code, 0) << j.err;
    auto list = json::parse(j.out);
    EXPECT_EQ(list["items"].size(), 3u);
    auto y = kc_({"get", "cluster", "cluster-2", "-o", "yaml"});
    ASSERT_EQ(y.exit_code, 0) << y.err;
    EXPECT_NE(y.out.find("kind: Cluster"), std::string::npos) << y.out;
}

TEST_F(fedsim_kubectl, apply_policy_and_job_then_binding_pods_and_delete)
{
    auto pp = kc_({"apply", "-f", "-"}, policy_yaml);
    ASSERT_EQ(pp.exit_code, 0) << pp.err << pp.out;
    EXPECT_NE(pp.out.find("propagationpolicy.policy.karmada.io/train-pp created"),
              std::string::npos)
        << pp.out;
    auto job = kc_({"apply", "-f", "-"}, job_yaml);
    ASSERT_EQ(job.exit_code, 0) << job.err << job.out;
    EXPECT_NE(job.out.find("job.batch/train-1 created"), std::string::npos) << job.out;

    // Karmada schedules the job: a ResourceBinding named <job>-job appears.
    bool bound = eventually([&] {
        auto r = kc_({"get", "resourcebindings", "-n", "default", "-o", "json"});
        return r.exit_code == 0 && r.out.find("\"train-1-job\"") != std::string::npos;
    });
    EXPECT_TRUE(bound) << kc_({"get", "resourcebindings", "-A", "-o", "yaml"}).out;

    // The member's pods through the cluster proxy, printed by kubectl from our Table.
    std::string proxy_server = fedsim_->url() +
                               "/apis/cluster.karmada.io/v1alpha1/clusters/cluster-1/proxy";
    command_result pods;
    bool have_pods = eventually([&] {
        pods = kc_({"--server", proxy_server, "get", "pods", "-A"});
        return pods.exit_code == 0 && pods.out.find("train-1") != std::string::npos;
    });
    EXPECT_TRUE(have_pods) << pods.err << pods.out;
    for (const char* col : {"NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"}) {
        EXPECT_NE(pods.out.find(col), std::string::npos) << col << "\n" << pods.out;
    }

    // -o json / -o yaml of the template.
    auto j = kc_({"get", "job", "train-1", "-o", "json"});
    ASSERT_EQ(j.exit_code, 0) << j.err;
    EXPECT_EQ(json::parse(j.out)["kind"], "Job");
    auto y = kc_({"get", "job", "train-1", "-o", "yaml"});
    ASSERT_EQ(y.exit_code, 0) << y.err;
    EXPECT_NE(y.out.find("name: train-1"), std::string::npos);
    auto table = kc_({"get", "jobs"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("COMPLETIONS"), std::string::npos) << table.out;

    // A second apply is a client-side update (strategic merge patch for Job).
    auto again = kc_({"apply", "-f", "-"}, job_yaml);
    ASSERT_EQ(again.exit_code, 0) << again.err << again.out;
    EXPECT_TRUE(again.out.find("unchanged") != std::string::npos ||
                again.out.find("configured") != std::string::npos)
        << again.out;
    auto pp_again = kc_({"apply", "-f", "-"}, policy_yaml);
    ASSERT_EQ(pp_again.exit_code, 0) << pp_again.err << pp_again.out;

    auto del = kc_({"delete", "job", "train-1", "--wait=false"});
    ASSERT_EQ(del.exit_code, 0) << del.err;
    EXPECT_NE(del.out.find("deleted"), std::string::npos) << del.out;
    auto del_pp = kc_({"delete", "propagationpolicy", "train-pp"});
    EXPECT_EQ(del_pp.exit_code, 0) << del_pp.err;
}

TEST_F(fedsim_kubectl, server_side_apply_and_not_found_errors)
{
    auto ssa = kc_({"apply", "--server-side", "-f", "-"}, job_yaml);
    ASSERT_EQ(ssa.exit_code, 0) << ssa.err << ssa.out;
    EXPECT_NE(ssa.out.find("serverside-applied"), std::string::npos) << ssa.out;
    // Applying the unchanged manifest again changes nothing (no "field is immutable").
    auto again = kc_({"apply", "--server-side", "-f", "-"}, job_yaml);
    ASSERT_EQ(again.exit_code, 0) << again.err << again.out;
    EXPECT_NE(again.out.find("serverside-applied"), std::string::npos) << again.out;
    auto missing = kc_({"get", "job", "does-not-exist"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("NotFound"), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find("\"does-not-exist\" not found"), std::string::npos) << missing.err;
}

TEST_F(fedsim_kubectl, python_client_lists_clusters_and_watches_jobs)
{
    const char* python = "/usr/bin/python3";
    auto probe = run_command({python, "-c", "import kubernetes"}, 30s);
    if (probe.exit_code != 0) {
        GTEST_SKIP() << "python3-kubernetes is not installed: " << probe.err;
    }
    std::filesystem::path script =
        std::filesystem::path(BROKER_SOURCE_DIR) / "tests" / "integration" / "fedsim_python_client.py";
    auto r = run_command({python, script.string(), kubeconfig_}, 60s);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("clusters: cluster-1,cluster-2,cluster-3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("watch: ADDED py-job"), std::string::npos) << r.out;
}

TEST(fedsim_kubectl_tls, https_listener_with_kubeconfig_ca_data_and_token)
{
    if (!std::filesystem::exists(kubectl_path)) {
        GTEST_SKIP() << kubectl_path << " is not installed";
    }
    auto exe = fedsim_test::fedsim_exe();
    if (exe.empty() || !std::filesystem::exists(exe)) {
        GTEST_SKIP() << "fedsim executable not built: " << exe;
    }
    fedsim_test::temp_dir dir;
    const auto& tls = test_support::shared_tls_material();
    auto cert = (dir.path / "server.pem").string();
    auto key = (dir.path / "server.key").string();
    // The chain file ends with the CA, so the kubeconfig's certificate-authority-data holds it.
    std::ofstream(cert) << tls.server_cert_pem << tls.ca_cert_pem;
    std::ofstream(key) << tls.server_key_pem;
    auto kubeconfig = (dir.path / "kubeconfig").string();
    auto fs = fedsim_test::start_fedsim({"--demo", "--tls-cert", cert, "--tls-key", key, "--token",
                                         "tls-token", "--kubeconfig-out", kubeconfig});
    ASSERT_TRUE(fs);
    EXPECT_EQ(fs->url().rfind("https://127.0.0.1:", 0), 0u) << fs->url();
    std::filesystem::create_directories(dir.path / "cache");
    kubectl kc{kubeconfig, (dir.path / "cache").string()};
    auto r = kc({"get", "clusters"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("cluster-3"), std::string::npos) << r.out;
}

} // namespace
