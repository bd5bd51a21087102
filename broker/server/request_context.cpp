#include "broker/server/request_context.hpp"

#include <algorithm>
#include <cctype>

namespace broker::server {

namespace {

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

std::optional<std::string_view> param_list::get(std::string_view name) const
{
    for (const auto& [k, v] : items) {
        if (k == name) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

std::string param_list::value_or(std::string_view name, std::string_view fallback) const
{
    auto v = get(name);
    return std::string(v ? *v : fallback);
}

void param_list::set(std::string name, std::string value)
{
    for (auto& [k, v] : items) {
        if (k == name) {
            v = std::move(value);
            return;
        }
    }
    items.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> header_list::get(std::string_view name) const
{
    for (const auto& [k, v] : items) {
        if (iequals(k, name)) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

std::string header_list::value_or(std::string_view name, std::string_view fallback) const
{
    auto v = get(name);
    return std::string(v ? *v : fallback);
}

} // namespace broker::server
