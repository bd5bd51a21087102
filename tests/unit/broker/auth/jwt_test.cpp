#include "broker/auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

namespace broker::auth {
namespace {

struct key_pair {
    std::string private_pem;
    std::string public_pem;
};

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
}

key_pair generate(bool ec) {
    EVP_PKEY* key = ec ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
    BIO* priv = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
    BIO* pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(pub, key);
    EVP_PKEY_free(key);
    return {bio_text(priv), bio_text(pub)};
}

const key_pair& ec_key() {
    static const key_pair k = generate(true);
    return k;
}
const key_pair& rsa_key() {
    static const key_pair k = generate(false);
    return k;
}

constexpr std::int64_t t0 = 1'800'000'000;

std::unique_ptr<jwt_verifier> verifier_for(std::vector<std::string> pems) {
    auto v = jwt_verifier::create(pems);
    EXPECT_TRUE(std::holds_alternative<std::unique_ptr<jwt_verifier>>(v));
    return std::move(std::get<std::unique_ptr<jwt_verifier>>(v));
}

std::string sign(const key_pair& k, std::string user, std::vector<std::string> roles = {}) {
    auto t = sign_token(k.private_pem, {std::move(user), std::move(roles), t0, 3600});
    EXPECT_TRUE(t.token) << t.error;
    return t.token.value_or("");
}

std::string refusal(const jwt_verifier& v, const std::string& token, std::int64_t now = t0) {
    auto r = v.verify(token, now);
    if (auto* e = std::get_if<token_error>(&r)) {
        return e->message;
    }
    return "accepted";
}

TEST(jwt, es256_round_trip_names_user_and_roles) {
    auto v = verifier_for({ec_key().public_pem});
    auto r = v->verify(sign(ec_key(), "alice", {"admin"}), t0 + 10);
    ASSERT_TRUE(std::holds_alternative<principal>(r)) << std::get<token_error>(r).message;
    EXPECT_EQ(std::get<principal>(r).user, "alice");
    EXPECT_TRUE(std::get<principal>(r).is_admin());
}

TEST(jwt, rs256_round_trip_without_roles_is_not_admin) {
    auto v = verifier_for({ec_key().public_pem, rsa_key().public_pem});
    auto r = v->verify(sign(rsa_key(), "bob"), t0);
    ASSERT_TRUE(std::holds_alternative<principal>(r)) << std::get<token_error>(r).message;
    EXPECT_EQ(std::get<principal>(r).user, "bob");
    EXPECT_FALSE(std::get<principal>(r).is_admin());
}

TEST(jwt, refuses_expired_not_yet_valid_and_foreign_tokens) {
    auto v = verifier_for({ec_key().public_pem});
    const auto token = sign(ec_key(), "alice");
    EXPECT_EQ(refusal(*v, token, t0 + 3600 + 31), "token has expired");
    EXPECT_EQ(refusal(*v, token, t0 - 31), "token is not valid yet");
    EXPECT_EQ(refusal(*v, token, t0 + 3600 + 29), "accepted");  // within the leeway
    EXPECT_EQ(refusal(*v, sign(rsa_key(), "alice")), "invalid signature");
    EXPECT_EQ(refusal(*v, sign(generate(true), "alice")), "invalid signature");
}

TEST(jwt, refuses_tampered_claims_and_alg_none) {
    auto v = verifier_for({ec_key().public_pem});
    const auto token = sign(ec_key(), "alice");
    const auto dot1 = token.find('.');
    const auto dot2 = token.find('.', dot1 + 1);
    const auto forged_claims = base64url_encode(
        R"({"sub":"mallory","roles":["admin"],"exp":9999999999})");
    EXPECT_EQ(refusal(*v, token.substr(0, dot1 + 1) + forged_claims + token.substr(dot2)),
              "invalid signature");
    const auto none = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + forged_claims + ".";
    EXPECT_EQ(refusal(*v, none), "unsupported token algorithm none");
    const auto hs = base64url_encode(R"({"alg":"HS256"})") + "." + forged_claims + ".AAAA";
    EXPECT_EQ(refusal(*v, hs), "unsupported token algorithm HS256");
}

TEST(jwt, refuses_malformed_tokens_with_a_reason) {
    auto v = verifier_for({ec_key().public_pem});
    EXPECT_EQ(refusal(*v, ""), "malformed token: expected three dot-separated parts");
    EXPECT_EQ(refusal(*v, "a.b"), "malformed token: expected three dot-separated parts");
    EXPECT_EQ(refusal(*v, "a.b.c.d"), "malformed token: expected three dot-separated parts");
    EXPECT_EQ(refusal(*v, "!!.??.**"), "malformed token: invalid base64url");
    EXPECT_EQ(refusal(*v, base64url_encode("[]") + "." + base64url_encode("{}") + ".AAAA"),
              "malformed token: header and claims must be JSON objects");
    EXPECT_EQ(refusal(*v, std::string(10000, 'a')), "token is too large");
}

TEST(jwt, rejects_unusable_keys_with_their_index) {
    auto bad = jwt_verifier::create({ec_key().public_pem, "not a key"});
    ASSERT_TRUE(std::holds_alternative<std::string>(bad));
    EXPECT_EQ(std::get<std::string>(bad), "public key 1: not a PEM public key or certificate");
    EXPECT_EQ(sign_token("garbage", {"u", {}, t0, 60}).error, "not a PEM private key");
    EXPECT_EQ(sign_token(ec_key().private_pem, {"", {}, t0, 60}).error,
              "the user must not be empty");
}

TEST(base64url, round_trips_every_length_and_rejects_bad_text) {
    std::string bytes;
    for (int i = 0; i < 70; ++i) {
        EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
        bytes += static_cast<char>(i * 37);
    }
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_FALSE(base64url_decode("abcde"));
    EXPECT_FALSE(base64url_decode("ab+/"));
}

}  // namespace
}  // namespace broker::auth
