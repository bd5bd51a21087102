#include "tests/unit/broker/store/store_fixture.hpp"

#include <pqxx/pqxx>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace broker::store::testing {
namespace {

using std::chrono::milliseconds;

class pg_store_test : public store_suite {};

status_update to_state(job_state state, std::string reason = {},
                       std::optional<std::string> message = std::nullopt,
                       std::optional<nlohmann::json> cluster_status = std::nullopt,
                       std::optional<std::int64_t> expected_generation = std::nullopt) {
    status_update u;
    u.state = state;
    u.reason = std::move(reason);
    u.message = std::move(message);
    u.cluster_status = std::move(cluster_status);
    u.expected_generation = expected_generation;
    return u;
}

TEST_F(pg_store_test, ping_succeeds) {
    auto s = make_store();
    auto r = run_sync(s->ping());
    EXPECT_TRUE(r) << r.error().detail;
}

TEST_F(pg_store_test, placed_job_runs_to_success_with_events_and_released_reservation) {
    auto s = make_store();
    auto sub = run_sync(
        s->reserve_and_record_job(make_job("alice", "train-a"), place_gpus({{"c1", 8}}, 4)));
    ASSERT_TRUE(sub) << sub.error().detail;
    const job_record& job = sub->job;
    EXPECT_FALSE(sub->replayed);
    EXPECT_TRUE(is_uuid(job.id));
    EXPECT_EQ(job.state, job_state::submitting);
    EXPECT_EQ(job.owner, "alice");
    EXPECT_EQ(job.form["name"], "train-a");
    EXPECT_EQ(job.placement["clusters"][0]["name"], "c1");
    EXPECT_EQ(job.generation, 1);

    auto res = run_sync(s->list_reservations(job.id));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->size(), 1u);
    EXPECT_EQ((*res)[0].amount, (resources{4, 4000, 0}));
    EXPECT_FALSE((*res)[0].released_at);

    auto running = run_sync(s->update_status(
        job.id, to_state(job_state::running, "Scheduled", "running on c1",
                         nlohmann::json{{"c1", {{"state", "Running"}}}}, job.generation)));
    ASSERT_TRUE(running) << running.error().message;
    EXPECT_EQ(running->state, job_state::running);
    EXPECT_EQ(running->generation, 2);
    EXPECT_EQ(running->cluster_status["c1"]["state"], "Running");

    auto stale = run_sync(
        s->update_status(job.id, to_state(job_state::succeeded, "", {}, {}, job.generation)));
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, store_errc::conflict);

    auto done = run_sync(
        s->update_status(job.id, to_state(job_state::succeeded, "Completed", "all parts done")));
    ASSERT_TRUE(done);
    EXPECT_EQ(done->state, job_state::succeeded);

    auto back = run_sync(s->update_status(job.id, to_state(job_state::running)));
    ASSERT_FALSE(back);
    EXPECT_EQ(back.error().code, store_errc::conflict);

    res = run_sync(s->list_reservations(job.id));
    ASSERT_TRUE(res);
    EXPECT_TRUE((*res)[0].released_at);

    auto events = run_sync(s->list_events(job.id));
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), 3u);
    EXPECT_EQ((*events)[0].from_state, std::nullopt);
    EXPECT_EQ((*events)[0].to_state, job_state::submitting);
    EXPECT_EQ((*events)[0].reason, "Placed");
    EXPECT_EQ((*events)[1].from_state, job_state::submitting);
    EXPECT_EQ((*events)[1].to_state, job_state::running);
    EXPECT_EQ((*events)[1].reason, "Scheduled");
    EXPECT_EQ((*events)[2].to_state, job_state::succeeded);
    EXPECT_LE((*events)[0].at, (*events)[2].at);

    auto extra = run_sync(s->append_event(job.id, "LogsCollected", "note"));
    ASSERT_TRUE(extra);
    EXPECT_EQ(extra->from_state, job_state::succeeded);
    EXPECT_EQ(extra->to_state, job_state::succeeded);
}

TEST_F(pg_store_test, status_update_releases_the_named_clusters_reservations_in_its_transaction) {
    auto s = make_store();
    placement_fn two_clusters = [](const std::string&, const reserved_map&) {
        placement_decision d;
        d.placed = true;
        d.reservations["rel-a"] = resources{2, 2000, 0};
        d.reservations["rel-b"] = resources{2, 2000, 0};
        d.placement = {{"strategy", "spread"},
                       {"clusters",
                        {{{"name", "rel-a"}, {"replicas", 2}, {"gpus", 2}},
                         {{"name", "rel-b"}, {"replicas", 2}, {"gpus", 2}}}}};
        d.manifests = nlohmann::json::array({{{"kind", "Job"}}});
        return d;
    };
    auto sub = run_sync(s->reserve_and_record_job(make_job("alice", "split"), two_clusters));
    ASSERT_TRUE(sub) << sub.error().detail;
    const auto released = [&](const std::string& cluster) {
        auto res = run_sync(s->list_reservations(sub->job.id));
        EXPECT_TRUE(res);
        for (const auto& r : *res) {
            if (r.cluster == cluster) {
                return static_cast<bool>(r.released_at);
            }
        }
        ADD_FAILURE() << "no reservation on " << cluster;
        return false;
    };

    // (Cluster names of its own: the suite shares one database.)
    // A stale update writes nothing: its release does not happen either.
    auto stale = to_state(job_state::running, "Propagated", {}, {}, sub->job.generation + 5);
    stale.release_clusters = {"rel-a"};
    ASSERT_FALSE(run_sync(s->update_status(sub->job.id, stale)));
    EXPECT_FALSE(released("rel-a"));

    auto update = to_state(job_state::running, "Propagated", {},
                           nlohmann::json{{"rel-a", {{"reservationReleased", true}}}},
                           sub->job.generation);
    update.release_clusters = {"rel-a"};
    auto running = run_sync(s->update_status(sub->job.id, update));
    ASSERT_TRUE(running) << running.error().message;
    EXPECT_TRUE(released("rel-a"));
    EXPECT_FALSE(released("rel-b")) << "only the named cluster's reservation ends";
    auto outstanding = run_sync(s->outstanding_reservations());
    ASSERT_TRUE(outstanding);
    EXPECT_EQ(outstanding->count("rel-a"), 0u);
    EXPECT_EQ(outstanding->at("rel-b").gpus, 2);
}

