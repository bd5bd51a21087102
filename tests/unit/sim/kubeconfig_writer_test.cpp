// The kubeconfig fedsim writes: valid YAML with the fields kubectl and the Python client read.
#include "sim/api/kubeconfig_writer.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace fedsim::api {
namespace {

struct base64_case {
    std::string input;
    std::string encoded;
};

TEST(kubeconfig_writer, base64_matches_rfc4648_vectors)
{
    const std::vector<base64_case> cases = {{"", ""},         {"f", "Zg=="},
                                            {"fo", "Zm8="},    {"foo", "Zm9v"},
                                            {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                            {"foobar", "Zm9vYmFy"}};
    for (const auto& c : cases) {
        EXPECT_EQ(base64_encode(c.input), c.encoded) << c.input;
    }
}

struct render_case {
    const char* name;
    std::string ca_pem;
    std::string token;
};

TEST(kubeconfig_writer, rendered_yaml_round_trips_server_ca_and_token)
{
    const std::vector<render_case> cases = {
        {"plain_http_no_token", "", ""},
        {"tls_with_token", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
         "s3cret"},
        {"token_with_quote_and_backslash", "", "a\"b\\c"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto text = render_kubeconfig("https://127.0.0.1:6443", c.ca_pem, c.token);
        YAML::Node doc = YAML::Load(text);
        EXPECT_EQ(doc["kind"].as<std::string>(), "Config");
        EXPECT_EQ(doc["current-context"].as<std::string>(), "fedsim");
        auto cluster = doc["clusters"][0]["cluster"];
        EXPECT_EQ(cluster["server"].as<std::string>(), "https://127.0.0.1:6443");
        if (c.ca_pem.empty()) {
            EXPECT_FALSE(cluster["certificate-authority-data"]);
        } else {
            EXPECT_EQ(cluster["certificate-authority-data"].as<std::string>(),
                      base64_encode(c.ca_pem));
        }
        auto user = doc["users"][0]["user"];
        if (c.token.empty()) {
            EXPECT_FALSE(user["token"]);
        } else {
            EXPECT_EQ(user["token"].as<std::string>(), c.token);
        }
        auto context = doc["contexts"][0]["context"];
        EXPECT_EQ(context["cluster"].as<std::string>(), "fedsim");
        EXPECT_EQ(context["user"].as<std::string>(), "fedsim");
    }
}

TEST(kubeconfig_writer, written_file_is_private_and_missing_directory_is_reported)
{
    auto dir = std::filesystem::temp_directory_path() /
               ("fedsim-kubeconfig-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto path = dir / "kc.yaml";
    EXPECT_EQ(write_kubeconfig(path, "http://127.0.0.1:1", "", "t"), "");
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), render_kubeconfig("http://127.0.0.1:1", "", "t"));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(std::filesystem::exists(dir / "kc.yaml.tmp"));

    auto error = write_kubeconfig(dir / "absent" / "kc.yaml", "http://127.0.0.1:1", "", "");
    EXPECT_NE(error.find("absent/kc.yaml"), std::string::npos) << error;
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace fedsim::api
