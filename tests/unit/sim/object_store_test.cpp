// Storage semantics of fedsim's object_store: every error code and message the API server gives.
#include "sim/model/object_store.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace fedsim::model {
namespace {

using nlohmann::json;

class store_test : public ::testing::Test {
protected:
    store_test() : registry_(resource_registry::builtin()), store_(registry_, "test", 7, 64) {
        store_.set_time(std::chrono::system_clock::time_point(std::chrono::seconds(1790000000)));
        ns_ = registry_.find("", "v1", "namespaces");
        jobs_ = registry_.find("batch", "v1", "jobs");
        pods_ = registry_.find("", "v1", "pods");
        cms_ = registry_.find("", "v1", "configmaps");
        pps_ = registry_.find("policy.karmada.io", "v1alpha1", "propagationpolicies");
        EXPECT_TRUE(store_.create(*ns_, "", json{{"metadata", {{"name", "ml"}}}}));
    }

    static json job(const std::string& name) {
        return {{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata", {{"name", name}}},
                {"spec",
                 {{"template",
                   {{"spec",
                     {{"restartPolicy", "Never"},
                      {"containers",
                       json::array({{{"name", "main"}, {"image", "busybox:1.36"}}})}}}}}}}};
    }
    static json cm(const std::string& name, json labels = json::object()) {
        return {{"metadata", {{"name", name}, {"labels", labels}}}, {"data", {{"k", "v"}}}};
    }

    resource_registry registry_;
    object_store store_;
    const resource_info* ns_ = nullptr;
    const resource_info* jobs_ = nullptr;
    const resource_info* pods_ = nullptr;
    const resource_info* cms_ = nullptr;
    const resource_info* pps_ = nullptr;
};

TEST_F(store_test, create_fills_metadata_and_job_defaults) {
    auto r = store_.create(*jobs_, "ml", job("train"));
    ASSERT_TRUE(r) << r.error().message;
    const json& o = **r;
    EXPECT_EQ(o["metadata"]["namespace"], "ml");
    EXPECT_EQ(o["metadata"]["uid"].get<std::string>().size(), 36u);
    EXPECT_EQ(o["metadata"]["creationTimestamp"], "2026-09-21T14:13:20Z");
    EXPECT_EQ(o["metadata"]["generation"], 1);
    EXPECT_EQ(o["spec"]["completions"], 1);
    EXPECT_EQ(o["spec"]["backoffLimit"], 6);
    EXPECT_EQ(o["spec"]["template"]["metadata"]["labels"]["job-name"], "train");
    EXPECT_EQ(o["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
              o["metadata"]["uid"]);
}

TEST_F(store_test, create_errors_are_worded_as_kube_apiserver) {
    struct row {
        const char* name;
        std::string ns;
        json body;
        int code;
        std::string reason;
        std::string message;
    };
    ASSERT_TRUE(store_.create(*jobs_, "ml", job("taken")));
    json bad_name = job("Bad_Name");
    json no_name = job("");
    json other_ns = job("x");
    other_ns["metadata"]["namespace"] = "other";
    json always = job("always");
    always["spec"]["template"]["spec"]["restartPolicy"] = "Always";
    std::vector<row> rows = {
        {"already exists", "ml", job("taken"), 409, "AlreadyExists",
         "jobs.batch \"taken\" already exists"},
        {"namespace missing", "nope", job("a"), 404, "NotFound", "namespaces \"nope\" not found"},
        {"namespace mismatch", "ml", other_ns, 400, "BadRequest",
         "the namespace of the provided object does not match the namespace sent on the request"},
        {"missing name", "ml", no_name, 422, "Invalid",
         "Job.batch \"\" is invalid: metadata.name: Required value: name or generateName is "
         "required"},
        {"bad name", "ml", bad_name, 422, "Invalid",
         "Job.batch \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a "
         "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
         "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
         "regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
        {"restartPolicy Always", "ml", always, 422, "Invalid",
         "Job.batch \"always\" is invalid: spec.template.spec.restartPolicy: Unsupported value: "
         "\"Always\": supported values: \"OnFailure\", \"Never\""},
    };
    for (const auto& r : rows) {
        auto res = store_.create(*jobs_, r.ns, r.body);
        ASSERT_FALSE(res) << r.name;
        EXPECT_EQ(res.error().code, r.code) << r.name;
        EXPECT_EQ(res.error().reason, r.reason) << r.name;
        EXPECT_EQ(res.error().message, r.message) << r.name;
    }
    auto exists = store_.create(*jobs_, "ml", job("taken"));
    json status = exists.error().to_status();
    EXPECT_EQ(status["details"], (json{{"name", "taken"}, {"group", "batch"}, {"kind", "jobs"}}));
    EXPECT_EQ(status["kind"], "Status");
    EXPECT_EQ(status["status"], "Failure");
}

TEST_F(store_test, generate_name_appends_five_characters) {
    json body = cm("");
    body["metadata"].erase("name");
    body["metadata"]["generateName"] = "cfg-";
    auto r = store_.create(*cms_, "ml", body);
    ASSERT_TRUE(r);
    std::string name = (**r)["metadata"]["name"];
    EXPECT_EQ(name.rfind("cfg-", 0), 0u);
    EXPECT_EQ(name.size(), 9u);
}

TEST_F(store_test, get_missing_is_not_found_with_core_group_omitted) {
    auto r = store_.get(*pods_, "ml", "ghost");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, 404);
    EXPECT_EQ(r.error().message, "pods \"ghost\" not found");
    EXPECT_FALSE(r.error().to_status()["details"].contains("group"));
}

TEST_F(store_test, update_with_stale_resource_version_conflicts) {
    auto created = store_.create(*cms_, "ml", cm("a"));
    ASSERT_TRUE(created);
    json v1 = **created;
    json v2 = v1;
    v2["data"]["k"] = "changed";
    auto updated = store_.update(*cms_, "ml", "a", v2);
    ASSERT_TRUE(updated);
    EXPECT_NE((**updated)["metadata"]["resourceVersion"], v1["metadata"]["resourceVersion"]);
    v1["data"]["k"] = "stale";
    auto stale = store_.update(*cms_, "ml", "a", v1);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, 409);
    EXPECT_EQ(stale.error().reason, "Conflict");
    EXPECT_EQ(stale.error().message,
              "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; "
              "please apply your changes to the latest version and try again");
}

TEST_F(store_test, update_rules_name_mismatch_missing_and_crd_resource_version) {
    ASSERT_TRUE(store_.create(*cms_, "ml", cm("a")));
    auto mismatch = store_.update(*cms_, "ml", "a", cm("b"));
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error().message,
              "the name of the object (b) does not match the name on the URL (a)");
    auto missing = store_.update(*cms_, "ml", "zz", cm("zz"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, 404);

    json pp = {
        {"metadata", {{"name", "p"}}},
        {"spec",
         {{"resourceSelectors", json::array({{{"apiVersion", "v1"}, {"kind", "ConfigMap"}}})}}}};
    ASSERT_TRUE(store_.create(*pps_, "ml", pp));
    auto no_rv = store_.update(*pps_, "ml", "p", pp);
    ASSERT_FALSE(no_rv);
    EXPECT_EQ(no_rv.error().code, 422);
    EXPECT_EQ(no_rv.error().message,
              "PropagationPolicy.policy.karmada.io \"p\" is invalid: metadata.resourceVersion: "
              "Invalid value: 0x0: must be specified for an update");
}

TEST_F(store_test, generation_moves_only_with_the_spec) {
    auto created = store_.create(*jobs_, "ml", job("g"));
    ASSERT_TRUE(created);
    auto labelled = store_.patch(*jobs_, "ml", "g", patch_type::merge,
                                 json{{"metadata", {{"labels", {{"a", "b"}}}}}});
    ASSERT_TRUE(labelled);
    EXPECT_EQ((**labelled)["metadata"]["generation"], 1);
    auto suspended =
        store_.patch(*jobs_, "ml", "g", patch_type::merge, json{{"spec", {{"suspend", true}}}});
    ASSERT_TRUE(suspended);
    EXPECT_EQ((**suspended)["metadata"]["generation"], 2);
    auto status = store_.patch(*jobs_, "ml", "g", patch_type::merge,
                               json{{"status", {{"active", 1}}}}, {}, true);
    ASSERT_TRUE(status);
    EXPECT_EQ((**status)["metadata"]["generation"], 2);
    EXPECT_EQ((**status)["status"]["active"], 1);
    // The main resource ignores .status for kinds with a status subresource.
    auto ignored =
        store_.patch(*jobs_, "ml", "g", patch_type::merge, json{{"status", {{"active", 9}}}});
    ASSERT_TRUE(ignored);
    EXPECT_EQ((**ignored)["status"]["active"], 1);
}

TEST_F(store_test, patches_merge_and_strategic_and_json) {
    json pod = {{"metadata", {{"name", "p"}}},
                {"spec",
                 {{"containers", json::array({{{"name", "a"}, {"image", "x:1"}},
                                              {{"name", "b"}, {"image", "y:1"}}})}}}};
    ASSERT_TRUE(store_.create(*pods_, "ml", pod));
    auto sm = store_.patch(
        *pods_, "ml", "p", patch_type::strategic,
        json{{"spec", {{"containers", json::array({{{"name", "b"}, {"image", "y:2"}}})}}}});
    ASSERT_TRUE(sm) << sm.error().message;
    ASSERT_EQ((**sm)["spec"]["containers"].size(), 2u);
    EXPECT_EQ((**sm)["spec"]["containers"][1]["image"], "y:2");
    EXPECT_EQ((**sm)["spec"]["containers"][0]["image"], "x:1");

    auto mp = store_.patch(*pods_, "ml", "p", patch_type::merge,
                           json{{"metadata", {{"labels", {{"x", "1"}}}}}});
    ASSERT_TRUE(mp);
    auto jp = store_.patch(*pods_, "ml", "p", patch_type::json_patch,
                           json::array({{{"op", "remove"}, {"path", "/metadata/labels/x"}}}));
    ASSERT_TRUE(jp) << jp.error().message;
    EXPECT_FALSE((**jp)["metadata"]["labels"].contains("x"));

    auto crd_smp = store_.patch(*pps_, "ml", "none", patch_type::strategic, json::object());
    ASSERT_FALSE(crd_smp);
    EXPECT_EQ(crd_smp.error().code, 415);
}

TEST_F(store_test, server_side_apply_of_an_unchanged_manifest_is_accepted) {
    // kubectl apply --server-side twice: the second apply carries no defaults and no generated
    // selector, yet changes nothing, so the immutable spec.template must compare equal.
    struct apply_case {
        const char* name;
        const resource_info* resource;
        json manifest;
    };
    json deployment = {
        {"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"metadata", {{"name", "web"}}},
        {"spec",
         {{"replicas", 2},
          {"selector", {{"matchLabels", {{"app", "web"}}}}},
          {"template",
           {{"metadata", {{"labels", {{"app", "web"}}}}},
            {"spec",
             {{"containers", json::array({{{"name", "c"}, {"image", "nginx:1"}}})}}}}}}}};
    const std::vector<apply_case> cases = {
        {"job_without_selector_or_defaults", jobs_, job("ssa")},
        {"deployment_without_defaults", registry_.find("apps", "v1", "deployments"), deployment},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        std::string name = c.manifest["metadata"]["name"];
        auto first = store_.patch(*c.resource, "ml", name, patch_type::apply, c.manifest);
        ASSERT_TRUE(first) << first.error().message;
        auto second = store_.patch(*c.resource, "ml", name, patch_type::apply, c.manifest);
        ASSERT_TRUE(second) << second.error().message;
        EXPECT_EQ((**second)["spec"], (**first)["spec"]);
        EXPECT_EQ((**second)["metadata"]["generation"], 1);
    }
    // A real change to the template is still refused.
    json changed = job("ssa");
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37";
    auto refused = store_.patch(*jobs_, "ml", "ssa", patch_type::apply, changed);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, 422);
}

TEST_F(store_test, unknown_builtin_spec_fields_follow_field_validation) {
    struct validation_case {
        const char* name;
        field_validation validation;
        bool accepted;
        std::vector<std::string> warnings;
    };
    const std::vector<validation_case> cases = {
        {"strict_rejects_with_every_path", field_validation::strict, false, {}},
        {"warn_drops_and_warns", field_validation::warn, true,
         {"unknown field \"spec.paralelism\"", "unknown field \"spec.template.spec.nodeSelectr\""}},
        {"ignore_drops_silently", field_validation::ignore, true, {}},
    };
    int n = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        json j = job("unknown-" + std::to_string(n++));
        j["spec"]["paralelism"] = 2;
        j["spec"]["template"]["spec"]["nodeSelectr"] = {{"a", "b"}};
        std::vector<std::string> warnings;
        write_options wo;
        wo.validation = c.validation;
        wo.warnings = &warnings;
        auto r = store_.create(*jobs_, "ml", j, wo);
        ASSERT_EQ(static_cast<bool>(r), c.accepted);
        if (!c.accepted) {
            EXPECT_EQ(r.error().code, 400);
            EXPECT_EQ(r.error().message,
                      "Job in version \"v1\" cannot be handled as a Job: strict decoding error: "
                      "unknown field \"spec.paralelism\", unknown field "
                      "\"spec.template.spec.nodeSelectr\"");
            continue;
        }
        EXPECT_FALSE((**r)["spec"].contains("paralelism"));
        EXPECT_FALSE((**r)["spec"]["template"]["spec"].contains("nodeSelectr"));
        EXPECT_EQ(warnings, c.warnings);
    }
}

TEST_F(store_test, delete_cascades_to_dependants_unless_orphaned) {
    auto owner = store_.create(*cms_, "ml", cm("owner"));
    ASSERT_TRUE(owner);
    std::string uid = (**owner)["metadata"]["uid"];
    for (const char* n : {"d1", "d2"}) {
        json d = cm(n);
        d["metadata"]["ownerReferences"] = json::array(
            {{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "owner"}, {"uid", uid}}});
        ASSERT_TRUE(store_.create(*cms_, "ml", d));
    }
    auto del = store_.remove(*cms_, "ml", "owner");
    ASSERT_TRUE(del);
    EXPECT_EQ(del->body["status"], "Success");
    EXPECT_EQ(del->body["details"]["name"], "owner");
    EXPECT_FALSE(store_.find(*cms_, "ml", "d1"));
    EXPECT_FALSE(store_.find(*cms_, "ml", "d2"));
    auto again = store_.remove(*cms_, "ml", "owner");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message, "configmaps \"owner\" not found");
}

