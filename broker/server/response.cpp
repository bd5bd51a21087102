#include "broker/server/response.hpp"

#include <nlohmann/json.hpp>

namespace broker::server {

response json_response(unsigned status, const nlohmann::json& value)
{
    response r;
    r.status = status;
    r.body = value.dump();
    return r;
}

response text_response(unsigned status, std::string body, std::string content_type)
{
    response r;
    r.status = status;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    return r;
}

response status_response(const status_error& error)
{
    response r;
    r.status = error.code;
    r.body = status_body(error);
    if (error.details && error.details->retry_after_seconds) {
        r.headers.emplace_back("Retry-After", std::to_string(*error.details->retry_after_seconds));
    }
    return r;
}

response error_response(unsigned code, std::string message, std::string reason)
{
    return status_response(make_status(code, std::move(message), std::move(reason)));
}

} // namespace broker::server
