#pragma once
/// Forms and placements for the manifest and policy unit tests, built as structs (the tests do
/// not depend on the form parser), and a schema check that every test applies to what it built.
///
/// Thread safety: test-only helpers, single-threaded.

#include "propagation/form/job_form.hpp"
#include "propagation/placement/placement.hpp"
#include "tests/support/crd_schema.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace manifest_test {

inline constexpr const char* job_id = "0b6f3c2e-5d1a-4c1e-9a57-3f1d2e4c5b6a";

/// The seed's example request (shared/seeds/002_*.txt) with the given type.
inline propagation::form::job_form seed_form(
    propagation::form::job_type type = propagation::form::job_type::pytorch) {
    using propagation::quantity;
    propagation::form::job_form f;
    f.name = "pytorch-training";
    f.namespace_ = "default";
    f.type = type;
    f.framework = "pytorch";
    f.image = "pytorch/pytorch:2.0.0-cuda11.7-cudnn8-runtime";
    f.command = {"python train.py --epochs 10"};
    f.command_is_shell = true;
    f.replicas = 4;
    f.cpu_request = quantity::parse("2").value();
    f.memory_request = quantity::parse("4Gi").value();
    f.gpu_request = 1;
    f.hyperparameters = {{"learning_rate", "0.001"}, {"batch_size", "32"}};
    f.target_clusters = {"cluster-1", "cluster-2"};
    return f;
}

inline propagation::placement::placement single_cluster(const std::string& name,
                                                        std::int64_t replicas,
                                                        std::int64_t gpus_per_replica = 1) {
    propagation::placement::placement p;
    p.strategy = propagation::form::placement_strategy::single;
    p.clusters = {{name, replicas, replicas * gpus_per_replica}};
    return p;
}

/// Every violation of every object, against the upstream schemas; empty when all are valid.
/// Skips (with the reason) when shared/ is not there.
inline std::string schema_problems(const std::vector<nlohmann::json>& objects) {
    std::string out;
    const auto& schemas = test_support::broker_schemas();
    for (const auto& o : objects) {
        const auto v = schemas.validate(o);
        if (!v.empty()) {
            out += o.value("kind", "?") + " " + o["metadata"].value("name", "?") + ":\n" +
                   test_support::to_string(v);
        }
    }
    return out;
}

/// The container list of a pod template.
inline const nlohmann::json& containers(const nlohmann::json& pod_template) {
    return pod_template.at("spec").at("containers");
}

}  // namespace manifest_test

#define SKIP_WITHOUT_SHARED()                                                              \
    do {                                                                                   \
        if (!test_support::shared_dir_available()) {                                       \
            GTEST_SKIP() << "shared/ schemas not found at " << test_support::shared_dir(); \
        }                                                                                  \
    } while (false)
