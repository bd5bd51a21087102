#include "sim/model/api_error.hpp"

#include "sim/model/resource_registry.hpp"

#include <stdexcept>

namespace fedsim::model {

namespace {

std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    out += s;
    out += '"';
    return out;
}

api_error with_details(int code, std::string reason, std::string message, std::string name,
                       std::string group, std::string kind) {
    api_error e;
    e.code = code;
    e.reason = std::move(reason);
    e.message = std::move(message);
    status_details d;
    d.name = std::move(name);
    d.group = std::move(group);
    d.kind = std::move(kind);
    e.details = std::move(d);
    return e;
}

}  // namespace

nlohmann::json api_error::to_status() const {
    nlohmann::json j = {
        {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
        {"status", "Failure"}, {"message", message}, {"reason", reason},
        {"code", code}};
    if (reason.empty())
        j.erase("reason");
    if (details) {
        nlohmann::json d = nlohmann::json::object();
        if (!details->name.empty())
            d["name"] = details->name;
        if (!details->group.empty())
            d["group"] = details->group;
        if (!details->kind.empty())
            d["kind"] = details->kind;
        if (!details->uid.empty())
            d["uid"] = details->uid;
        if (!details->causes.empty()) {
            nlohmann::json causes = nlohmann::json::array();
            for (const auto& c : details->causes) {
                nlohmann::json cj = nlohmann::json::object();
                if (!c.reason.empty())
                    cj["reason"] = c.reason;
                if (!c.message.empty())
                    cj["message"] = c.message;
                if (!c.field.empty())
                    cj["field"] = c.field;
                causes.push_back(std::move(cj));
            }
            d["causes"] = std::move(causes);
        }
        if (details->retry_after_seconds)
            d["retryAfterSeconds"] = *details->retry_after_seconds;
        j["details"] = std::move(d);
    }
    return j;
}

void throw_exception_from_error(const api_error& e, const boost::source_location&) {
    throw std::runtime_error(e.message);
}

nlohmann::json success_status(const resource_info& resource, std::string_view name,
                              std::string_view uid) {
    nlohmann::json details = {{"name", name}, {"kind", resource.plural}};
    if (!resource.group.empty())
        details["group"] = resource.group;
    if (!uid.empty())
        details["uid"] = uid;
    return {{"kind", "Status"},
            {"apiVersion", "v1"},
            {"metadata", nlohmann::json::object()},
            {"status", "Success"},
            {"details", std::move(details)}};
}

api_error not_found(const resource_info& resource, std::string_view name) {
    return not_found(resource.group, resource.plural, name);
}

api_error not_found(std::string_view group, std::string_view plural, std::string_view name) {
    std::string res(plural);
    if (!group.empty())
        res += "." + std::string(group);
    return with_details(404, "NotFound", res + " " + quoted(name) + " not found", std::string(name),
                        std::string(group), std::string(plural));
}

api_error not_found_path() {
    api_error e;
    e.code = 404;
    e.reason = "NotFound";
    e.message = "the server could not find the requested resource";
    e.details = status_details{};
    return e;
}

api_error already_exists(const resource_info& resource, std::string_view name) {
    return with_details(409, "AlreadyExists",
                        resource.qualified_plural() + " " + quoted(name) + " already exists",
                        std::string(name), resource.group, resource.plural);
}

api_error conflict(const resource_info& resource, std::string_view name, std::string_view why) {
    return with_details(409, "Conflict",
                        "Operation cannot be fulfilled on " + resource.qualified_plural() + " " +
                            quoted(name) + ": " + std::string(why),
                        std::string(name), resource.group, resource.plural);
}

api_error invalid(const resource_info& resource, std::string_view name,
                  std::vector<status_cause> causes) {
    std::string msg = resource.qualified_kind() + " " + quoted(name) + " is invalid: ";
    if (causes.size() == 1) {
        const auto& c = causes.front();
        msg += c.field.empty() ? c.message : c.field + ": " + c.message;
    } else {
        // The API server prints an aggregate of several errors as "[a, b]".
        msg += "[";
        for (std::size_t i = 0; i < causes.size(); ++i) {
            if (i)
                msg += ", ";
            msg += causes[i].field.empty() ? causes[i].message
                                           : causes[i].field + ": " + causes[i].message;
        }
        msg += "]";
    }
    auto e = with_details(422, "Invalid", std::move(msg), std::string(name), resource.group,
                          resource.kind);
    e.details->causes = std::move(causes);
    return e;
}

api_error bad_request(std::string message) {
    api_error e;
    e.code = 400;
    e.reason = "BadRequest";
    e.message = std::move(message);
    return e;
}

api_error forbidden(const resource_info& resource, std::string_view name, std::string message) {
    std::string full =
        resource.qualified_plural() + " " + quoted(name) + " is forbidden: " + message;
    return with_details(403, "Forbidden", std::move(full), std::string(name), resource.group,
                        resource.plural);
}

api_error method_not_allowed() {
    api_error e;
    e.code = 405;
    e.reason = "MethodNotAllowed";
    e.message = "the server does not allow this method on the requested resource";
    e.details = status_details{};
    return e;
}

api_error expired(std::string message) {
    api_error e;
    e.code = 410;
    e.reason = "Expired";
    e.message = std::move(message);
    return e;
}

api_error internal_error(std::string message) {
    api_error e;
    e.code = 500;
    e.reason = "InternalError";
    e.message = "Internal error occurred: " + message;
    status_details d;
    d.causes.push_back({"", message, ""});
    e.details = std::move(d);
    return e;
}

api_error service_unavailable(std::string message) {
    api_error e;
    e.code = 503;
    e.reason = "ServiceUnavailable";
    e.message = std::move(message);
    return e;
}

api_error too_many_requests(std::string message, int retry_after_seconds) {
    api_error e;
    e.code = 429;
    e.reason = "TooManyRequests";
    e.message = std::move(message);
    status_details d;
    d.retry_after_seconds = retry_after_seconds;
    e.details = std::move(d);
    return e;
}

}  // namespace fedsim::model
