#include "broker/store/job_record.hpp"
#include "broker/store/pg_failure.hpp"
#include "broker/store/pg_store.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace broker::store {
namespace {

TEST(job_state_names, round_trip_every_state) {
    for (auto s : {job_state::queued, job_state::submitting, job_state::running,
                   job_state::succeeded, job_state::failed, job_state::cancelled}) {
        EXPECT_EQ(parse_job_state(to_string(s)), s) << to_string(s);
    }
    EXPECT_EQ(parse_job_state("running"), std::nullopt);
    EXPECT_EQ(parse_job_state(""), std::nullopt);
}

struct transition_case {
    const char* name;
    job_state from;
    job_state to;
    bool allowed;
};

TEST(job_state_transitions, lifecycle_edges) {
    const transition_case cases[] = {
        {"Queued to Submitting", job_state::queued, job_state::submitting, true},
        {"Queued to Cancelled", job_state::queued, job_state::cancelled, true},
        {"Queued to Running", job_state::queued, job_state::running, false},
        {"Submitting to Running", job_state::submitting, job_state::running, true},
        {"Submitting to Failed", job_state::submitting, job_state::failed, true},
        {"Running to Succeeded", job_state::running, job_state::succeeded, true},
        {"Running to Submitting", job_state::running, job_state::submitting, false},
        {"Running to Queued", job_state::running, job_state::queued, false},
        {"Succeeded to Running", job_state::succeeded, job_state::running, false},
        {"Cancelled to Cancelled", job_state::cancelled, job_state::cancelled, false},
        {"Failed to Cancelled", job_state::failed, job_state::cancelled, false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(is_allowed_transition(c.from, c.to), c.allowed) << c.name;
    }
}

TEST(continue_token, round_trips_and_rejects_garbage) {
    for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{123456789},
                           std::numeric_limits<std::int64_t>::max()}) {
        EXPECT_EQ(decode_continue_token(encode_continue_token(v)), v) << v;
    }
    EXPECT_EQ(decode_continue_token("!!"), std::nullopt);
    EXPECT_EQ(decode_continue_token("abc"), std::nullopt);
    EXPECT_EQ(decode_continue_token(std::string(100, 'A')), std::nullopt);
}

TEST(uuid_check, canonical_form_only) {
    EXPECT_TRUE(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
    EXPECT_FALSE(is_uuid("123e4567e89b12d3a456426614174000"));
    EXPECT_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
    EXPECT_FALSE(is_uuid(""));
}

struct timeout_case {
    const char* name;
    std::string url;
    std::string expected;
};

TEST(connect_timeout, added_once_in_either_form) {
    const timeout_case cases[] = {
        {"uri without query", "postgresql://h/db", "postgresql://h/db?connect_timeout=3"},
        {"uri with query", "postgresql:///db?host=/s",
         "postgresql:///db?host=/s&connect_timeout=3"},
        {"key value", "host=/s dbname=db", "host=/s dbname=db connect_timeout=3"},
        {"already set", "host=/s connect_timeout=9", "host=/s connect_timeout=9"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(with_connect_timeout(c.url, std::chrono::milliseconds(2500)), c.expected)
            << c.name;
    }
}

}  // namespace
}  // namespace broker::store
