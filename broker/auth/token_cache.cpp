#include "broker/auth/token_cache.hpp"

#include <nlohmann/json.hpp>

namespace broker::auth {

std::optional<principal> token_cache::find(std::string_view token, std::int64_t now) const
{
    std::lock_guard lock(mutex_);
    // Heterogeneous lookup needs C++20 transparent hashing; a temporary key is cheap next to
    // the signature check it saves.
    auto it = entries_.find(std::string(token));
    if (it == entries_.end() || now > it->second.exp) {
        return std::nullopt;
    }
    return it->second.who;
}

void token_cache::remember(std::string_view token, const principal& who, std::int64_t exp,
                           std::int64_t now)
{
    std::lock_guard lock(mutex_);
    if (entries_.size() >= capacity_) {
        std::erase_if(entries_, [now](const auto& e) { return e.second.exp < now; });
        if (entries_.size() >= capacity_) {
            entries_.clear();
        }
    }
    entries_.insert_or_assign(std::string(token), entry{who, exp});
}

std::size_t token_cache::size() const
{
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::optional<std::int64_t> token_expiry(std::string_view token)
{
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos) {
        return std::nullopt;
    }
    auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
    if (!payload) {
        return std::nullopt;
    }
    auto claims = nlohmann::json::parse(*payload, nullptr, false);
    if (!claims.is_object()) {
        return std::nullopt;
    }
    auto exp = claims.find("exp");
    if (exp == claims.end() || !exp->is_number_integer()) {
        return std::nullopt;
    }
    return exp->get<std::int64_t>();
}

}  // namespace broker::auth