TEST_F(store_test, namespace_deletion_terminates_then_empties) {
    ASSERT_TRUE(store_.create(*cms_, "ml", cm("a")));
    auto del = store_.remove(*ns_, "", "ml");
    ASSERT_TRUE(del);
    EXPECT_EQ(del->body["status"]["phase"], "Terminating");
    auto refused = store_.create(*cms_, "ml", cm("b"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, 403);
    EXPECT_EQ(refused.error().message,
              "configmaps \"b\" is forbidden: unable to create new content in namespace ml "
              "because it is being terminated");
    EXPECT_TRUE(store_.finalize_namespaces());
    EXPECT_FALSE(store_.find(*cms_, "ml", "a"));
    EXPECT_FALSE(store_.find(*ns_, "", "ml"));
}

TEST_F(store_test, list_with_selectors_limit_and_continue) {
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(store_.create(*cms_, "ml",
                                  cm("c" + std::to_string(i), {{"tier", i % 2 ? "odd" : "even"}})));
    }
    list_options o;
    o.label_selector = "tier in (even)";
    auto even = store_.list(*cms_, "ml", o);
    ASSERT_TRUE(even);
    EXPECT_EQ(even->items.size(), 3u);
    o.label_selector = "";
    o.field_selector = "metadata.name!=c0";
    auto not0 = store_.list(*cms_, "", o);
    ASSERT_TRUE(not0);
    EXPECT_EQ(not0->items.size(), 4u);

    list_options page;
    page.limit = 2;
    auto p1 = store_.list(*cms_, "ml", page);
    ASSERT_TRUE(p1);
    ASSERT_EQ(p1->items.size(), 2u);
    EXPECT_EQ(p1->remaining_item_count, 3);
    // The cached-text serialisation is the same JSON as to_list_json.
    EXPECT_EQ(json::parse(store_.serialize_list(*cms_, *p1)), to_list_json(*cms_, *p1));
    EXPECT_EQ(json::parse(store_.serialize_list(*cms_, *p1)), to_list_json(*cms_, *p1));
    ASSERT_FALSE(p1->continue_token.empty());
    page.continue_token = p1->continue_token;
    auto p2 = store_.list(*cms_, "ml", page);
    ASSERT_TRUE(p2);
    ASSERT_EQ(p2->items.size(), 2u);
    EXPECT_EQ((*p2->items[0])["metadata"]["name"], "c2");
    page.continue_token = p2->continue_token;
    auto p3 = store_.list(*cms_, "ml", page);
    ASSERT_TRUE(p3);
    EXPECT_EQ(p3->items.size(), 1u);
    EXPECT_TRUE(p3->continue_token.empty());

    page.continue_token = "!!!";
    auto bad = store_.list(*cms_, "ml", page);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, 400);

    list_options sel;
    sel.field_selector = "spec.foo=1";
    auto unknown_field = store_.list(*pps_, "ml", sel);
    ASSERT_FALSE(unknown_field);
    EXPECT_EQ(unknown_field.error().message,
              "\"spec.foo\" is not a known field selector: only \"metadata.name\", "
              "\"metadata.namespace\"");
}