TEST_F(pg_store_test, status_update_without_a_transition_writes_no_event_and_refusals_say_why) {
    auto s = make_store();
    auto sub = run_sync(
        s->reserve_and_record_job(make_job("alice", "quiet"), place_gpus({{"c1", 8}}, 1)));
    ASSERT_TRUE(sub) << sub.error().detail;
    const auto id = sub->job.id;

    status_update note;  // no state: only the message and the cluster status change
    note.message = "waiting for c1";
    note.cluster_status = nlohmann::json{{"c1", {{"state", "Pending"}}}};
    auto noted = run_sync(s->update_status(id, note));
    ASSERT_TRUE(noted) << noted.error().message;
    EXPECT_EQ(noted->state, job_state::submitting);
    EXPECT_EQ(noted->message, "waiting for c1");
    EXPECT_EQ(noted->cluster_status["c1"]["state"], "Pending");
    EXPECT_EQ(noted->generation, 2);
    EXPECT_TRUE(noted->form.is_null()) << "documents are not read back";
    auto events = run_sync(s->list_events(id));
    ASSERT_TRUE(events);
    EXPECT_EQ(events->size(), 1u) << "no transition, no event";

    auto back = run_sync(s->update_status(id, to_state(job_state::queued)));
    ASSERT_FALSE(back);
    EXPECT_EQ(back.error().code, store_errc::conflict);
    EXPECT_NE(back.error().message.find("cannot go from Submitting to Queued"), std::string::npos)
        << back.error().message;
    auto stale = run_sync(s->update_status(id, to_state(job_state::running, "", {}, {}, 1)));
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, store_errc::conflict);
    EXPECT_NE(stale.error().detail.find("generation 2, expected 1"), std::string::npos)
        << stale.error().detail;

    auto missing = run_sync(s->update_status("00000000-0000-4000-8000-000000000000",
                                             to_state(job_state::running)));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, store_errc::not_found);

    // The pending create closes with Submitting -> Running; the job's record is unchanged by
    // the refusals above.
    auto running = run_sync(s->update_status(id, to_state(job_state::running, "Propagated")));
    ASSERT_TRUE(running) << running.error().message;
    EXPECT_EQ(running->generation, 3);
    EXPECT_EQ(running->message, "waiting for c1") << "a null message keeps the old one";
    events = run_sync(s->list_events(id));
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), 2u);
    EXPECT_EQ((*events)[1].reason, "Propagated");
    EXPECT_EQ((*events)[1].message, "waiting for c1");
}

TEST_F(pg_store_test, get_job_hides_other_owners_and_bad_ids) {
    auto s = make_store();
    auto sub =
        run_sync(s->reserve_and_record_job(make_job("bob", "private"), place_gpus({{"c1", 8}}, 1)));
    ASSERT_TRUE(sub);
    EXPECT_TRUE(run_sync(s->get_job(sub->job.id, std::string("bob"))));
    EXPECT_TRUE(run_sync(s->get_job(sub->job.id, std::nullopt)));
    const std::pair<const char*, std::optional<std::string>> lookups[] = {
        {"other owner", std::string("mallory")},
    };
    for (const auto& [name, owner] : lookups) {
        auto r = run_sync(s->get_job(sub->job.id, owner));
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code, store_errc::not_found) << name;
    }
    for (const char* id : {"not-a-uuid", "00000000-0000-0000-0000-000000000000", ""}) {
        auto r = run_sync(s->get_job(id, std::nullopt));
        ASSERT_FALSE(r) << id;
        EXPECT_EQ(r.error().code, store_errc::not_found) << id;
    }
}

TEST_F(pg_store_test, list_pages_newest_first_with_filters) {
    auto s = make_store();
    std::vector<std::string> ids;
    for (int i = 0; i < 7; ++i) {
        auto j = make_job(i % 2 == 0 ? "carol" : "dave", "list-" + std::to_string(i),
                          i < 4 ? "team-a" : "team-b", i == 6 ? "pytorch" : "job");
        auto r = run_sync(s->reserve_and_record_job(j, place_gpus({{"c1", 1000}}, 1)));
        ASSERT_TRUE(r);
        ids.push_back(r->job.id);
    }
    job_filter carol_a;
    carol_a.owner = "carol";
    carol_a.namespace_ = "team-a";
    auto p1 = run_sync(s->list_jobs(carol_a, 1, ""));
    ASSERT_TRUE(p1);
    ASSERT_EQ(p1->items.size(), 1u);
    EXPECT_EQ(p1->items[0].id, ids[2]);
    ASSERT_FALSE(p1->continue_token.empty());
    auto p2 = run_sync(s->list_jobs(carol_a, 1, p1->continue_token));
    ASSERT_TRUE(p2);
    ASSERT_EQ(p2->items.size(), 1u);
    EXPECT_EQ(p2->items[0].id, ids[0]);
    EXPECT_TRUE(p2->continue_token.empty());

    job_filter pytorch;
    pytorch.job_type = "pytorch";
    auto py = run_sync(s->list_jobs(pytorch, 50, ""));
    ASSERT_TRUE(py);
    ASSERT_EQ(py->items.size(), 1u);
    EXPECT_EQ(py->items[0].id, ids[6]);

    job_filter by_state;
    by_state.state = job_state::succeeded;
    by_state.namespace_ = "team-a";
    auto none = run_sync(s->list_jobs(by_state, 50, ""));
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->items.empty());

    auto bad = run_sync(s->list_jobs({}, 10, "garbage!"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, store_errc::invalid);
}

