#include "proxy/reflector.hpp"

#include "tests/support/fake_apiserver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using proxy::change_type;
using test_support::fake_apiserver;
using test_support::fake_reply;
using test_support::recorded_request;

nlohmann::json obj(const std::string& ns, const std::string& name, const std::string& rv)
{
    nlohmann::json meta{{"name", name}, {"resourceVersion", rv}};
    if (!ns.empty()) {
        meta["namespace"] = ns;
    }
    return {{"metadata", meta}};
}

nlohmann::json list_page(std::vector<nlohmann::json> items, const std::string& rv,
                         const std::string& cont = {})
{
    nlohmann::json meta{{"resourceVersion", rv}};
    if (!cont.empty()) {
        meta["continue"] = cont;
    }
    return {{"kind", "PodList"}, {"metadata", meta}, {"items", items}};
}

std::set<std::string> keys(const proxy::object_cache& cache)
{
    std::set<std::string> out;
    for (const auto& [k, v] : cache) {
        out.insert(k);
    }
    return out;
}

config::api_endpoint endpoint(const std::string& url)
{
    config::api_endpoint e;
    e.server = url;
    return e;
}

/// Starts `r` and runs `ioc` until the change handler stops it (and cancels `safety`) or 10 s
/// pass; true when the deadline was hit.
bool run_until_stopped(net::io_context& ioc, proxy::reflector& r, net::steady_timer& safety)
{
    bool deadline_hit = false;
    safety.expires_after(10s);
    safety.async_wait([&](boost::system::error_code ec) {
        if (!ec) {
            deadline_hit = true;
            r.stop();
        }
    });
    r.start();
    ioc.run();
    return deadline_hit;
}

TEST(object_key, namespaced_cluster_scoped_and_unnamed_objects)
{
    EXPECT_EQ(proxy::object_key(obj("ml", "p", "1")), "ml/p");
    EXPECT_EQ(proxy::object_key(obj("", "cluster-1", "1")), "cluster-1");
    EXPECT_EQ(proxy::object_key({{"metadata", {{"namespace", "ml"}}}}), "");
    EXPECT_EQ(proxy::object_key(nlohmann::json::array()), "");
    EXPECT_EQ(proxy::object_key({{"metadata", {{"name", 5}}}}), "");
}

TEST(reflector, lists_all_pages_watches_from_the_list_version_and_relists_on_410)
{
    const nlohmann::json gone{{"kind", "Status"}, {"reason", "Expired"}, {"code", 410},
                              {"message", "too old resource version"}};
    std::mutex mu;
    int lists = 0;
    int watches = 0;
    fake_apiserver server([&](const recorded_request& req) {
        std::lock_guard lock(mu);
        if (req.query("watch") != "1") {
            ++lists;
            if (lists == 1) {
                return fake_reply::json(200, list_page({obj("ml", "a", "90")}, "100", "page2"));
            }
            if (lists == 2) {
                return fake_reply::json(200, list_page({obj("ml", "b", "95")}, "100"));
            }
            return fake_reply::json(
                200, list_page({obj("ml", "b", "95"), obj("ml", "c", "150"), obj("ml", "d", "180")},
                               "200"));
        }
        ++watches;
        if (watches == 1) {
            return fake_reply::watch({{"ADDED", obj("ml", "c", "101")},
                                      {"DELETED", obj("ml", "a", "102")},
                                      {"ERROR", gone}});
        }
        return fake_reply::watch({{"ADDED", obj("ml", "e", "201")}}, /*hold_open=*/true);
    });

    net::io_context ioc;
    proxy::client_options co;
    co.retry.initial_delay = 1ms;
    co.retry.max_delay = 1ms;
    auto client = proxy::kube_client::create(ioc.get_executor(), endpoint(server.url()), co);
    ASSERT_TRUE(client.has_value());

    proxy::reflector_options ro;
    ro.path = "/api/v1/pods";
    ro.page_size = 1;
    ro.label_selector = "app=train";
    ro.reconnect.initial_delay = 1ms;
    std::vector<std::vector<proxy::cache_change>> batches;
    std::unique_ptr<proxy::reflector> r;
    net::steady_timer safety(ioc);
    r = std::make_unique<proxy::reflector>(
        *client, ro,
        [&](const std::vector<proxy::cache_change>& changes,
            const std::shared_ptr<const proxy::object_cache>& cache) {
            batches.push_back(changes);
            if (keys(*cache) == std::set<std::string>{"ml/b", "ml/c", "ml/d", "ml/e"}) {
                r->stop();
                safety.cancel();
            }
        });
    const bool deadline_hit = run_until_stopped(ioc, *r, safety);

    ASSERT_FALSE(deadline_hit) << "the reflector did not converge";
    EXPECT_TRUE(r->synced());
    EXPECT_EQ(keys(*r->snapshot()), (std::set<std::string>{"ml/b", "ml/c", "ml/d", "ml/e"}));
    const auto stats = r->stats();
    EXPECT_EQ(stats.lists, 2u);
    EXPECT_EQ(stats.relists_on_gone, 1u);
    EXPECT_EQ(stats.events, 3u);

    // First list: a+b over two pages; then ADDED c; DELETED a; relist: c modified, d added;
    // then the watch from the relist's version adds e.
    ASSERT_EQ(batches.size(), 5u);
    ASSERT_EQ(batches[0].size(), 2u);
    EXPECT_EQ(batches[1].at(0).type, change_type::added);
    EXPECT_EQ(batches[1].at(0).key, "ml/c");
    EXPECT_EQ(batches[2].at(0).type, change_type::deleted);
    EXPECT_EQ(batches[2].at(0).key, "ml/a");
    std::set<std::string> relist_changes;
    for (const auto& c : batches[3]) {
        relist_changes.insert(c.key + (c.type == change_type::added ? "+" : "~"));
    }
    EXPECT_EQ(relist_changes, (std::set<std::string>{"ml/c~", "ml/d+"}));
    EXPECT_EQ(batches[4].at(0).key, "ml/e");

    std::vector<std::string> list_queries;
    std::vector<std::string> watch_versions;
    for (const auto& req : server.requests()) {
        EXPECT_EQ(req.query("labelSelector"), "app=train");
        if (req.query("watch") == "1") {
            watch_versions.push_back(req.query("resourceVersion"));
        } else {
            list_queries.push_back(req.query("limit") + "/" + req.query("continue"));
        }
    }
    EXPECT_EQ(list_queries, (std::vector<std::string>{"1/", "1/page2", "1/"}));
    EXPECT_EQ(watch_versions, (std::vector<std::string>{"100", "200"}));
}

