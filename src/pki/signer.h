#pragma once

// Signatures with a node's key: the ledger signs each transaction with the submitter's
// key, and anyone holding the capath can check who signed it (role and certificate
// fingerprint) without trusting the transport it came over.

#include <filesystem>
#include <span>
#include <string>

#include "pki/certificate.h"
#include "pki/openssl_util.h"
#include "pki/trust_store.h"

namespace swarm::pki {

class Signer {
 public:
  static StatusOr<Signer> Load(const std::filesystem::path& key, const std::filesystem::path& cert);

  // ECDSA P-256 over SHA-256 of `data`, DER-encoded.
  StatusOr<std::string> Sign(std::span<const std::byte> data) const;
  const Certificate& cert() const { return cert_; }

 private:
  Signer(PKeyPtr key, Certificate cert) : key_(std::move(key)), cert_(std::move(cert)) {}
  std::shared_ptr<EVP_PKEY> key_;
  Certificate cert_;
};

// Checks that `signature` over `data` was made with the key of `signer_cert_pem`, and
// that the certificate is valid under `trust` at `at` (the ledger passes the time of
// the block, so old blocks stay valid after a certificate expires). Returns the signer's
// role and fingerprint.
StatusOr<PeerIdentity> VerifySignature(
    const TrustStore& trust, std::string_view signer_cert_pem, std::span<const std::byte> data,
    std::string_view signature, std::chrono::system_clock::time_point at = std::chrono::system_clock::now());

// That `signer_cert_pem` is valid under `trust` at `at`, checking no signature: for data
// whose signature VerifySignature checked at another time. Returns the signer.
StatusOr<PeerIdentity> VerifySigner(const TrustStore& trust, std::string_view signer_cert_pem,
                                    std::chrono::system_clock::time_point at);

}  // namespace swarm::pki
