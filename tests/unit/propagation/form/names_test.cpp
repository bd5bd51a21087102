#include "propagation/form/names.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace propagation::form {
namespace {

using validator = std::function<std::vector<std::string>(std::string_view)>;

struct name_case {
    std::string test_name;
    validator check;
    std::string value;
    std::vector<std::string> expected;  // exact Kubernetes messages; empty: valid
};

class names : public testing::TestWithParam<name_case> {};

TEST_P(names, give_kubernetes_messages) {
    EXPECT_EQ(GetParam().check(GetParam().value), GetParam().expected) << GetParam().value;
}

const std::string label_regex =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const std::string subdomain_regex =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const std::string dns1035_regex =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const std::string key_name_regex =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const std::string label_value_regex =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const std::string env_regex =
    "a valid environment variable name must consist of alphabetic characters, digits, '_', "
    "'-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
    "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";

const validator label = is_dns1123_label;
const validator subdomain = is_dns1123_subdomain;
const validator dns1035 = is_dns1035_label;
const validator key = is_label_key;
const validator value = is_label_value;
const validator env = is_env_var_name;

INSTANTIATE_TEST_SUITE_P(
    table, names,
    testing::Values(
        name_case{"label_my_name_valid", label, "my-name", {}},
        name_case{"label_123_abc_valid", label, "123-abc", {}},
        name_case{"label_63_chars_valid", label, std::string(63, 'a'), {}},
        name_case{"label_64_chars", label, std::string(64, 'a'),
                  {"must be no more than 63 characters"}},
        name_case{"label_upper_case", label, "My-Name", {label_regex}},
        name_case{"label_empty", label, "", {label_regex}},
        name_case{"label_trailing_dash", label, "name-", {label_regex}},
        name_case{"label_with_dots", label, "a.b", {"must not contain dots"}},
        name_case{"label_underscore", label, "a_b", {label_regex}},
        name_case{"subdomain_example_com_valid", subdomain, "example.com", {}},
        name_case{"subdomain_double_dot", subdomain, "a..b", {subdomain_regex}},
        name_case{"subdomain_254_chars", subdomain, std::string(254, 'a'),
                  {"must be no more than 253 characters"}},
        name_case{"subdomain_254_chars_upper", subdomain, std::string(254, 'A'),
                  {"must be no more than 253 characters", subdomain_regex}},
        name_case{"dns1035_my_name_valid", dns1035, "my-name", {}},
        name_case{"dns1035_leading_digit", dns1035, "1abc", {dns1035_regex}},
        name_case{"dns1035_64_chars", dns1035, std::string(64, 'a'),
                  {"must be no more than 63 characters"}},
        name_case{"key_plain_valid", key, "app", {}},
        name_case{"key_prefixed_valid", key, "example.com/My_Name.1", {}},
        name_case{"key_empty_prefix", key, "/name", {"prefix part must be non-empty"}},
        name_case{"key_bad_prefix", key, "Example.com/name",
                  {"prefix part " + subdomain_regex}},
        name_case{"key_empty_name", key, "example.com/",
                  {"name part must be non-empty", key_name_regex}},
        name_case{"key_name_64_chars", key, std::string(64, 'a'),
                  {"name part must be no more than 63 characters"}},
        name_case{"key_two_slashes", key, "a/b/c",
                  {"a valid label key must consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                   "'my.name',  or '123-abc', regex used for validation is "
                   "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                   "prefix and '/' (e.g. 'example.com/MyName')"}},
        name_case{"value_empty_valid", value, "", {}},
        name_case{"value_A100_valid", value, "A100", {}},
        name_case{"value_with_space", value, "A100 80GB", {label_value_regex}},
        name_case{"value_64_chars", value, std::string(64, 'a'),
                  {"must be no more than 63 characters"}},
        name_case{"env_valid", env, "MY_ENV.NAME", {}},
        name_case{"env_leading_digit", env, "1X", {env_regex}},
        name_case{"env_dot", env, ".", {"must not be '.'"}},
        name_case{"env_dotdot_prefix", env, "..x", {"must not start with '..'"}},
        name_case{"env_equals", env, "A=B", {env_regex}}),
    [](const auto& p) { return p.param.test_name; });

TEST(names, join_errors_separates_with_commas) {
    EXPECT_EQ(join_errors({"a", "b"}), "a, b");
    EXPECT_EQ(join_errors({}), "");
}

}  // namespace
}  // namespace propagation::form
