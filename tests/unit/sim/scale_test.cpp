// The model at the target scale: 100 member clusters × 1,000 nodes and 100,000 pods. Disabled by
// default (it takes a while on a shared machine); run with
//   unit_sim --gtest_also_run_disabled_tests --gtest_filter='*scale*'
// It asserts what it built and prints the timings and the resident memory, never asserting them.
#include "sim/model/federation.hpp"

#include <gtest/gtest.h>

#include <malloc.h>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace fedsim::model {
namespace {

using nlohmann::json;

long resident_mib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stol(line.substr(6)) / 1024;
    }
    return -1;
}

TEST(model_scale, DISABLED_hundred_clusters_thousand_nodes_hundred_thousand_pods) {
    using clock = std::chrono::steady_clock;
    // FEDSIM_SCALE_CLUSTERS / FEDSIM_SCALE_HISTORY shrink or tune the run for experiments.
    auto env = [](const char* name, long def) {
        const char* v = std::getenv(name);
        return v ? std::atol(v) : def;
    };
    const long clusters = env("FEDSIM_SCALE_CLUSTERS", 100);
    federation_config cfg;
    cfg.events = false;
    cfg.member_history = static_cast<std::size_t>(env("FEDSIM_SCALE_HISTORY", 128));
    for (long i = 0; i < clusters; ++i) {
        cluster_config c;
        c.name = "member-" + std::to_string(i);
        c.labels["gpu.model"] = "A100";
        node_group g;
        g.count = 1000;
        g.name_prefix = c.name + "-node";
        g.cpu = "64";
        g.memory = "512Gi";
        g.gpus = 8;
        g.gpu_model = "A100";
        c.nodes.push_back(g);
        c.workload.run_seconds = 3600;
        cfg.clusters.push_back(std::move(c));
    }
    auto t0 = clock::now();
    auto start = time_point(std::chrono::seconds(1790000000));
    auto fed = federation::create(cfg, start);
    ASSERT_TRUE(fed);
    auto t1 = clock::now();
    const auto* pods = (*fed)->registry().find("", "v1", "pods");
    const auto* nss = (*fed)->registry().find("", "v1", "namespaces");
    json pod = {
        {"metadata", {{"generateName", "worker-"}}},
        {"spec",
         {{"restartPolicy", "Never"},
          {"containers",
           json::array(
               {{{"name", "main"},
                 {"image", "busybox:1.36"},
                 {"resources",
                  {{"requests", {{"cpu", "1"}, {"memory", "1Gi"}, {"nvidia.com/gpu", 1}}}}}}})}}}};
    std::size_t created = 0;
    for (const auto& name : (*fed)->member_names()) {
        auto* m = (*fed)->member(name);
        ASSERT_TRUE(m->create(*nss, "", json{{"metadata", {{"name", "ml"}}}}));
        for (int i = 0; i < 1000; ++i) {
            if (m->create(*pods, "ml", pod))
                ++created;
        }
    }
    auto t2 = clock::now();
    (*fed)->advance(start + std::chrono::seconds(5));
    auto t3 = clock::now();
    list_options none;
    auto page = (*fed)->member("member-" + std::to_string(clusters / 2))->list(*pods, "ml", none);
    ASSERT_TRUE(page);
    auto body =
        (*fed)->member("member-" + std::to_string(clusters / 2))->serialize_list(*pods, *page);
    auto t5 = clock::now();
    auto again =
        (*fed)->member("member-" + std::to_string(clusters / 2))->serialize_list(*pods, *page);
    auto t4 = clock::now();
    EXPECT_EQ(created, static_cast<std::size_t>(clusters) * 1000u);
    EXPECT_EQ(page->items.size(), 1000u);
    EXPECT_EQ(body, again);
    EXPECT_EQ(json::parse(body), to_list_json(*pods, *page));
    auto ms = [](auto a, auto b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
    };
    std::cout << "build " << ms(t0, t1) << " ms; " << created << " creates " << ms(t1, t2)
              << " ms (" << static_cast<double>(created) / (ms(t1, t2) / 1000.0) << "/s); advance "
              << ms(t2, t3) << " ms; list+serialise 1000 pods " << ms(t3, t5)
              << " ms, again (cached) " << ms(t5, t4) << " ms (" << body.size() << " bytes); RSS "
              << resident_mib() << " MiB, in use " << mallinfo2().uordblks / (1024 * 1024)
              << " MiB";
    malloc_trim(0);
    std::cout << ", RSS after malloc_trim " << resident_mib() << " MiB\n";
}

}  // namespace
}  // namespace fedsim::model
