#include "pki/trust_store.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <set>

namespace swarm::pki {

StatusOr<TrustStore> TrustStore::Load(const std::filesystem::path& capath) {
  std::error_code ec;
  if (!std::filesystem::exists(capath, ec)) {
    return NotFound("capath '" + capath.string() +
                    "' does not exist; expected a directory of CA certificates");
  }
  std::vector<Certificate> cas;
  if (std::filesystem::is_directory(capath, ec)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(capath, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path());  // follows hash links
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      ASSIGN_OR_RETURN(std::string pem, ReadTextFile(file, "CA certificate"));
      if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) continue;  // not a certificate
      ASSIGN_OR_RETURN(std::vector<Certificate> certs,
                       Certificate::AllFromPem(pem, "'" + file.string() + "'"));
      for (Certificate& c : certs) cas.push_back(std::move(c));
    }
    if (cas.empty()) {
      return InvalidArgument("capath '" + capath.string() +
                             "' holds no CA certificate; expected PEM files such as ca-1-cert.pem");
    }
  } else {
    ASSIGN_OR_RETURN(std::string pem, ReadTextFile(capath, "CA bundle"));
    ASSIGN_OR_RETURN(cas, Certificate::AllFromPem(pem, "CA bundle '" + capath.string() + "'"));
  }
  return FromCertificates(std::move(cas));
}

StatusOr<TrustStore> TrustStore::FromCertificates(std::vector<Certificate> cas) {
  TrustStore t;
  t.store_.reset(X509_STORE_new(), StoreFree());
  t.verdicts_ = std::make_shared<Verdicts>();
  std::set<std::string> seen;
  for (Certificate& c : cas) {
    if (!seen.insert(c.Fingerprint()).second) continue;  // a file and its hash link
    if (!c.IsCa()) {
      return InvalidArgument("'" + c.Subject() +
                             "' in the capath is not a CA certificate (basicConstraints CA:FALSE)");
    }
    X509_STORE_add_cert(t.store_.get(), c.get());
    t.cas_.push_back(std::move(c));
  }
  return t;
}

StatusOr<PeerIdentity> TrustStore::Verify(const Certificate& cert,
                                          const std::vector<Certificate>& intermediates,
                                          std::chrono::system_clock::time_point now) const {
  std::string key = cert.Fingerprint();
  for (const Certificate& c : intermediates) key += "," + c.Fingerprint();
  {
    MutexLock lock(verdicts_->mu);
    auto it = verdicts_->by_chain.find(key);
    if (it != verdicts_->by_chain.end() && it->second.valid_from <= now && now <= it->second.valid_until) {
      return it->second.peer;
    }
  }
  std::optional<Verdict> verdict;
  ASSIGN_OR_RETURN(PeerIdentity peer, VerifyWithOpenSsl(cert, intermediates, now, verdict));
  if (verdict) {
    constexpr size_t kMaxVerdicts = 4096;
    MutexLock lock(verdicts_->mu);
    if (verdicts_->by_chain.size() >= kMaxVerdicts) verdicts_->by_chain.clear();
    verdicts_->by_chain[key] = std::move(*verdict);
  }
  return peer;
}

StatusOr<PeerIdentity> TrustStore::VerifyWithOpenSsl(const Certificate& cert,
                                                     const std::vector<Certificate>& intermediates,
                                                     std::chrono::system_clock::time_point now,
                                                     std::optional<Verdict>& verdict) const {
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> chain(
      sk_X509_new_null(), [](STACK_OF(X509) * s) { sk_X509_free(s); });
  for (const Certificate& c : intermediates) sk_X509_push(chain.get(), c.get());
  std::unique_ptr<X509_STORE_CTX, void (*)(X509_STORE_CTX*)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store_.get(), cert.get(), chain.get());
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(now));
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_ANY);
  const std::string who = "certificate '" + cert.Subject() + "'";
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    // The certificate the error is about: the peer's own, or a CA above it.
    X509* bad = X509_STORE_CTX_get_current_cert(ctx.get());
    std::optional<Certificate> bad_cert;
    if (bad != nullptr && X509_cmp(bad, cert.get()) != 0) bad_cert = Certificate::Share(bad);
    const Certificate* at = bad_cert ? &*bad_cert : &cert;
    switch (err) {
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return Unauthenticated("unknown CA: " + who + " is issued by '" + at->Issuer() +
                               "', which is not among the trusted CAs (capath)");
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return Unauthenticated("expired: " + (at == &cert ? who : "its CA '" + at->Subject() + "'") +
                               " expired on " + FormatTime(at->NotAfter()));
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return Unauthenticated("not yet valid: " + (at == &cert ? who : "its CA '" + at->Subject() + "'") +
                               " is valid from " + FormatTime(at->NotBefore()));
      default: return Unauthenticated("untrusted: " + who + ": " + X509_verify_cert_error_string(err));
    }
  }
  const auto role = cert.GetRole();
  if (!role) {
    return PermissionDenied("wrong role: " + who + " carries no Swarm role (expected a URI SAN " +
                            std::string(kRoleUriPrefix) + "sn|sl|swop|swci)");
  }
  PeerIdentity peer{*role, cert.CommonName(), cert.Fingerprint()};
  // The period in which this same chain verifies: inside every certificate's validity.
  // OpenSSL checks validity in whole seconds of `now`, as ASN.1 times are.
  Verdict v{peer, std::chrono::system_clock::time_point::min(), std::chrono::system_clock::time_point::max()};
  STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(verified); ++i) {
    const Certificate c = Certificate::Share(sk_X509_value(verified, i));
    v.valid_from = std::max(v.valid_from, c.NotBefore());
    v.valid_until = std::min(v.valid_until, c.NotAfter());
  }
  if (sk_X509_num(verified) > 0) verdict = std::move(v);
  return peer;
}

std::string TrustStore::RootsPem() const {
  std::string pem;
  for (const Certificate& c : cas_) pem += c.Pem();
  return pem;
}

}  // namespace swarm::pki
