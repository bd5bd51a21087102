#include "proxy/aggregate.hpp"

namespace proxy {

aggregated_list aggregate_lists(const std::vector<member_outcome>& outcomes,
                                const aggregate_options& options)
{
    aggregated_list out;
    nlohmann::json items = nlohmann::json::array();
    std::string api_version = "v1";
    std::string kind = "List";
    bool have_kind = false;
    bool truncated = false;
    std::size_t answered = 0;

    for (const auto& o : outcomes) {
        if (!o.result) {
            const auto& e = o.result.error();
            out.failures.push_back({o.member, e.reason, e.message, o.timed_out()});
            continue;
        }
        const auto& body = o.result->body;
        const auto list = body.is_object() ? body.find("items") : body.end();
        if (!body.is_object() || list == body.end() || !(list->is_array() || list->is_null())) {
            out.failures.push_back(
                {o.member, "BadResponse", "the member's answer is not a list", false});
            continue;
        }
        ++answered;
        if (!have_kind) {
            api_version = body.value("apiVersion", api_version);
            kind = body.value("kind", kind);
            have_kind = true;
        }
        if (!list->is_array()) {
            continue;
        }
        for (const auto& item : *list) {
            if (items.size() >= options.max_items) {
                truncated = true;
                break;
            }
            nlohmann::json marked = item;
            if (marked.is_object()) {
                auto& meta = marked["metadata"];
                if (!meta.is_object()) {
                    meta = nlohmann::json::object();
                }
                auto& annotations = meta["annotations"];
                if (!annotations.is_object()) {
                    annotations = nlohmann::json::object();
                }
                annotations[options.cluster_annotation] = o.member;
            }
            items.push_back(std::move(marked));
        }
    }

    nlohmann::json failures = nlohmann::json::array();
    bool all_timed_out = !out.failures.empty();
    for (const auto& f : out.failures) {
        failures.push_back({{"cluster", f.cluster}, {"reason", f.reason}, {"message", f.message}});
        all_timed_out = all_timed_out && f.timed_out;
    }
    if (answered == 0 && !out.failures.empty()) {
        out.http_status = all_timed_out ? 504 : 502;
    }
    nlohmann::json metadata = nlohmann::json::object();
    if (truncated) {
        metadata["truncated"] = true;
    }
    out.body = {{"apiVersion", api_version},
                {"kind", kind},
                {"metadata", std::move(metadata)},
                {"items", std::move(items)},
                {"failures", std::move(failures)}};
    return out;
}

}  // namespace proxy
