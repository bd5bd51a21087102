#pragma once
/// Throwaway TLS material for tests, generated in memory with OpenSSL at test time (never
/// committed): a CA, a server certificate for 127.0.0.1 / ::1 / localhost signed by it, and a
/// client certificate (CN "test-client", clientAuth) signed by it. Keys are EC P-256.
///
/// Thread safety: `generate_tls_material` is reentrant; `shared_tls_material` is generated
/// once per process (thread-safe static) and immutable after.

#include <string>

namespace test_support {

struct tls_material {
    std::string ca_cert_pem;
    std::string ca_key_pem;
    std::string server_cert_pem;  ///< SAN: IP 127.0.0.1, IP ::1, DNS localhost
    std::string server_key_pem;
    std::string client_cert_pem;  ///< CN test-client, extendedKeyUsage clientAuth
    std::string client_key_pem;
};

/// A fresh CA and leaf certificates; `ca_name` becomes the CA's common name. Aborts the test
/// binary (via a thrown std::runtime_error) if OpenSSL fails, which only happens when the
/// library is broken.
tls_material generate_tls_material(const std::string& ca_name = "broker-test-ca");

/// One set of material shared by the tests of a process (key generation is cheap, but
/// certificates made once keep the tests' TLS setup in one place).
const tls_material& shared_tls_material();

}  // namespace test_support
