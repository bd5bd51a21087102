// Label and field selector syntax as the API server accepts it.
#include "sim/model/selectors.hpp"

#include "sim/model/resource_registry.hpp"

#include <gtest/gtest.h>

namespace fedsim::model {
namespace {

using nlohmann::json;

TEST(label_selector, matches_every_operator) {
    const json labels = {{"app", "train"}, {"tier", "gpu"}, {"team", "ml"}};
    struct row {
        const char* selector;
        bool match;
    };
    const row rows[] = {
        {"", true},
        {"app=train", true},
        {"app==train", true},
        {"app!=train", false},
        {"app!=serve", true},
        {"missing!=x", true},
        {"tier in (gpu,cpu)", true},
        {"tier in (cpu)", false},
        {"tier notin (cpu)", true},
        {"tier notin (gpu)", false},
        {"missing notin (gpu)", true},
        {"team", true},
        {"missing", false},
        {"!missing", true},
        {"!team", false},
        {"app=train,tier in (gpu),!missing", true},
        {"app=train, tier=cpu", false},
        {"  app = train ", true},
    };
    for (const auto& r : rows) {
        auto sel = label_selector::parse(r.selector);
        ASSERT_TRUE(sel) << r.selector << ": " << sel.error().message;
        EXPECT_EQ(sel->matches(labels), r.match) << r.selector;
    }
}

TEST(label_selector, rejects_bad_syntax_with_bad_request) {
    for (const char* bad : {"app in train", "=x", "app=a b", "a,,b", "tier in (a", "Bad Key=1"}) {
        auto sel = label_selector::parse(bad);
        ASSERT_FALSE(sel) << bad;
        EXPECT_EQ(sel.error().code, 400) << bad;
        EXPECT_EQ(sel.error().reason, "BadRequest") << bad;
    }
}

TEST(label_selector, from_metav1_label_selector) {
    json sel = {{"matchLabels", {{"app", "x"}}},
                {"matchExpressions",
                 json::array({{{"key", "tier"}, {"operator", "In"}, {"values", {"a", "b"}}}})}};
    auto s = label_selector::from_json(sel);
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->matches(json{{"app", "x"}, {"tier", "b"}}));
    EXPECT_FALSE(s->matches(json{{"app", "x"}, {"tier", "c"}}));
    EXPECT_TRUE(label_selector::from_json(json())->matches(json::object()));
}

TEST(field_selector, metadata_fields_and_pod_fields) {
    auto reg = resource_registry::builtin();
    const auto* pods = reg.find("", "v1", "pods");
    json pod = {{"metadata", {{"name", "p1"}, {"namespace", "ml"}}},
                {"spec", {{"nodeName", "n1"}}},
                {"status", {{"phase", "Running"}}}};
    struct row {
        const char* selector;
        bool match;
    };
    const row rows[] = {{"metadata.name=p1", true},
                        {"metadata.name==p1", true},
                        {"metadata.name!=p1", false},
                        {"metadata.namespace=ml", true},
                        {"status.phase=Running", true},
                        {"spec.nodeName=n2", false},
                        {"status.phase!=Pending,metadata.name=p1", true}};
    for (const auto& r : rows) {
        auto sel = field_selector::parse(r.selector, *pods);
        ASSERT_TRUE(sel) << r.selector;
        EXPECT_EQ(sel->matches(pod), r.match) << r.selector;
    }
    auto bad = field_selector::parse("spec.foo=1", *pods);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "field label not supported: spec.foo");
}

}  // namespace
}  // namespace fedsim::model