TEST_F(pg_store_test, remembered_reservation_totals_serve_only_while_nobody_else_reserved) {
    // Two stores stand for two broker processes; their remembered totals never expire here, so
    // that only the reservation epoch decides whether they are used.
    const auto forever = std::chrono::hours(1);
    auto a = std::make_unique<pg_store>(options(), forever);
    auto b = std::make_unique<pg_store>(options(), forever);
    const auto place_one = place_gpus({{"memo-c1", 4}}, 1);
    const auto submit = [&](pg_store& s, const std::string& name) {
        auto r = run_sync(s.reserve_and_record_job(make_job("memo", name, "memo"), place_one));
        EXPECT_TRUE(r) << name << ": " << (r ? "" : r.error().message);
        return r ? r->job : job_record{};
    };
    const auto first = submit(*a, "memo-1");
    EXPECT_EQ(first.state, job_state::submitting);
    EXPECT_EQ(a->reservation_sums(), 1u);
    EXPECT_EQ(submit(*a, "memo-2").state, job_state::submitting);
    EXPECT_EQ(a->reservation_sums(), 1u) << "nobody else reserved: the totals a left serve";

    EXPECT_EQ(submit(*b, "memo-3").state, job_state::submitting);
    // b's reservation moved the epoch: a sums again and sees it, so the fourth GPU is the last.
    EXPECT_EQ(submit(*a, "memo-4").state, job_state::submitting);
    EXPECT_EQ(a->reservation_sums(), 2u);
    EXPECT_EQ(submit(*a, "memo-5").state, job_state::queued) << "4 of 4 GPUs are reserved";
    auto outstanding = run_sync(a->outstanding_reservations());
    ASSERT_TRUE(outstanding);
    EXPECT_EQ(outstanding->at("memo-c1").gpus, 4);

    // A release is not in a's remembered totals (they still count 4): refused on them, the
    // placement sums again before queueing, and finds the freed GPU.
    auto release = to_state(job_state::running, "Propagated");
    release.release_clusters = {"memo-c1"};
    ASSERT_TRUE(run_sync(a->update_status(first.id, release)));
    const auto sums_before = a->reservation_sums();
    EXPECT_EQ(submit(*a, "memo-6").state, job_state::submitting);
    EXPECT_EQ(a->reservation_sums(), sums_before + 1);
    outstanding = run_sync(a->outstanding_reservations());
    ASSERT_TRUE(outstanding);
    EXPECT_EQ(outstanding->at("memo-c1").gpus, 4);
}

/// Submits `jobs` so that they share one commit group: a first submission (on cluster
/// "hold-other") is held inside its placement until all of them are queued behind it.
std::vector<store_result<submit_outcome>> submit_in_one_group(
    pg_store& s, std::vector<std::pair<new_job, placement_fn>> jobs) {
    std::promise<void> holding, release;
    auto released = release.get_future().share();
    placement_fn hold = [&holding, released](const std::string& id, const reserved_map& r) {
        holding.set_value();
        released.wait();
        return place_gpus({{"hold-other", 1000}}, 1)(id, r);
    };
    boost::asio::io_context first_ctx;
    auto first = boost::asio::co_spawn(
        first_ctx, s.reserve_and_record_job(make_job("hold", "hold-" + jobs[0].first.name), hold),
        boost::asio::use_future);
    std::thread runner([&] { first_ctx.run(); });
    holding.get_future().wait();  // the first group is open: what follows forms the next one
    boost::asio::io_context ctx;
    std::vector<std::future<store_result<submit_outcome>>> futures;
    for (auto& [job, place] : jobs) {
        futures.push_back(boost::asio::co_spawn(
            ctx, s.reserve_and_record_job(std::move(job), std::move(place)),
            boost::asio::use_future));
    }
    boost::asio::post(ctx, [&] { release.set_value(); });
    ctx.run();
    runner.join();
    EXPECT_TRUE(first.get());
    std::vector<store_result<submit_outcome>> out;
    for (auto& f : futures) {
        out.push_back(f.get());
    }
    return out;
}

TEST_F(pg_store_test, the_reservation_epoch_counts_every_reservation_of_a_batched_insert) {
    auto s = std::make_unique<pg_store>(options(), std::chrono::hours(1));
    const auto epoch = [&] {
        pqxx::connection c(url_);
        pqxx::read_transaction tx(c);
        return tx.exec1("SELECT epoch FROM reservation_epoch")[0].as<std::int64_t>();
    };
    // Divided over two clusters: two reservations per job.
    const placement_fn two_clusters = [](const std::string&, const reserved_map&) {
        placement_decision d;
        d.placed = true;
        for (const char* cluster : {"epoch-a", "epoch-b"}) {
            d.reservations[cluster] = resources{1, 1000, 0};
        }
        d.placement = {{"strategy", "divided"},
                       {"clusters",
                        {{{"name", "epoch-a"}, {"replicas", 1}, {"gpus", 1}},
                         {{"name", "epoch-b"}, {"replicas", 1}, {"gpus", 1}}}}};
        d.manifests = nlohmann::json::array();
        d.message = "placed on epoch-a and epoch-b";
        return d;
    };
    std::vector<std::pair<new_job, placement_fn>> jobs;
    for (const char* name : {"epoch-1", "epoch-2", "epoch-3"}) {
        jobs.emplace_back(make_job("epoch", name, "epoch"), two_clusters);
    }
    const auto before = epoch();
    auto results = submit_in_one_group(*s, std::move(jobs));
    for (const auto& r : results) {
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->job.state, job_state::submitting);
    }
    // Six reservations in one statement, plus the holding job's one in the group before.
    EXPECT_EQ(epoch(), before + 7);
    // The store counted the same: its next placement goes on from the totals it remembers.
    const auto sums = s->reservation_sums();
    auto next = run_sync(s->reserve_and_record_job(make_job("epoch", "epoch-4", "epoch"),
                                                   place_gpus({{"epoch-a", 10}}, 1)));
    ASSERT_TRUE(next) << next.error().message;
    EXPECT_EQ(next->job.state, job_state::submitting);
    EXPECT_EQ(s->reservation_sums(), sums) << "the epoch was where this store expected it";
    EXPECT_EQ(epoch(), before + 8);
}

TEST_F(pg_store_test, an_exact_sum_within_a_group_sees_the_jobs_the_group_placed_before) {
    auto s = std::make_unique<pg_store>(options(), std::chrono::hours(1));
    // One GPU of two reserved, then released: the remembered totals still count it.
    auto x = run_sync(
        s->reserve_and_record_job(make_job("sum", "sum-x", "sum"), place_gpus({{"sum-c", 2}}, 1)));
    ASSERT_TRUE(x) << x.error().message;
    auto release = to_state(job_state::running, "Propagated");
    release.release_clusters = {"sum-c"};
    ASSERT_TRUE(run_sync(s->update_status(x->job.id, release)));

    std::vector<std::pair<new_job, placement_fn>> jobs;
    for (const char* name : {"sum-1", "sum-2", "sum-3"}) {
        jobs.emplace_back(make_job("sum", name, "sum"), place_gpus({{"sum-c", 2}}, 1));
    }
    const auto sums_before = s->reservation_sums();
    auto results = submit_in_one_group(*s, std::move(jobs));
    ASSERT_EQ(results.size(), 3u);
    for (const auto& r : results) {
        ASSERT_TRUE(r) << r.error().message;
    }
    // sum-1 fits the remembered totals (1 of 2); sum-2 does not, and the exact sum (which must
    // count sum-1, not yet written when it is taken) shows one GPU free; sum-3 finds none.
    EXPECT_EQ(results[0]->job.state, job_state::submitting);
    EXPECT_EQ(results[1]->job.state, job_state::submitting);
    EXPECT_EQ(results[2]->job.state, job_state::queued);
    EXPECT_GE(s->reservation_sums(), sums_before + 1);
    auto outstanding = run_sync(s->outstanding_reservations());
    ASSERT_TRUE(outstanding);
    EXPECT_EQ(outstanding->at("sum-c").gpus, 2) << "never more than the cluster has";
}

