// Golden tests: tests/golden/<kind>/*.yaml, one case per file (the Karmada interpreter
// testdata shape): a header comment, then
//   name, description, job_id, form (the JobForm JSON), placement (the solver's answer),
//   expected_manifests (every object, in creation order), expected_policy.
// Each case is rendered and compared exactly, and every expected object is validated against
// the upstream schemas (tests/support/crd_schema.hpp), so a golden file can never bless an
// object the API server would reject or prune.
//
// GOLDEN_UPDATE=1 rewrites expected_manifests / expected_policy from the current output
// (header comment and inputs kept); review the diff before committing it.

#include "propagation/form/job_form.hpp"
#include "propagation/manifest/manifest_builder.hpp"
#include "propagation/policy/propagation_policy.hpp"
#include "tests/support/crd_schema.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path golden_dir() {
    return fs::path(BROKER_SOURCE_DIR) / "tests" / "golden";
}

std::vector<fs::path> golden_files() {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(golden_dir())) {
        if (e.is_regular_file() && e.path().extension() == ".yaml") {
            files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The leading comment block of a golden file, kept verbatim on update.
std::string header_of(const std::string& text) {
    std::string header;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind('#', 0) != 0) {
            break;
        }
        header += line + "\n";
    }
    return header;
}

propagation::placement::placement placement_from(const json& j) {
    using propagation::form::placement_strategy;
    propagation::placement::placement p;
    const auto s = j.at("strategy").get<std::string>();
    if (s == "spread") {
        p.strategy = placement_strategy::spread;
    } else if (s == "pack") {
        p.strategy = placement_strategy::pack;
    } else if (s == "single") {
        p.strategy = placement_strategy::single;
    } else if (s == "duplicate") {
        p.strategy = placement_strategy::duplicate;
    } else {
        throw std::runtime_error("placement.strategy: unknown " + s);
    }
    for (const auto& c : j.at("clusters")) {
        p.clusters.push_back({c.at("name").get<std::string>(), c.at("replicas").get<std::int64_t>(),
                              c.at("gpus").get<std::int64_t>()});
    }
    if (j.contains("rejected")) {
        for (const auto& r : j["rejected"]) {
            p.rejected.push_back(
                {r.at("name").get<std::string>(), r.at("reason").get<std::string>()});
        }
    }
    return p;
}

struct rendered {
    json manifests;
    json policy;
};

rendered render(const json& doc) {
    auto f = propagation::form::parse_job_form(doc.at("form"));
    if (!f) {
        throw std::runtime_error("form: " + f.error().message);
    }
    const auto p = placement_from(doc.at("placement"));
    const auto job_id = doc.at("job_id").get<std::string>();
    auto objects =
        propagation::manifest::build_manifests({.form = *f, .job_id = job_id, .placement = &p});
    if (!objects) {
        throw std::runtime_error("build_manifests: " + objects.error().message);
    }
    auto policy = propagation::policy::build_propagation_policy(
        {.form = *f, .job_id = job_id, .placement = p, .objects = *objects});
    if (!policy) {
        throw std::runtime_error("build_propagation_policy: " + policy.error().message);
    }
    return {json(*objects), std::move(*policy)};
}

void rewrite(const fs::path& file, const std::string& original, const json& doc,
             const rendered& out) {
    std::string text = header_of(original);
    for (const char* key : {"name", "description", "job_id", "form", "placement"}) {
        text += test_support::to_yaml(json{{key, doc.at(key)}});
    }
    text += test_support::to_yaml(json{{"expected_manifests", out.manifests}});
    text += test_support::to_yaml(json{{"expected_policy", out.policy}});
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

class golden : public ::testing::TestWithParam<fs::path> {};

TEST_P(golden, renders_exactly_and_expected_objects_are_schema_valid) {
    const fs::path file = GetParam();
    const std::string text = read_text(file);
    ASSERT_FALSE(header_of(text).empty()) << file << ": a golden file starts with a comment";
    const json doc = test_support::parse_yaml(text);
    for (const char* key : {"name", "description", "job_id", "form", "placement"}) {
        ASSERT_TRUE(doc.contains(key)) << file << ": missing " << key;
    }
    const rendered out = render(doc);

    const char* update = std::getenv("GOLDEN_UPDATE");
    if (update != nullptr && std::string(update) == "1") {
        rewrite(file, text, doc, out);
        std::cout << "rewrote " << file << "\n";
    } else {
        ASSERT_TRUE(doc.contains("expected_manifests") && doc.contains("expected_policy"))
            << file << ": no expected output yet; run with GOLDEN_UPDATE=1 and review the diff";
        EXPECT_EQ(doc["expected_manifests"], out.manifests)
            << "diff (expected → rendered): "
            << json::diff(doc["expected_manifests"], out.manifests).dump(2);
        EXPECT_EQ(doc["expected_policy"], out.policy)
            << "diff (expected → rendered): "
            << json::diff(doc["expected_policy"], out.policy).dump(2);
    }

    if (!test_support::shared_dir_available()) {
        GTEST_SKIP() << "rendered output compared; schema check skipped: shared/ not found at "
                     << test_support::shared_dir();
    }
    const auto& schemas = test_support::broker_schemas();
    const json& manifests =
        doc.contains("expected_manifests") ? doc["expected_manifests"] : out.manifests;
    for (const auto& object : manifests) {
        EXPECT_EQ(test_support::to_string(schemas.validate(object)), "")
            << object.value("kind", "?") << " " << object["metadata"].value("name", "?");
    }
    const json& policy = doc.contains("expected_policy") ? doc["expected_policy"] : out.policy;
    EXPECT_EQ(test_support::to_string(schemas.validate(policy)), "") << "policy";
}

std::string case_name(const ::testing::TestParamInfo<fs::path>& info) {
    std::string name = fs::relative(info.param, golden_dir()).replace_extension().string();
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            c = '_';
        }
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(cases, golden, ::testing::ValuesIn(golden_files()), case_name);

// The seed's example request must be accepted as it is (CONTRACTS.md §5); the pytorch golden
// case renders exactly that text, taken from shared/seeds at test time.
TEST(golden_seed, pytorch_seed_case_uses_the_seed_request_verbatim) {
    const fs::path seeds = test_support::shared_dir() / "seeds";
    if (!fs::exists(seeds)) {
        GTEST_SKIP() << "shared/seeds not found at " << seeds;
    }
    std::string seed_text;
    for (const auto& e : fs::directory_iterator(seeds)) {
        if (e.path().filename().string().rfind("002_", 0) == 0) {
            seed_text = read_text(e.path());
        }
    }
    const auto start = seed_text.find("-d '{");
    ASSERT_NE(start, std::string::npos) << "no curl -d body in the 002 seed";
    const auto end = seed_text.find("}'", start);
    ASSERT_NE(end, std::string::npos);
    const json seed_form = json::parse(seed_text.substr(start + 4, end + 1 - (start + 4)));
    const json doc = test_support::load_yaml_file(golden_dir() / "pytorch" / "seed-example.yaml");
    EXPECT_EQ(doc.at("form"), seed_form);
}

}  // namespace
