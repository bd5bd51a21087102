#include "broker/auth/jwt.hpp"

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>

namespace broker::auth {
namespace {

constexpr std::size_t max_token_bytes = 8192;
constexpr std::size_t es256_part_bytes = 32;

struct pkey_deleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

struct bio_deleter {
    void operator()(BIO* b) const { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

struct md_ctx_deleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

struct ecdsa_sig_deleter {
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, ecdsa_sig_deleter>;

bio_ptr memory_bio(std::string_view pem) {
    return bio_ptr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

enum class algorithm { es256, rs256 };

/// The JOSE algorithm a key signs with, or nothing for unsupported keys (EC curves other than
/// P-256, DSA, Ed25519...).
std::optional<algorithm> algorithm_of(EVP_PKEY* key) {
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA: return algorithm::rs256;
        case EVP_PKEY_EC: {
            std::array<char, 64> group{};
            std::size_t len = 0;
            if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &len) == 1 &&
                std::string_view(group.data(), len) == "prime256v1") {
                return algorithm::es256;
            }
            return std::nullopt;
        }
        default: return std::nullopt;
    }
}

const char* jose_name(algorithm a) { return a == algorithm::es256 ? "ES256" : "RS256"; }

}  // namespace

struct jwt_verifier::key {
    pkey_ptr pkey;
    algorithm alg;
};

bool principal::is_admin() const {
    return std::find(roles.begin(), roles.end(), "admin") != roles.end();
}

std::string base64url_encode(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                       (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                       std::uint32_t(std::uint8_t(bytes[i + 2]));
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    const auto rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
        if (rest == 2) {
            n |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
        }
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        if (rest == 2) {
            out += alphabet[(n >> 6) & 63];
        }
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | std::uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

signed_token sign_token(std::string_view key_pem, const sign_request& request) {
    auto bio = memory_bio(key_pem);
    pkey_ptr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!pkey) {
        return {std::nullopt, "not a PEM private key"};
    }
    const auto alg = algorithm_of(pkey.get());
    if (!alg) {
        return {std::nullopt, "unsupported key: use an EC P-256 key (ES256) or an RSA key (RS256)"};
    }
    if (request.user.empty()) {
        return {std::nullopt, "the user must not be empty"};
    }
    const nlohmann::json header = {{"alg", jose_name(*alg)}, {"typ", "JWT"}};
    const nlohmann::json claims = {{"sub", request.user},
                                   {"roles", request.roles},
                                   {"iat", request.issued_at},
                                   {"nbf", request.issued_at},
                                   {"exp", request.issued_at + request.ttl_seconds}};
    const auto signing_input = base64url_encode(header.dump()) + "." +
                               base64url_encode(claims.dump());

    md_ctx_ptr ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
        return {std::nullopt, "signing failed"};
    }
    std::string signature(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
        return {std::nullopt, "signing failed"};
    }
    signature.resize(len);
    if (*alg == algorithm::es256) {
        // OpenSSL produces DER; JOSE wants the fixed-width concatenation r || s.
        const auto* p = reinterpret_cast<const unsigned char*>(signature.data());
        ecdsa_sig_ptr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size())));
        if (!sig) {
            return {std::nullopt, "signing failed"};
        }
        std::string raw(2 * es256_part_bytes, '\0');
        auto* out = reinterpret_cast<unsigned char*>(raw.data());
        if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, es256_part_bytes) < 0 ||
            BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + es256_part_bytes,
                         es256_part_bytes) < 0) {
            return {std::nullopt, "signing failed"};
        }
        signature = std::move(raw);
    }
    return {signing_input + "." + base64url_encode(signature), {}};
}

jwt_verifier::jwt_verifier(std::vector<std::unique_ptr<key>> keys, std::int64_t leeway)
    : keys_(std::move(keys)), leeway_(leeway) {}

jwt_verifier::~jwt_verifier() = default;