TEST_F(store_test, continue_token_older_than_history_is_gone) {
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(store_.create(*cms_, "ml", cm("k" + std::to_string(i))));
    list_options page;
    page.limit = 1;
    auto p1 = store_.list(*cms_, "ml", page);
    ASSERT_TRUE(p1);
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(store_.patch(*cms_, "ml", "k0", patch_type::merge,
                                 json{{"data", {{"n", std::to_string(i)}}}}));
    }
    page.continue_token = p1->continue_token;
    auto old = store_.list(*cms_, "ml", page);
    ASSERT_FALSE(old);
    EXPECT_EQ(old.error().code, 410);
    EXPECT_EQ(old.error().reason, "Expired");
    EXPECT_EQ(old.error().message.rfind("The provided continue parameter is too old", 0), 0u);
}

TEST_F(store_test, watch_from_resource_version_and_expiry) {
    auto a = store_.create(*cms_, "ml", cm("a", {{"app", "x"}}));
    ASSERT_TRUE(a);
    std::string rv = (**a)["metadata"]["resourceVersion"];
    ASSERT_TRUE(store_.create(*cms_, "ml", cm("b", {{"app", "y"}})));
    ASSERT_TRUE(store_.patch(*cms_, "ml", "a", patch_type::merge,
                             json{{"metadata", {{"labels", {{"app", "y"}}}}}}));
    ASSERT_TRUE(store_.remove(*cms_, "ml", "b"));

    watch_options all;
    all.resource_version = rv;
    auto w = store_.watch(*cms_, all);
    ASSERT_TRUE(w);
    auto events = store_.watch_next(*w);
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), 3u);
    EXPECT_EQ((*events)[0].type, event_type::added);
    EXPECT_EQ((*events)[1].type, event_type::modified);
    EXPECT_EQ((*events)[2].type, event_type::deleted);

    // A selector turns "stops matching" into DELETED.
    watch_options sel = all;
    sel.label_selector = "app=x";
    auto ws = store_.watch(*cms_, sel);
    ASSERT_TRUE(ws);
    auto sev = store_.watch_next(*ws);
    ASSERT_TRUE(sev);
    ASSERT_EQ(sev->size(), 1u);
    EXPECT_EQ((*sev)[0].type, event_type::deleted);

    // Initial state for resourceVersion "" / "0".
    watch_options initial;
    auto wi = store_.watch(*cms_, initial);
    ASSERT_TRUE(wi);
    auto iev = store_.watch_next(*wi);
    ASSERT_TRUE(iev);
    EXPECT_EQ(iev->size(), 1u);

    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(store_.patch(*cms_, "ml", "a", patch_type::merge,
                                 json{{"data", {{"n", std::to_string(i)}}}}));
    }
    auto gone = store_.watch(*cms_, all);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, 410);
    EXPECT_EQ(gone.error().message.rfind("too old resource version: " + rv + " (", 0), 0u);
    auto fell_behind = store_.watch_next(*w);
    ASSERT_FALSE(fell_behind);
    EXPECT_EQ(fell_behind.error().code, 410);
}

}  // namespace
}  // namespace fedsim::model
