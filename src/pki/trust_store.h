#pragma once

// The CAs a node trusts (`--capath`: a directory of CA certificates, one per host or
// organisation, or one bundle file) and the verdict on a peer's certificate: chain to a
// trusted CA, validity period, and the Swarm role it carries.

#include <openssl/x509_vfy.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "pki/certificate.h"

namespace swarm::pki {

// Who a verified peer is.
struct PeerIdentity {
  Role role;
  std::string common_name;
  std::string fingerprint;  // SHA-256 of the certificate, hex
};

class TrustStore {
 public:
  // Every certificate in the directory's regular files (*.pem, *.crt and OpenSSL hash
  // links; duplicates count once), or in the bundle file. None is an error.
  static StatusOr<TrustStore> Load(const std::filesystem::path& capath);
  static StatusOr<TrustStore> FromCertificates(std::vector<Certificate> cas);

  // Checks `cert` (with `intermediates`, possibly none) against the trusted CAs at `now`.
  // A chain verified once is remembered with the period every certificate in it is valid
  // (the CAs never change and no revocation list is read, so that period decides alone);
  // within it the verdict is given again without OpenSSL's chain building. Errors say why
  // in words a user can act on: "unknown CA: issuer 'CN=ca-3' is not in the capath",
  // "certificate expired on ...", "certificate has no Swarm role".
  StatusOr<PeerIdentity> Verify(
      const Certificate& cert, const std::vector<Certificate>& intermediates = {},
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  // The trusted CAs as one PEM bundle (what gRPC takes as root certificates).
  std::string RootsPem() const;
  const std::vector<Certificate>& cas() const { return cas_; }

 private:
  struct StoreFree {
    void operator()(X509_STORE* s) const { X509_STORE_free(s); }
  };
  // A verified chain: who it names and when all of its certificates are valid.
  struct Verdict {
    PeerIdentity peer;
    std::chrono::system_clock::time_point valid_from, valid_until;
  };
  struct Verdicts {
    Mutex mu;
    std::map<std::string, Verdict> by_chain
        SWARM_GUARDED_BY(mu);  // fingerprints of the certificate and intermediates
  };

  StatusOr<PeerIdentity> VerifyWithOpenSsl(const Certificate& cert,
                                           const std::vector<Certificate>& intermediates,
                                           std::chrono::system_clock::time_point now,
                                           std::optional<Verdict>& verdict) const;

  std::vector<Certificate> cas_;
  std::shared_ptr<X509_STORE> store_;
  std::shared_ptr<Verdicts> verdicts_;  // shared by copies, which trust the same CAs
};

}  // namespace swarm::pki