TEST_F(pg_store_test, one_idempotency_key_twice_in_one_group_gives_one_job) {
    auto s = make_store();
    std::vector<std::pair<new_job, placement_fn>> jobs;
    for (int i = 0; i < 2; ++i) {
        auto j = make_job("idem", "idem-same", "idem");
        j.idempotency_key = "key-1";
        j.request_hash = "hash-1";
        jobs.emplace_back(std::move(j), place_gpus({{"idem-c", 8}}, 1));
    }
    auto results = submit_in_one_group(*s, std::move(jobs));
    ASSERT_EQ(results.size(), 2u);
    ASSERT_TRUE(results[0]) << results[0].error().message;
    ASSERT_TRUE(results[1]) << results[1].error().message;
    EXPECT_EQ(results[0]->job.id, results[1]->job.id);
    EXPECT_NE(results[0]->replayed, results[1]->replayed) << "one recorded, one replayed";
    job_filter mine;
    mine.namespace_ = "idem";
    auto page = run_sync(s->list_jobs(mine, 10, ""));
    ASSERT_TRUE(page);
    EXPECT_EQ(page->items.size(), 1u);
}

TEST_F(pg_store_test, sixteen_threads_times_ten_submissions_never_overbook_fifty_gpus) {
    // Two stores stand for two broker processes sharing the database.
    auto a = make_store(8);
    auto b = make_store(8);
    const std::map<std::string, std::int64_t> capacity{{"gpu-east", 20}, {"gpu-west", 30}};
    constexpr int threads = 16;
    constexpr int per_thread = 10;
    std::atomic<int> placed{0}, queued{0}, errors{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            pg_store& s = t % 2 == 0 ? *a : *b;
            for (int i = 0; i < per_thread; ++i) {
                auto j = make_job("load", "burst-" + std::to_string(t) + "-" + std::to_string(i),
                                  "overbook");
                auto r = run_sync(s.reserve_and_record_job(j, place_gpus(capacity, 1)));
                if (!r) {
                    ++errors;
                } else if (r->job.state == job_state::submitting) {
                    ++placed;
                } else {
                    ++queued;
                }
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(placed.load(), 50);
    EXPECT_EQ(queued.load(), threads * per_thread - 50);
    auto out = run_sync(a->outstanding_reservations());
    ASSERT_TRUE(out);
    EXPECT_EQ((*out)["gpu-east"].gpus, 20);
    EXPECT_EQ((*out)["gpu-west"].gpus, 30);

    job_filter q;
    q.namespace_ = "overbook";
    q.state = job_state::queued;
    auto page = run_sync(a->list_jobs(q, 1000, ""));
    ASSERT_TRUE(page);
    EXPECT_EQ(page->items.size(), static_cast<std::size_t>(threads * per_thread - 50));
    EXPECT_EQ(page->items.front().message, "no cluster has 1 free GPUs");
}

/// Submits `places.size()` jobs at once from one io_context; the first placement waits until
/// every submission has been handed to the store, so the others queue while the first group is
/// open. Returns each submission's result, in order.
std::vector<store_result<submit_outcome>> submit_burst(pg_store& s, const std::string& ns,
                                                       std::vector<placement_fn> places) {
    boost::asio::io_context ctx;
    std::promise<void> all_queued;
    auto queued = all_queued.get_future().share();
    places[0] = [queued, inner = places[0]](const std::string& id, const reserved_map& r) {
        queued.wait();
        return inner(id, r);
    };
    std::vector<std::future<store_result<submit_outcome>>> futures;
    for (std::size_t i = 0; i < places.size(); ++i) {
        futures.push_back(boost::asio::co_spawn(
            ctx, s.reserve_and_record_job(make_job("group", "g-" + std::to_string(i), ns),
                                          std::move(places[i])),
            boost::asio::use_future));
    }
    // Runs after every coroutine above reached its co_await (handlers run in post order).
    boost::asio::post(ctx, [&] { all_queued.set_value(); });
    ctx.run();
    std::vector<store_result<submit_outcome>> out;
    for (auto& f : futures) {
        out.push_back(f.get());
    }
    return out;
}

TEST_F(pg_store_test, submissions_arriving_together_commit_in_two_groups_and_a_bad_one_fails_alone) {
    auto s = make_store(4);
    constexpr std::size_t count = 64;
    std::vector<placement_fn> places(count, place_gpus({{"c1", 100000}}, 1));
    places[7] = [](const std::string&, const reserved_map&) {
        placement_decision d;
        d.placed = true;
        d.reservations["c1"] = resources{-1, 0, 0};
        return d;
    };
    auto results = submit_burst(*s, "group-a", std::move(places));
    std::set<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) {
        if (i == 7) {
            ASSERT_FALSE(results[i]);
            EXPECT_EQ(results[i].error().code, store_errc::invalid);
            continue;
        }
        ASSERT_TRUE(results[i]) << i << ": " << results[i].error().message;
        EXPECT_EQ(results[i]->job.state, job_state::submitting);
        ids.insert(results[i]->job.id);
    }
    EXPECT_EQ(ids.size(), count - 1);
    // The first group holds what had arrived when it started; everything else, one more.
    EXPECT_LE(s->group().groups_committed(), 2u);
    EXPECT_EQ(s->group().ops_committed(), count);
    job_filter mine;
    mine.namespace_ = "group-a";
    auto page = run_sync(s->list_jobs(mine, 1000, ""));
    ASSERT_TRUE(page);
    EXPECT_EQ(page->items.size(), count - 1);
}

TEST_F(pg_store_test, status_updates_of_one_group_run_together_each_all_or_nothing) {
    auto s = make_store();
    std::vector<job_record> jobs;
    for (const char* name : {"batch-a", "batch-b", "batch-c"}) {
        auto r = run_sync(
            s->reserve_and_record_job(make_job("alice", name, "batch"), place_gpus({{"b1", 8}}, 1)));
        ASSERT_TRUE(r) << r.error().message;
        jobs.push_back(r->job);
    }
    const auto& a = jobs[0];
    const auto& b = jobs[1];
    const auto& c = jobs[2];
    const auto groups_before = s->group().groups_committed();

    // A placement that waits holds the first group open, so that every update below is queued
    // before the next group starts and all of them share it.
    boost::asio::io_context ctx;
    std::promise<void> all_queued;
    auto queued = all_queued.get_future().share();
    placement_fn waiting = [queued](const std::string& id, const reserved_map& r) {
        queued.wait();
        return place_gpus({{"b1", 8}}, 1)(id, r);
    };
    auto held = boost::asio::co_spawn(
        ctx, s->reserve_and_record_job(make_job("alice", "batch-d", "batch"), waiting),
        boost::asio::use_future);
    const auto update = [&](const std::string& id, status_update u) {
        return boost::asio::co_spawn(ctx, s->update_status(id, std::move(u)),
                                     boost::asio::use_future);
    };
    auto a_running = update(a.id, to_state(job_state::running, "Propagated"));
    auto b_stale = update(b.id, to_state(job_state::running, "", {}, {}, b.generation + 7));
    // The same job again: it must see the first update (Running, generation 2).
    // (Quotes, a backslash, braces, a comma and NULL-looking text survive the array literals.)
    const std::string tricky = R"(pods "pending", {soon} \ NULL é)";
    auto a_detail = to_state(job_state::running, "", tricky,
                             nlohmann::json{{"b1", {{"state", "Pending"}, {"message", tricky}}}},
                             a.generation + 1);
    auto a_again = update(a.id, a_detail);
    auto c_release = to_state(job_state::running, "Propagated");
    c_release.release_clusters = {"b1"};
    auto c_running = update(c.id, c_release);
    auto missing = update("00000000-0000-4000-8000-00000000abcd", to_state(job_state::running));
    auto c_back = update(c.id, to_state(job_state::queued));
    boost::asio::post(ctx, [&] { all_queued.set_value(); });
    ctx.run();

    ASSERT_TRUE(held.get());
    auto r1 = a_running.get();
    ASSERT_TRUE(r1) << r1.error().message;
    EXPECT_EQ(r1->state, job_state::running);
    EXPECT_EQ(r1->generation, a.generation + 1);
    auto r2 = b_stale.get();
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, store_errc::conflict);
    auto r3 = a_again.get();
    ASSERT_TRUE(r3) << r3.error().message;
    EXPECT_EQ(r3->generation, a.generation + 2);
    EXPECT_EQ(r3->message, tricky);
    EXPECT_EQ(r3->cluster_status["b1"]["state"], "Pending");
    EXPECT_EQ(r3->cluster_status["b1"]["message"], tricky);
    ASSERT_TRUE(c_running.get());
    auto r5 = missing.get();
    ASSERT_FALSE(r5);
    EXPECT_EQ(r5.error().code, store_errc::not_found);
    auto r6 = c_back.get();
    ASSERT_FALSE(r6);
    EXPECT_NE(r6.error().message.find("cannot go from Running to Queued"), std::string::npos)
        << r6.error().message;
    EXPECT_LE(s->group().groups_committed() - groups_before, 2u)
        << "the placement's group and one more for all the updates";

    auto b_now = run_sync(s->get_job(b.id, std::nullopt));
    ASSERT_TRUE(b_now);
    EXPECT_EQ(b_now->state, job_state::submitting) << "the stale update wrote nothing";
    EXPECT_EQ(b_now->generation, b.generation);
    auto a_events = run_sync(s->list_events(a.id));
    ASSERT_TRUE(a_events);
    EXPECT_EQ(a_events->size(), 2u) << "one transition, one event";
    auto c_res = run_sync(s->list_reservations(c.id));
    ASSERT_TRUE(c_res);
    ASSERT_EQ(c_res->size(), 1u);
    EXPECT_TRUE((*c_res)[0].released_at);
    auto b_res = run_sync(s->list_reservations(b.id));
    ASSERT_TRUE(b_res);
    EXPECT_FALSE((*b_res)[0].released_at);
}

