#include "broker/server/status_error.hpp"

#include "propagation/error.hpp"

#include <nlohmann/json.hpp>

namespace broker::server {

std::string default_status_reason(unsigned code)
{
    return std::string(propagation::status_reason_for_code(code));
}

nlohmann::json to_json(const status_error& error)
{
    nlohmann::json out = {
        {"kind", "Status"},
        {"apiVersion", "v1"},
        {"metadata", nlohmann::json::object()},
        {"status", "Failure"},
        {"message", error.message},
        {"reason", error.reason.empty() ? default_status_reason(error.code) : error.reason},
    };
    if (error.details) {
        const auto& d = *error.details;
        nlohmann::json details = nlohmann::json::object();
        if (!d.name.empty()) {
            details["name"] = d.name;
        }
        // The API server always names the group for object errors, "" for the core group.
        if (!d.name.empty() || !d.group.empty()) {
            details["group"] = d.group;
        }
        if (!d.kind.empty()) {
            details["kind"] = d.kind;
        }
        if (!d.uid.empty()) {
            details["uid"] = d.uid;
        }
        if (!d.causes.empty()) {
            auto& causes = details["causes"] = nlohmann::json::array();
            for (const auto& c : d.causes) {
                nlohmann::json cause = {{"reason", c.reason}, {"message", c.message}};
                if (!c.field.empty()) {
                    cause["field"] = c.field;
                }
                causes.push_back(std::move(cause));
            }
        }
        if (d.retry_after_seconds) {
            details["retryAfterSeconds"] = *d.retry_after_seconds;
        }
        out["details"] = std::move(details);
    }
    out["code"] = error.code;
    return out;
}

std::string status_body(const status_error& error)
{
    return to_json(error).dump();
}

status_error make_status(unsigned code, std::string message, std::string reason)
{
    return status_error{code, std::move(reason), std::move(message), std::nullopt};
}

status_error not_found_status(std::string_view resource_group, std::string_view name)
{
    status_error e;
    e.code = 404;
    e.reason = "NotFound";
    e.message = std::string(resource_group) + " \"" + std::string(name) + "\" not found";
    status_details d;
    d.name = std::string(name);
    auto dot = resource_group.find('.');
    d.kind = std::string(resource_group.substr(0, dot));
    d.group = dot == std::string_view::npos ? std::string() : std::string(resource_group.substr(dot + 1));
    e.details = std::move(d);
    return e;
}

} // namespace broker::server
