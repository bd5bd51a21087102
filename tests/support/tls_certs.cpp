#include "tests/support/tls_certs.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <memory>
#include <stdexcept>

namespace test_support {

namespace {

struct pkey_free { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_free { void operator()(X509* p) const { X509_free(p); } };
struct bio_free { void operator()(BIO* p) const { BIO_free(p); } };
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using bio_ptr = std::unique_ptr<BIO, bio_free>;

void check(bool ok, const char* what)
{
    if (!ok) {
        throw std::runtime_error(std::string("OpenSSL failed: ") + what);
    }
}

pkey_ptr new_key()
{
    pkey_ptr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EC key generation");
    return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, value);
    check(X509_add_ext(cert, ext, -1) == 1, "add extension");
    X509_EXTENSION_free(ext);
}

/// A certificate for `key` named `cn`, signed by `issuer_key` (self-signed when `issuer`
/// is null). Valid from an hour ago for a day, so clock skew in CI does not matter.
x509_ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                   bool is_ca, const char* san, const char* eku)
{
    static std::atomic<long> serial{1000};
    x509_ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    check(X509_set_pubkey(cert.get(), key) == 1, "set pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509* signer = issuer ? issuer : cert.get();
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");
    add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
    if (issuer) {
        add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    }
    if (is_ca) {
        add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    }
    if (san) {
        add_ext(cert.get(), signer, NID_subject_alt_name, san);
    }
    if (eku) {
        add_ext(cert.get(), signer, NID_ext_key_usage, eku);
    }
    check(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "sign");
    return cert;
}

std::string bio_text(BIO* bio)
{
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string cert_pem(X509* cert)
{
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(bio.get(), cert) == 1, "write certificate");
    return bio_text(bio.get());
}

std::string key_pem(EVP_PKEY* key)
{
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "write key");
    return bio_text(bio.get());
}

}  // namespace

tls_material generate_tls_material(const std::string& ca_name)
{
    auto ca_key = new_key();
    auto ca = make_cert(ca_name, ca_key.get(), nullptr, nullptr, true, nullptr, nullptr);
    auto server_key = new_key();
    auto server = make_cert("127.0.0.1", server_key.get(), ca.get(), ca_key.get(), false,
                            "IP:127.0.0.1,IP:::1,DNS:localhost", "serverAuth");
    auto client_key = new_key();
    auto client = make_cert("test-client", client_key.get(), ca.get(), ca_key.get(), false,
                            nullptr, "clientAuth");
    tls_material out;
    out.ca_cert_pem = cert_pem(ca.get());
    out.ca_key_pem = key_pem(ca_key.get());
    out.server_cert_pem = cert_pem(server.get());
    out.server_key_pem = key_pem(server_key.get());
    out.client_cert_pem = cert_pem(client.get());
    out.client_key_pem = key_pem(client_key.get());
    return out;
}

const tls_material& shared_tls_material()
{
    static const tls_material material = generate_tls_material();
    return material;
}

}  // namespace test_support
