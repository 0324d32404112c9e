#pragma once

// An X.509 certificate and what Swarm reads from it: subject, issuer, validity, SANs,
// the role (from the spiffe URI SAN) and the SHA-256 fingerprint that identifies it.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "pki/openssl_util.h"
#include "pki/role.h"

namespace swarm::pki {

class Certificate {
 public:
  // Parses one PEM certificate (the first, if the text holds several).
  static StatusOr<Certificate> FromPem(std::string_view pem, std::string_view origin = "certificate");
  static StatusOr<Certificate> Load(const std::filesystem::path& path);
  // Every certificate in a PEM text (a bundle).
  static StatusOr<std::vector<Certificate>> AllFromPem(std::string_view pem, std::string_view origin);
  // Shares `cert` (takes a reference of its own).
  static Certificate Share(X509* cert);
  // Owns `cert`.
  explicit Certificate(X509Ptr cert) : cert_(std::move(cert)) {}

  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;

  X509* get() const { return cert_.get(); }
  std::string Pem() const;
  // One-line distinguished names, e.g. "OU=Swarm-Learning, CN=sn-1".
  std::string Subject() const;
  std::string Issuer() const;
  std::string CommonName() const;
  std::chrono::system_clock::time_point NotBefore() const;
  std::chrono::system_clock::time_point NotAfter() const;
  bool IsExpired(std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
  std::vector<std::string> UriSans() const;
  std::vector<std::string> DnsSans() const;
  std::vector<std::string> IpSans() const;
  // The role from the URI SAN spiffe://swarm.learning/swarm/<role>, if any.
  std::optional<Role> GetRole() const;
  // SHA-256 of the DER encoding, as lowercase hex: the certificate's identity in the ledger.
  std::string Fingerprint() const;
  bool IsCa() const;

 private:
  X509Ptr cert_;
};

// "2026-11-24 10:00:00 UTC".
std::string FormatTime(std::chrono::system_clock::time_point t);

}  // namespace swarm::pki
