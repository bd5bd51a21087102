#include "broker/store/job_record.hpp"

#include <array>
#include <utility>

namespace broker::store {

namespace {
constexpr std::array<std::pair<job_state, std::string_view>, 6> state_names{{
    {job_state::queued, "Queued"},
    {job_state::submitting, "Submitting"},
    {job_state::running, "Running"},
    {job_state::succeeded, "Succeeded"},
    {job_state::failed, "Failed"},
    {job_state::cancelled, "Cancelled"},
}};
}  // namespace

std::string_view to_string(job_state s) {
    for (const auto& [state, name] : state_names) {
        if (state == s) {
            return name;
        }
    }
    return "Unknown";
}

std::optional<job_state> parse_job_state(std::string_view s) {
    for (const auto& [state, name] : state_names) {
        if (name == s) {
            return state;
        }
    }
    return std::nullopt;
}

bool is_terminal(job_state s) {
    return s == job_state::succeeded || s == job_state::failed || s == job_state::cancelled;
}

bool is_allowed_transition(job_state from, job_state to) {
    if (from == to || is_terminal(from)) {
        return false;
    }
    switch (from) {
        case job_state::queued:
            return to == job_state::submitting || to == job_state::cancelled ||
                   to == job_state::failed;
        case job_state::submitting:
        case job_state::running:
            return to != job_state::queued && to != job_state::submitting;
        default:
            return false;
    }
}

std::string_view to_string(outbox_op op) {
    return op == outbox_op::create ? "create" : "delete";
}

}  // namespace broker::store