TEST_F(pg_store_test, an_exception_in_one_submission_fails_only_that_submission_of_its_group) {
    auto s = make_store(4);
    constexpr std::size_t count = 16;
    std::vector<placement_fn> places(count, place_gpus({{"c1", 100000}}, 1));
    // A placement function must not throw; if one does, only its own caller fails.
    places[9] = [](const std::string&, const reserved_map&) -> placement_decision {
        throw std::runtime_error("placement bug");
    };
    auto results = submit_burst(*s, "group-b", std::move(places));
    for (std::size_t i = 0; i < count; ++i) {
        if (i == 9) {
            ASSERT_FALSE(results[i]);
            EXPECT_EQ(results[i].error().code, store_errc::internal);
        } else {
            EXPECT_TRUE(results[i]) << i << ": " << results[i].error().message;
        }
    }
    job_filter mine;
    mine.namespace_ = "group-b";
    auto page = run_sync(s->list_jobs(mine, 1000, ""));
    ASSERT_TRUE(page);
    EXPECT_EQ(page->items.size(), count - 1);
}

TEST_F(pg_store_test, create_of_a_submitting_request_is_due_late_and_closed_once_recorded) {
    auto s = make_store();
    auto later = make_job("ivy", "late-create", "late");
    later.create_delay = std::chrono::minutes(10);
    auto a = run_sync(s->reserve_and_record_job(later, place_gpus({{"c1", 100000}}, 1)));
    later.name = "late-create-2";
    auto b = run_sync(s->reserve_and_record_job(later, place_gpus({{"c1", 100000}}, 1)));
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    auto claimed_ids = [&] {
        std::set<std::string> out;
        auto r = run_sync(s->claim_outbox("w", 1000, std::chrono::minutes(5)));
        EXPECT_TRUE(r);
        if (r) {
            for (const auto& e : *r) {
                out.insert(e.job_id);
            }
        }
        return out;
    };
    auto first = claimed_ids();
    EXPECT_EQ(first.count(a->job.id), 0u);
    EXPECT_EQ(first.count(b->job.id), 0u);
    // a: its request created the objects; b: its request gave up and hands the create over.
    auto recorded = run_sync(s->record_created(a->job.id, "uid-of-a"));
    ASSERT_TRUE(recorded) << recorded.error().message;
    EXPECT_EQ(*recorded, job_state::submitting);
    ASSERT_TRUE(run_sync(s->make_create_due(a->job.id)));
    ASSERT_TRUE(run_sync(s->make_create_due(b->job.id)));
    auto second = claimed_ids();
    EXPECT_EQ(second.count(a->job.id), 0u) << "closed by record_created";
    EXPECT_EQ(second.count(b->job.id), 1u);

    // The uid is what the status loop matches bindings by; b has none yet.
    auto active = run_sync(s->find_active_jobs({{"late", "late-create"}, {"late", "late-create-2"}}));
    ASSERT_TRUE(active);
    ASSERT_EQ(active->size(), 2u);
    for (const auto& j : *active) {
        EXPECT_EQ(j.template_uid, j.id == a->job.id ? "uid-of-a" : "") << j.name;
    }
    auto missing = run_sync(s->record_created("00000000-0000-4000-8000-000000000000", "x"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, store_errc::not_found);
}

TEST_F(pg_store_test, record_created_leaves_a_claimed_create_to_its_worker_and_reports_a_cancel) {
    auto s = make_store();
    auto sub = run_sync(s->reserve_and_record_job(make_job("ivy", "claimed-create"),
                                                  place_gpus({{"c1", 100000}}, 1)));
    ASSERT_TRUE(sub);
    ASSERT_EQ(sub->job.state, job_state::submitting);
    // The suite's database is shared: other tests' due entries are claimed along.
    const auto claim_ours = [&]() -> std::optional<outbox_entry> {
        auto claimed = run_sync(s->claim_outbox("w", 1000, std::chrono::minutes(5)));
        EXPECT_TRUE(claimed);
        for (const auto& e : claimed ? *claimed : std::vector<outbox_entry>{}) {
            if (e.job_id == sub->job.id) {
                return e;
            }
        }
        return std::nullopt;
    };
    const auto first = claim_ours();
    ASSERT_TRUE(first);
    const auto entry = *first;

    // The request finished while a worker holds the entry: the uid is kept, the entry is not
    // closed under the worker, nor by a stale claim.
    ASSERT_TRUE(run_sync(s->record_created(sub->job.id, "uid-1")));
    auto stale = run_sync(s->record_created(
        sub->job.id, "uid-1", store::outbox_claim{entry.id, entry.attempts + 1}));
    ASSERT_TRUE(stale) << "a stale claim still records the uid";
    // Still open: its worker can hand it back, and the next claim closes it by recording.
    ASSERT_TRUE(run_sync(s->fail_outbox(entry.id, entry.attempts, "test", milliseconds(0))));
    const auto reclaimed = claim_ours();
    ASSERT_TRUE(reclaimed);
    const auto second = *reclaimed;
    ASSERT_TRUE(run_sync(
        s->record_created(sub->job.id, "uid-1", store::outbox_claim{second.id, second.attempts})));
    auto again = run_sync(s->complete_outbox(second.id, second.attempts));
    ASSERT_FALSE(again) << "the claim was closed by record_created";
    EXPECT_EQ(again.error().code, store_errc::conflict);

    ASSERT_TRUE(run_sync(s->cancel_job(sub->job.id, "test", std::nullopt)));
    auto after_cancel = run_sync(s->record_created(sub->job.id, "uid-1"));
    ASSERT_TRUE(after_cancel);
    EXPECT_EQ(*after_cancel, job_state::cancelled);
}

TEST_F(pg_store_test, a_cancels_delete_waits_for_the_submitting_requests_deadline) {
    auto s = make_store();
    auto job = make_job("ivy", "creating", "cancel-wait");
    job.create_delay = std::chrono::minutes(10);
    auto creating = run_sync(s->reserve_and_record_job(job, place_gpus({{"c1", 100000}}, 1)));
    job.name = "created";
    auto created = run_sync(s->reserve_and_record_job(job, place_gpus({{"c1", 100000}}, 1)));
    job.name = "gave-up";
    auto gave_up = run_sync(s->reserve_and_record_job(job, place_gpus({{"c1", 100000}}, 1)));
    ASSERT_TRUE(creating);
    ASSERT_TRUE(created);
    ASSERT_TRUE(gave_up);
    ASSERT_TRUE(run_sync(s->record_created(created->job.id, "uid-created")));
    ASSERT_TRUE(run_sync(s->make_create_due(gave_up->job.id)));
    for (const auto* j : {&creating, &created, &gave_up}) {
        ASSERT_TRUE(run_sync(s->cancel_job((*j)->job.id, "test", std::nullopt)));
    }
    // Only the job whose request may still be creating its objects keeps its delete waiting.
    auto claimed = run_sync(s->claim_outbox("w", 100, std::chrono::minutes(5)));
    ASSERT_TRUE(claimed);
    const std::set<std::string> ours = {creating->job.id, created->job.id, gave_up->job.id};
    std::set<std::string> deletes;
    for (const auto& e : *claimed) {
        if (ours.count(e.job_id) != 0) {  // the database is shared with the other tests
            EXPECT_EQ(e.op, outbox_op::remove) << e.job_id;
            deletes.insert(e.job_id);
        }
    }
    EXPECT_EQ(deletes, (std::set<std::string>{created->job.id, gave_up->job.id}));
}

TEST_F(pg_store_test, idempotency_key_replays_same_body_and_rejects_other_body) {
    auto s = make_store();
    auto j = make_job("erin", "idem");
    j.idempotency_key = "key-1";
    j.request_hash = "hash-a";
    auto first = run_sync(s->reserve_and_record_job(j, place_gpus({{"c1", 100}}, 1)));
    ASSERT_TRUE(first);
    EXPECT_FALSE(first->replayed);

    auto again = run_sync(s->reserve_and_record_job(j, place_gpus({{"c1", 100}}, 1)));
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->replayed);
    EXPECT_EQ(again->job.id, first->job.id);

    auto other_body = j;
    other_body.request_hash = "hash-b";
    auto mismatch = run_sync(s->reserve_and_record_job(other_body, place_gpus({{"c1", 100}}, 1)));
    ASSERT_FALSE(mismatch);
    EXPECT_EQ(mismatch.error().code, store_errc::idempotency_mismatch);

    auto other_user = j;
    other_user.owner = "frank";
    auto separate = run_sync(s->reserve_and_record_job(other_user, place_gpus({{"c1", 100}}, 1)));
    ASSERT_TRUE(separate);
    EXPECT_FALSE(separate->replayed);
    EXPECT_NE(separate->job.id, first->job.id);

    job_filter erin;
    erin.owner = "erin";
    auto page = run_sync(s->list_jobs(erin, 100, ""));
    ASSERT_TRUE(page);
    EXPECT_EQ(page->items.size(), 1u);
}