TEST(reflector, list_failures_back_off_and_retry_until_the_list_succeeds)
{
    std::atomic<int> calls{0};
    fake_apiserver server([&](const recorded_request& req) {
        if (req.query("watch") == "1") {
            return fake_reply::watch({}, /*hold_open=*/true);
        }
        if (++calls <= 2) {
            return fake_reply::status_error(403, "Forbidden", "not yet");
        }
        return fake_reply::json(200, list_page({obj("", "cluster-1", "5")}, "5"));
    });
    net::io_context ioc;
    auto client = proxy::kube_client::create(ioc.get_executor(), endpoint(server.url()));
    ASSERT_TRUE(client.has_value());
    proxy::reflector_options ro;
    ro.path = "/apis/cluster.karmada.io/v1alpha1/clusters";
    ro.reconnect.initial_delay = 1ms;
    ro.reconnect.max_delay = 2ms;
    std::unique_ptr<proxy::reflector> r;
    r = std::make_unique<proxy::reflector>(
        *client, ro,
        [&](const std::vector<proxy::cache_change>&,
            const std::shared_ptr<const proxy::object_cache>&) {
            r->stop();
        });
    r->start();
    ioc.run();
    EXPECT_EQ(r->stats().list_failures, 2u);
    EXPECT_EQ(keys(*r->snapshot()), std::set<std::string>{"cluster-1"});
}

}  // namespace

namespace {

TEST(reflector, without_snapshots_changes_carry_whole_objects_while_the_cache_keeps_the_slim_form)
{
    auto big = [](const std::string& name, const std::string& rv) {
        auto o = obj("ml", name, rv);
        o["status"] = {{"detail", std::string(1000, 'x')}};
        return o;
    };
    std::mutex mu;
    int lists = 0;
    fake_apiserver server([&](const recorded_request& req) {
        std::lock_guard lock(mu);
        if (req.query("watch") != "1") {
            ++lists;
            return fake_reply::json(200, list_page({big("a", "10"), big("b", "11")}, "20"));
        }
        return fake_reply::watch({{"MODIFIED", big("a", "21")}, {"DELETED", big("b", "22")}},
                                 /*hold_open=*/true);
    });
    net::io_context ioc;
    auto client = proxy::kube_client::create(ioc.get_executor(), endpoint(server.url()), {});
    ASSERT_TRUE(client.has_value());

    proxy::reflector_options ro;
    ro.path = "/api/v1/pods";
    ro.publish_snapshots = false;
    std::atomic<int> slimmed{0};
    ro.cache_transform = [&slimmed](const nlohmann::json& o) {
        ++slimmed;
        return nlohmann::json{{"metadata", o["metadata"]}};
    };
    std::vector<proxy::cache_change> seen;
    bool null_cache_only = true;
    std::unique_ptr<proxy::reflector> r;
    net::steady_timer safety(ioc);
    r = std::make_unique<proxy::reflector>(
        *client, ro,
        [&](const std::vector<proxy::cache_change>& changes,
            const std::shared_ptr<const proxy::object_cache>& cache) {
            null_cache_only = null_cache_only && cache == nullptr;
            seen.insert(seen.end(), changes.begin(), changes.end());
            if (seen.size() == 4) {
                r->stop();
                safety.cancel();
            }
        });
    const bool deadline_hit = run_until_stopped(ioc, *r, safety);

    ASSERT_FALSE(deadline_hit) << "the reflector did not deliver four changes";
    EXPECT_TRUE(null_cache_only);
    EXPECT_TRUE(r->snapshot()->empty());
    // The list's two objects and the watch's MODIFIED are cached slim: three transforms.
    EXPECT_EQ(slimmed.load(), 3);
    ASSERT_EQ(seen.size(), 4u);
    for (const auto& c : seen) {
        ASSERT_TRUE(c.object);
        // Every change carries the whole object, the DELETED one included (the event's own).
        EXPECT_TRUE(c.object->contains("status")) << c.key;
    }
    EXPECT_EQ(seen[2].type, change_type::modified);
    EXPECT_EQ(seen[3].type, change_type::deleted);
    EXPECT_EQ(seen[3].key, "ml/b");
}

}  // namespace