std::variant<std::unique_ptr<jwt_verifier>, std::string> jwt_verifier::create(
    const std::vector<std::string>& public_key_pems, std::int64_t leeway_seconds) {
    std::vector<std::unique_ptr<key>> keys;
    for (std::size_t i = 0; i < public_key_pems.size(); ++i) {
        auto bio = memory_bio(public_key_pems[i]);
        pkey_ptr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
        if (!pkey) {
            auto cert_bio = memory_bio(public_key_pems[i]);
            X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
            if (cert != nullptr) {
                pkey.reset(X509_get_pubkey(cert));
                X509_free(cert);
            }
        }
        if (!pkey) {
            return "public key " + std::to_string(i) +
                   ": not a PEM public key or certificate";
        }
        const auto alg = algorithm_of(pkey.get());
        if (!alg) {
            return "public key " + std::to_string(i) +
                   ": unsupported key type (EC P-256 or RSA expected)";
        }
        keys.push_back(std::make_unique<key>(key{std::move(pkey), *alg}));
    }
    return std::unique_ptr<jwt_verifier>(new jwt_verifier(std::move(keys), leeway_seconds));
}

std::variant<principal, token_error> jwt_verifier::verify(std::string_view token,
                                                          std::int64_t now) const {
    if (token.size() > max_token_bytes) {
        return token_error{"token is too large"};
    }
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        return token_error{"malformed token: expected three dot-separated parts"};
    }
    const auto header_text = base64url_decode(token.substr(0, dot1));
    const auto claims_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    auto signature = base64url_decode(token.substr(dot2 + 1));
    if (!header_text || !claims_text || !signature) {
        return token_error{"malformed token: invalid base64url"};
    }
    const auto header = nlohmann::json::parse(*header_text, nullptr, false);
    const auto claims = nlohmann::json::parse(*claims_text, nullptr, false);
    if (!header.is_object() || !claims.is_object()) {
        return token_error{"malformed token: header and claims must be JSON objects"};
    }
    const auto alg_it = header.find("alg");
    if (alg_it == header.end() || !alg_it->is_string()) {
        return token_error{"malformed token: no alg"};
    }
    std::optional<algorithm> alg;
    if (*alg_it == "ES256") {
        alg = algorithm::es256;
    } else if (*alg_it == "RS256") {
        alg = algorithm::rs256;
    } else {
        return token_error{"unsupported token algorithm " + alg_it->get<std::string>()};
    }
    if (*alg == algorithm::es256) {
        if (signature->size() != 2 * es256_part_bytes) {
            return token_error{"invalid signature"};
        }
        ecdsa_sig_ptr sig(ECDSA_SIG_new());
        const auto* raw = reinterpret_cast<const unsigned char*>(signature->data());
        BIGNUM* r = BN_bin2bn(raw, es256_part_bytes, nullptr);
        BIGNUM* s = BN_bin2bn(raw + es256_part_bytes, es256_part_bytes, nullptr);
        if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
            BN_free(r);
            BN_free(s);
            return token_error{"invalid signature"};
        }
        unsigned char* der = nullptr;
        const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
        if (der_len <= 0) {
            return token_error{"invalid signature"};
        }
        signature->assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(der_len));
        OPENSSL_free(der);
    }
    const auto signing_input = token.substr(0, dot2);
    bool verified = false;
    for (const auto& k : keys_) {
        if (k->alg != *alg) {
            continue;
        }
        md_ctx_ptr ctx(EVP_MD_CTX_new());
        if (ctx &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k->pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                             signature->size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1) {
            verified = true;
            break;
        }
    }
    if (!verified) {
        return token_error{"invalid signature"};
    }
    auto int_claim = [&](const char* name) -> std::optional<std::int64_t> {
        auto it = claims.find(name);
        if (it == claims.end() || !it->is_number_integer()) {
            return std::nullopt;
        }
        return it->get<std::int64_t>();
    };
    const auto exp = int_claim("exp");
    if (!exp) {
        return token_error{"token has no integer exp claim"};
    }
    if (now > *exp + leeway_) {
        return token_error{"token has expired"};
    }
    if (const auto nbf = int_claim("nbf"); nbf && now + leeway_ < *nbf) {
        return token_error{"token is not valid yet"};
    }
    principal p;
    const auto sub = claims.find("sub");
    if (sub == claims.end() || !sub->is_string() || sub->get<std::string>().empty()) {
        return token_error{"token has no sub claim"};
    }
    p.user = sub->get<std::string>();
    if (const auto roles = claims.find("roles"); roles != claims.end()) {
        if (!roles->is_array()) {
            return token_error{"roles claim must be an array of strings"};
        }
        for (const auto& r : *roles) {
            if (!r.is_string()) {
                return token_error{"roles claim must be an array of strings"};
            }
            p.roles.push_back(r.get<std::string>());
        }
    }
    return p;
}

}  // namespace broker::auth