TEST_F(pg_store_test, concurrent_outbox_claimers_never_share_an_entry) {
    auto s = make_store(8);
    std::set<std::string> jobs;
    for (int i = 0; i < 30; ++i) {
        auto r = run_sync(s->reserve_and_record_job(make_job("gina", "ob-" + std::to_string(i)),
                                                    place_gpus({{"c1", 100000}}, 1)));
        ASSERT_TRUE(r);
        jobs.insert(r->job.id);
    }
    std::mutex m;
    std::multiset<std::int64_t> claimed;
    std::set<std::string> claimed_jobs;
    std::vector<std::thread> workers;
    for (int w = 0; w < 8; ++w) {
        workers.emplace_back([&, w] {
            for (;;) {
                auto r = run_sync(
                    s->claim_outbox("worker-" + std::to_string(w), 3, std::chrono::minutes(5)));
                if (!r || r->empty()) {
                    return;
                }
                std::lock_guard lock(m);
                for (const auto& e : *r) {
                    claimed.insert(e.id);
                    claimed_jobs.insert(e.job_id);
                    EXPECT_EQ(e.op, outbox_op::create);
                    EXPECT_EQ(e.attempts, 1);
                }
            }
        });
    }
    for (auto& t : workers) {
        t.join();
    }
    std::set<std::int64_t> unique(claimed.begin(), claimed.end());
    EXPECT_EQ(claimed.size(), unique.size());
    // Every job of this test was claimed (other tests' entries may be claimed too).
    for (const auto& id : jobs) {
        EXPECT_EQ(claimed_jobs.count(id), 1u) << id;
    }
    auto nothing = run_sync(s->claim_outbox("late", 10, std::chrono::minutes(5)));
    ASSERT_TRUE(nothing);
    EXPECT_TRUE(nothing->empty());
}

