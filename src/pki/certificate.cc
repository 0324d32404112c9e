#include "pki/certificate.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <unordered_map>

#include "core/mutex.h"

namespace swarm::pki {
namespace {

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  std::string s(data, static_cast<size_t>(n));
  // OpenSSL writes "OU = X, CN = Y"; use the compact "OU=X, CN=Y".
  for (size_t p; (p = s.find(" = ")) != std::string::npos;) s.replace(p, 3, "=");
  return s;
}

std::chrono::system_clock::time_point AsnTime(const ASN1_TIME* t) {
  struct tm tm = {};
  ASN1_TIME_to_tm(t, &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

template <typename F>
std::vector<std::string> Sans(X509* cert, F&& pick) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    if (auto s = pick(sk_GENERAL_NAME_value(names, i))) out.push_back(*s);
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::optional<std::string> Ia5(const GENERAL_NAME* n, int type) {
  if (n->type != type) return std::nullopt;
  const ASN1_IA5STRING* s = type == GEN_URI ? n->d.uniformResourceIdentifier : n->d.dNSName;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
}

// Certificates parsed before, by their exact PEM text. OpenSSL 3 spends tens of microseconds
// decoding one PEM certificate, and an SN decodes the same few for every call (the caller's)
// and every transaction (its signer's): found here, a certificate is shared instead (X509
// objects are reference-counted and safe to read from many threads). Bounded: when full, it
// starts afresh.
class ParsedCertificates {
 public:
  // Two caches, as the same text means its first certificate to FromPem and all of them
  // to AllFromPem. Never destroyed: used until exit.
  static ParsedCertificates& First() {
    static ParsedCertificates* cache = new ParsedCertificates();
    return *cache;
  }
  static ParsedCertificates& All() {
    static ParsedCertificates* cache = new ParsedCertificates();
    return *cache;
  }

  // The certificates parsed from `pem`, shared; nullopt if it was not seen.
  std::optional<std::vector<Certificate>> Find(std::string_view pem) {
    MutexLock lock(mu_);
    auto it = certs_.find(std::string(pem));
    if (it == certs_.end()) return std::nullopt;
    std::vector<Certificate> out;
    for (const X509Ptr& c : it->second) out.push_back(Certificate::Share(c.get()));
    return out;
  }

  void Add(std::string_view pem, const std::vector<Certificate>& certs) {
    if (pem.size() > kMaxPem) return;
    std::vector<X509Ptr> shared;
    for (const Certificate& c : certs) {
      X509_up_ref(c.get());
      shared.emplace_back(c.get());
    }
    MutexLock lock(mu_);
    if (certs_.size() >= kMaxEntries) certs_.clear();
    certs_.emplace(std::string(pem), std::move(shared));
  }

 private:
  static constexpr size_t kMaxEntries = 1024;
  static constexpr size_t kMaxPem = 16 * 1024;
  Mutex mu_;
  std::unordered_map<std::string, std::vector<X509Ptr>> certs_ SWARM_GUARDED_BY(mu_);
};

}  // namespace

StatusOr<Certificate> Certificate::FromPem(std::string_view pem, std::string_view origin) {
  ParsedCertificates& cache = ParsedCertificates::First();
  if (auto known = cache.Find(pem)) return std::move(known->front());
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return InvalidArgument(std::string(origin) + " is not a PEM certificate (" + OpenSslErrors() + ")");
  }
  Certificate parsed(std::move(cert));
  cache.Add(pem, {Certificate::Share(parsed.get())});
  return parsed;
}

StatusOr<Certificate> Certificate::Load(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadTextFile(path, "certificate"));
  return FromPem(pem, "certificate '" + path.string() + "'");
}

StatusOr<std::vector<Certificate>> Certificate::AllFromPem(std::string_view pem, std::string_view origin) {
  // An SN's peers send their chain with every call: parsed once (see ParsedCertificates).
  ParsedCertificates& cache = ParsedCertificates::All();
  if (auto known = cache.Find(pem)) return std::move(*known);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<Certificate> out;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    out.push_back(Certificate(X509Ptr(c)));
  ERR_clear_error();  // the read that ends the loop leaves "no start line"
  if (out.empty()) return InvalidArgument(std::string(origin) + " holds no PEM certificate");
  cache.Add(pem, out);
  return out;
}

Certificate Certificate::Share(X509* cert) {
  X509_up_ref(cert);
  return Certificate(X509Ptr(cert));
}

Certificate::Certificate(const Certificate& other) : cert_(X509_dup(other.cert_.get())) {}
Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) cert_.reset(X509_dup(other.cert_.get()));
  return *this;
}

std::string Certificate::Pem() const { return CertToPem(cert_.get()); }
std::string Certificate::Subject() const { return NameToString(X509_get_subject_name(cert_.get())); }
std::string Certificate::Issuer() const { return NameToString(X509_get_issuer_name(cert_.get())); }

std::string Certificate::CommonName() const {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert_.get()), NID_commonName, buf, sizeof(buf));
  return buf;
}

std::chrono::system_clock::time_point Certificate::NotBefore() const {
  return AsnTime(X509_get0_notBefore(cert_.get()));
}
std::chrono::system_clock::time_point Certificate::NotAfter() const {
  return AsnTime(X509_get0_notAfter(cert_.get()));
}
bool Certificate::IsExpired(std::chrono::system_clock::time_point now) const { return now > NotAfter(); }

std::vector<std::string> Certificate::UriSans() const {
  return Sans(cert_.get(), [](const GENERAL_NAME* n) { return Ia5(n, GEN_URI); });
}
std::vector<std::string> Certificate::DnsSans() const {
  return Sans(cert_.get(), [](const GENERAL_NAME* n) { return Ia5(n, GEN_DNS); });
}
std::vector<std::string> Certificate::IpSans() const {
  return Sans(cert_.get(), [](const GENERAL_NAME* n) -> std::optional<std::string> {
    if (n->type != GEN_IPADD) return std::nullopt;
    const ASN1_OCTET_STRING* ip = n->d.iPAddress;
    const unsigned char* b = ASN1_STRING_get0_data(ip);
    char buf[64];
    if (ASN1_STRING_length(ip) == 4) {
      std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    } else if (ASN1_STRING_length(ip) == 16) {
      std::string s;
      for (int i = 0; i < 16; i += 2) {
        std::snprintf(buf, sizeof(buf), "%s%x", i ? ":" : "", (b[i] << 8) | b[i + 1]);
        s += buf;
      }
      return s;
    } else {
      return std::nullopt;
    }
    return std::string(buf);
  });
}

std::optional<Role> Certificate::GetRole() const {
  for (const std::string& uri : UriSans()) {
    if (auto role = RoleFromUri(uri)) return role;
  }
  return std::nullopt;
}

std::string Certificate::Fingerprint() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert_.get(), EVP_sha256(), md, &n);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) hex += {kHex[md[i] >> 4], kHex[md[i] & 15]};
  return hex;
}

bool Certificate::IsCa() const { return X509_check_ca(cert_.get()) > 0; }

std::string FormatTime(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace swarm::pki
