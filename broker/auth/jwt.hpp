#pragma once
/// JSON Web Tokens signed with ES256 (EC P-256) or RS256 (RSA), the two algorithms the broker
/// accepts (CONTRACTS.md §3): `broker token` signs with a PEM private key; `broker serve` verifies
/// with one or more PEM public keys from the identity provider.
///
/// Claims used: `sub` (the user), `roles` (array of strings; "admin" grants cluster-admin views),
/// `exp`, `nbf`, `iat` (seconds since the epoch). Anything else is ignored. `alg: none`, HMAC
/// algorithms and algorithm/key-type mismatches are refused.
///
/// Thread safety: `jwt_verifier` is immutable after construction and safe to share between
/// threads; the free functions are pure apart from OpenSSL's own thread-safe state.

#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <string>
#include <string_view>
#include <vector>

namespace broker::auth {

/// Who is calling, as established by a verified token (or the development header).
struct principal {
    std::string user;
    std::vector<std::string> roles;
    bool is_admin() const;
};

/// Why a token was refused; the message is safe to return to the client.
struct token_error {
    std::string message;
};

struct sign_request {
    std::string user;
    std::vector<std::string> roles;
    std::int64_t issued_at = 0;      ///< seconds since the epoch
    std::int64_t ttl_seconds = 3600;
};

/// Signs a token with the PEM private key `key_pem` (EC P-256 → ES256, RSA → RS256).
/// Returns the compact serialisation, or an error for an unusable key.
struct signed_token {
    std::optional<std::string> token;
    std::string error;
};
signed_token sign_token(std::string_view key_pem, const sign_request& request);

class jwt_verifier {
public:
    /// Loads PEM public keys (SubjectPublicKeyInfo, or an X.509 certificate). Errors name the
    /// offending key by index.
    static std::variant<std::unique_ptr<jwt_verifier>, std::string> create(
        const std::vector<std::string>& public_key_pems, std::int64_t leeway_seconds = 30);
    ~jwt_verifier();
    jwt_verifier(const jwt_verifier&) = delete;
    jwt_verifier& operator=(const jwt_verifier&) = delete;

    /// Verifies `token` at time `now` (seconds since the epoch; injected for tests).
    std::variant<principal, token_error> verify(std::string_view token, std::int64_t now) const;

private:
    struct key;
    explicit jwt_verifier(std::vector<std::unique_ptr<key>> keys, std::int64_t leeway);
    std::vector<std::unique_ptr<key>> keys_;
    std::int64_t leeway_;
};

/// base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace broker::auth