TEST_F(pg_store_test, failed_outbox_entry_is_retried_and_stale_claims_are_rejected) {
    auto s = make_store();
    auto r = run_sync(
        s->reserve_and_record_job(make_job("hank", "retry"), place_gpus({{"c1", 100000}}, 1)));
    ASSERT_TRUE(r);
    // Claim everything due (earlier tests may have left entries) and find ours.
    auto find_ours = [&](const std::vector<outbox_entry>& entries) -> std::optional<outbox_entry> {
        for (const auto& e : entries) {
            if (e.job_id == r->job.id) {
                return e;
            }
        }
        return std::nullopt;
    };
    auto first = run_sync(s->claim_outbox("w1", 1000, std::chrono::minutes(5)));
    ASSERT_TRUE(first);
    auto mine = find_ours(*first);
    ASSERT_TRUE(mine);
    ASSERT_TRUE(
        run_sync(s->fail_outbox(mine->id, mine->attempts, "karmada: 503", milliseconds(0))));

    auto second = run_sync(s->claim_outbox("w2", 1000, std::chrono::minutes(5)));
    ASSERT_TRUE(second);
    auto again = find_ours(*second);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->attempts, 2);
    EXPECT_EQ(again->last_error, "karmada: 503");
    EXPECT_EQ(again->claimed_by, "w2");

    auto stale = run_sync(s->complete_outbox(mine->id, mine->attempts));
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, store_errc::conflict);
    EXPECT_TRUE(run_sync(s->complete_outbox(again->id, again->attempts)));
    auto twice = run_sync(s->complete_outbox(again->id, again->attempts));
    EXPECT_FALSE(twice);
}

TEST_F(pg_store_test,
       cancel_releases_reservations_replaces_create_by_delete_and_repeats_harmlessly) {
    auto s = make_store();
    auto placed = run_sync(
        s->reserve_and_record_job(make_job("ivy", "to-cancel"), place_gpus({{"c9", 4}}, 4)));
    ASSERT_TRUE(placed);
    ASSERT_EQ(placed->job.state, job_state::submitting);
    auto queued =
        run_sync(s->reserve_and_record_job(make_job("ivy", "waiting"), place_gpus({{"c9", 4}}, 4)));
    ASSERT_TRUE(queued);
    ASSERT_EQ(queued->job.state, job_state::queued);
    EXPECT_EQ(queued->job.message, "no cluster has 4 free GPUs");

    auto other = run_sync(s->cancel_job(placed->job.id, "user asked", std::string("mallory")));
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, store_errc::not_found);

    auto c = run_sync(s->cancel_job(placed->job.id, "user asked", std::string("ivy")));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->state, job_state::cancelled);
    auto res = run_sync(s->list_reservations(placed->job.id));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->size(), 1u);
    EXPECT_TRUE((*res)[0].released_at);

    auto repeat = run_sync(s->cancel_job(placed->job.id, "again", std::nullopt));
    ASSERT_TRUE(repeat);
    EXPECT_EQ(repeat->generation, c->generation);
    auto events = run_sync(s->list_events(placed->job.id));
    ASSERT_TRUE(events);
    EXPECT_EQ(events->size(), 2u);
    EXPECT_EQ(events->back().reason, "Cancelled");

    // The pending create is gone and exactly one delete is queued for the job.
    auto entries = run_sync(s->claim_outbox("w", 1000, std::chrono::minutes(5)));
    ASSERT_TRUE(entries);
    int creates = 0, deletes = 0;
    for (const auto& e : *entries) {
        if (e.job_id == placed->job.id) {
            (e.op == outbox_op::create ? creates : deletes) += 1;
        }
    }
    EXPECT_EQ(creates, 0);
    EXPECT_EQ(deletes, 1);

    // The capacity freed by the cancel lets the queued job through.
    auto listed = run_sync(s->list_queued_jobs(1000));
    ASSERT_TRUE(listed);
    bool found = false;
    for (const auto& j : *listed) {
        found = found || j.id == queued->job.id;
    }
    EXPECT_TRUE(found);
    auto now_placed = run_sync(s->place_queued_job(queued->job.id, place_gpus({{"c9", 4}}, 4)));
    ASSERT_TRUE(now_placed);
    EXPECT_EQ(now_placed->state, job_state::submitting);
    auto twice = run_sync(s->place_queued_job(queued->job.id, place_gpus({{"c9", 4}}, 4)));
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, store_errc::conflict);
}

TEST_F(pg_store_test, delete_queued_by_cancel_waits_for_the_create_being_executed) {
    auto s = make_store();
    auto r = run_sync(
        s->reserve_and_record_job(make_job("mia", "in-flight"), place_gpus({{"c1", 100000}}, 1)));
    ASSERT_TRUE(r);
    auto claimed = run_sync(s->claim_outbox("w1", 1000, std::chrono::minutes(5)));
    ASSERT_TRUE(claimed);
    std::optional<outbox_entry> create;
    for (const auto& e : *claimed) {
        if (e.job_id == r->job.id) {
            create = e;
        }
    }
    ASSERT_TRUE(create);

    ASSERT_TRUE(run_sync(s->cancel_job(r->job.id, "user asked", std::nullopt)));
    // The worker's create was superseded; the delete is not due before its claim runs out.
    auto stale = run_sync(s->complete_outbox(create->id, create->attempts));
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, store_errc::conflict);
    auto due = run_sync(s->claim_outbox("w2", 1000, std::chrono::minutes(5)));
    ASSERT_TRUE(due);
    for (const auto& e : *due) {
        EXPECT_NE(e.job_id, r->job.id);
    }
}

TEST_F(pg_store_test, queued_jobs_come_out_by_priority_then_submission) {
    auto s = make_store();
    std::vector<std::string> ids;
    for (int p : {0, 5, 0, 5}) {
        auto j = make_job("jack", "prio-" + std::to_string(ids.size()), "prio");
        j.priority = p;
        auto r = run_sync(s->reserve_and_record_job(j, place_gpus({{"none", 0}}, 1)));
        ASSERT_TRUE(r);
        ids.push_back(r->job.id);
    }
    auto listed = run_sync(s->list_queued_jobs(1000));
    ASSERT_TRUE(listed);
    std::vector<std::string> order;
    for (const auto& j : *listed) {
        if (j.namespace_ == "prio") {
            order.push_back(j.id);
        }
    }
    EXPECT_EQ(order, (std::vector<std::string>{ids[1], ids[3], ids[0], ids[2]}));
}

TEST_F(pg_store_test, leader_lease_is_exclusive_renewable_and_taken_over) {
    auto s = make_store();
    const std::string lease = "reconciler";
    auto a = run_sync(s->acquire_lease(lease, "broker-a", std::chrono::minutes(1)));
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->held);
    EXPECT_EQ(a->epoch, 1);

    auto b = run_sync(s->acquire_lease(lease, "broker-b", std::chrono::minutes(1)));
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->held);
    EXPECT_EQ(b->holder, "broker-a");

    auto renew = run_sync(s->acquire_lease(lease, "broker-a", std::chrono::minutes(1)));
    ASSERT_TRUE(renew);
    EXPECT_TRUE(renew->held);
    EXPECT_EQ(renew->epoch, 1);

    // Graceful hand-over.
    ASSERT_TRUE(run_sync(s->release_lease(lease, "broker-a")));
    auto b2 = run_sync(s->acquire_lease(lease, "broker-b", milliseconds(1)));
    ASSERT_TRUE(b2);
    EXPECT_TRUE(b2->held);
    EXPECT_EQ(b2->epoch, 2);

    // broker-b "dies": its 1 ms lease runs out and broker-a takes over.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    store_result<lease_state> a2 = make_error(store_errc::internal, "not tried");
    do {
        a2 = run_sync(s->acquire_lease(lease, "broker-a", std::chrono::minutes(1)));
        ASSERT_TRUE(a2);
    } while (!a2->held && std::chrono::steady_clock::now() < deadline);
    EXPECT_TRUE(a2->held);
    EXPECT_EQ(a2->epoch, 3);
}

TEST_F(pg_store_test, placement_waiting_on_a_held_lock_times_out_and_records_nothing) {
    // Another "broker" holds the placement lock in an open transaction.
    pqxx::connection holder(url_);
    pqxx::work held(holder);
    held.exec("SELECT pg_advisory_xact_lock(4707218830177001)");

    auto o = options(1);
    o.statement_timeout = milliseconds(200);
    pg_store s(o);
    auto r = run_sync(s.reserve_and_record_job(make_job("lena", "blocked", "timeout-ns"),
                                               place_gpus({{"c1", 10}}, 1)));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, store_errc::timeout) << r.error().detail;
    held.abort();

    job_filter f;
    f.namespace_ = "timeout-ns";
    auto page = run_sync(s.list_jobs(f, 10, ""));
    ASSERT_TRUE(page) << page.error().detail;
    EXPECT_TRUE(page->items.empty());
}

TEST_F(pg_store_test, postgres_restart_gives_unavailable_then_recovers_without_half_writes) {
    auto& pg = test_support::postgres_server::instance();
    if (!pg.is_private()) {
        GTEST_SKIP() << "DATABASE_URL is set: the server cannot be restarted by the test";
    }
    auto s = make_store(2);
    ASSERT_TRUE(run_sync(s->ping()));
    job_filter mine;
    mine.namespace_ = "restart";
    auto before = run_sync(s->list_jobs(mine, 1000, ""));
    ASSERT_TRUE(before);

    ASSERT_TRUE(pg.stop());
    auto down = run_sync(s->reserve_and_record_job(make_job("kim", "during-outage", "restart"),
                                                   place_gpus({{"c1", 10}}, 1)));
    ASSERT_FALSE(down);
    EXPECT_EQ(down.error().code, store_errc::unavailable);
    auto ping_down = run_sync(s->ping());
    ASSERT_FALSE(ping_down);
    EXPECT_EQ(ping_down.error().code, store_errc::unavailable);
    ASSERT_TRUE(pg.start());

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    store_result<void> up = make_error(store_errc::unavailable, "not tried");
    while (!(up = run_sync(s->ping())) && std::chrono::steady_clock::now() < deadline) {
        ASSERT_EQ(up.error().code, store_errc::unavailable) << up.error().detail;
        std::this_thread::yield();
    }
    ASSERT_TRUE(up) << up.error().detail;

    auto after = run_sync(s->list_jobs(mine, 1000, ""));
    ASSERT_TRUE(after);
    EXPECT_EQ(after->items.size(), before->items.size());
    auto works = run_sync(s->reserve_and_record_job(make_job("kim", "after-outage", "restart"),
                                                    place_gpus({{"c1", 10}}, 1)));
    ASSERT_TRUE(works) << works.error().detail;
}

}  // namespace
}  // namespace broker::store::testing
