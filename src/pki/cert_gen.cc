#include "pki/cert_gen.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/listen_check.h"
#include "pki/certificate.h"
#include "pki/openssl_util.h"

namespace swarm::pki {
namespace fs = std::filesystem;
namespace {

constexpr int kMinCaDays = 3650;

StatusOr<PKeyPtr> NewKey() {
  PKeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Internal("cannot generate an ECDSA P-256 key: " + OpenSslErrors());
  return key;
}

Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return InvalidArgument("bad certificate extension '" + value + "': " + OpenSslErrors());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return Status::Ok();
}

X509_NAME* MakeName(const std::string& cn) {
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Swarm-Learning"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                             -1, 0);
  return name;
}

// A certificate for `key` named `cn`, signed by `issuer_key` (self-signed when `issuer`
// is null), valid from an hour ago (clock skew) for `days`.
StatusOr<X509Ptr> MakeCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, int days,
                           const std::vector<std::pair<int, std::string>>& extensions) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  // A random 127-bit serial: unique without bookkeeping, positive as RFC 5280 wants.
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  const long day = 86400;
  const long not_before = days >= 0 ? -3600 : days * day - day;
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * day);
  X509_NAME* name = MakeName(cn);
  X509_set_subject_name(cert.get(), name);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_NAME_free(name);
  X509_set_pubkey(cert.get(), key);
  for (const auto& [nid, value] : extensions) {
    RETURN_IF_ERROR(AddExtension(cert.get(), issuer ? issuer : cert.get(), nid, value));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return Internal("cannot sign the certificate for " + cn + ": " + OpenSslErrors());
  }
  return cert;
}

// Writes `text` to `path` through a temporary file renamed into place, with `mode` set
// before any byte is written (a key is never readable by others, not even briefly).
Status WriteFile(const fs::path& path, const std::string& text, mode_t mode) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return FailedPrecondition("cannot write '" + tmp.string() + "': " + std::strerror(errno));
  ::fchmod(fd, mode);
  const bool ok =
      ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return FailedPrecondition("cannot write '" + path.string() + "': " + std::strerror(ok ? errno : err));
  }
  return Status::Ok();
}

// "sn=api.sn-1.swarm": the name when `role` is sn, none for another role; an error for a bad entry.
StatusOr<std::optional<std::string>> ServiceOfRole(const std::string& entry, Role role) {
  const size_t eq = entry.find('=');
  const auto named = eq == std::string::npos ? std::nullopt : ParseRole(entry.substr(0, eq));
  const std::string name = eq == std::string::npos ? "" : entry.substr(eq + 1);
  if (!named || name.empty() || name.find_first_of(" ,/:=") != std::string::npos) {
    return InvalidArgument(
        "--service '" + entry +
        "' is not ROLE=FQDN; expected a role (sn, sl, swop, swci) and the service name its "
        "certificate must carry, such as sn=api.sn-1.swarm or sl=fs.sl-1.swarm");
  }
  if (*named != role) return std::optional<std::string>();
  return std::optional<std::string>(name);
}

Status CheckOptions(const GenCertOptions& o) {
  if (o.example.empty() || o.example.find('/') != std::string::npos || o.example == "." ||
      o.example == "..") {
    return InvalidArgument("example name '" + o.example +
                           "' is not usable as a directory name; expected e.g. mnist");
  }
  if (o.host_index < 1) {
    return InvalidArgument("host index " + std::to_string(o.host_index) +
                           " is not valid; expected 1, 2, ...");
  }
  if (o.days == 0) return InvalidArgument("--days 0 gives no validity; expected a positive number of days");
  for (const std::string& ip : o.host_ips) {
    if (!IsIpAddress(ip)) {
      return InvalidArgument("--host-ip '" + ip + "' is not an IPv4 or IPv6 address");
    }
  }
  for (const std::string& dns : o.dns_names) {
    if (dns.empty() || dns.find_first_of(" ,/:") != std::string::npos) {
      return InvalidArgument("--dns '" + dns + "' is not a host name");
    }
  }
  for (const std::string& s : o.services) RETURN_IF_ERROR(ServiceOfRole(s, Role::kSn).status());
  return Status::Ok();
}

StatusOr<PKeyPtr> LoadKey(const fs::path& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadTextFile(path, "private key"));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return InvalidArgument("private key '" + path.string() + "' is not a PEM key (" + OpenSslErrors() + ")");
  return key;
}

// The OpenSSL hash link (`<hash>.0`) that lets `openssl verify -CApath` find the CA.
Status LinkCaHash(const fs::path& ca_cert, X509* cert) {
  char name[32];
  for (int n = 0; n < 10; ++n) {
    std::snprintf(name, sizeof(name), "%08lx.%d",
                  X509_NAME_hash_ex(X509_get_subject_name(cert), nullptr, nullptr, nullptr), n);
    const fs::path link = ca_cert.parent_path() / name;
    std::error_code ec;
    if (fs::is_symlink(link, ec)) {
      if (fs::read_symlink(link, ec) == ca_cert.filename()) return Status::Ok();
      if (fs::exists(link, ec)) continue;  // another CA with the same subject hash
      fs::remove(link, ec);                // dangling
    } else if (fs::exists(link, ec)) {
      continue;
    }
    fs::create_symlink(ca_cert.filename(), link, ec);
    if (ec) return FailedPrecondition("cannot create '" + link.string() + "': " + ec.message());
    return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

fs::path CaKeyPath(const fs::path& dir, int i) {
  return dir / "ca" / ("ca-" + std::to_string(i) + "-key.pem");
}
fs::path CaCertPath(const fs::path& dir, int i) {
  return dir / "ca" / "capath" / ("ca-" + std::to_string(i) + "-cert.pem");
}
fs::path RoleKeyPath(const fs::path& dir, Role role, int i) {
  return dir / (std::string(RoleName(role)) + "-" + std::to_string(i) + "-key.pem");
}
fs::path RoleCertPath(const fs::path& dir, Role role, int i) {
  return dir / (std::string(RoleName(role)) + "-" + std::to_string(i) + "-cert.pem");
}

StatusOr<GenCertResult> GenerateCertificates(const GenCertOptions& o) {
  RETURN_IF_ERROR(CheckOptions(o));
  GenCertResult result;
  result.cert_dir = o.out_dir / o.example / "cert";
  const fs::path& dir = result.cert_dir;
  const int i = o.host_index;
  std::error_code ec;

  // Decide everything before writing anything.
  if (!o.force) {
    for (Role role : o.roles) {
      for (const fs::path& p : {RoleKeyPath(dir, role, i), RoleCertPath(dir, role, i)}) {
        if (fs::exists(p, ec)) {
          return AlreadyExists("'" + p.string() + "' exists; not overwriting it (use --force to replace)");
        }
      }
    }
  }
  const bool ca_key_exists = fs::exists(CaKeyPath(dir, i), ec);
  const bool ca_cert_exists = fs::exists(CaCertPath(dir, i), ec);
  PKeyPtr ca_key;
  X509Ptr ca_cert;
  if (!o.force && (ca_key_exists || ca_cert_exists)) {
    if (!ca_key_exists || !ca_cert_exists) {
      return FailedPrecondition("found only one of '" + CaKeyPath(dir, i).string() + "' and '" +
                                CaCertPath(dir, i).string() + "'; need both to reuse the CA, or --force");
    }
    ASSIGN_OR_RETURN(ca_key, LoadKey(CaKeyPath(dir, i)));
    ASSIGN_OR_RETURN(Certificate existing, Certificate::Load(CaCertPath(dir, i)));
    if (X509_check_private_key(existing.get(), ca_key.get()) != 1) {
      ERR_clear_error();
      return FailedPrecondition("CA key '" + CaKeyPath(dir, i).string() + "' does not match '" +
                                CaCertPath(dir, i).string() + "'");
    }
    X509_up_ref(existing.get());
    ca_cert.reset(existing.get());
    result.reused_ca = true;
  }

  fs::create_directories(dir / "ca" / "capath", ec);
  if (ec)
    return FailedPrecondition("cannot create '" + (dir / "ca" / "capath").string() + "': " + ec.message());
  // Whatever the umask: only the owner writes the trusted CAs, and only the owner reads ca/,
  // which holds the CA's key.
  const fs::perms rx = fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec;
  for (const auto& [d, mode] : {std::pair{dir, fs::perms::owner_all | rx}, std::pair{dir / "ca", fs::perms::owner_all},
                                std::pair{dir / "ca" / "capath", fs::perms::owner_all | rx}}) {
    fs::permissions(d, mode, fs::perm_options::replace, ec);
    if (ec) return FailedPrecondition("cannot set the mode of '" + d.string() + "': " + ec.message());
  }

  if (!ca_cert) {
    ASSIGN_OR_RETURN(ca_key, NewKey());
    ASSIGN_OR_RETURN(ca_cert, MakeCert(ca_key.get(), "ca-" + std::to_string(i), nullptr, ca_key.get(),
                                       std::max(o.days, kMinCaDays),
                                       {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                        {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                        {NID_subject_key_identifier, "hash"}}));
    RETURN_IF_ERROR(WriteFile(CaKeyPath(dir, i), KeyToPem(ca_key.get()), 0600));
    RETURN_IF_ERROR(WriteFile(CaCertPath(dir, i), CertToPem(ca_cert.get()), 0644));
    result.written.push_back(CaKeyPath(dir, i));
    result.written.push_back(CaCertPath(dir, i));
  }
  RETURN_IF_ERROR(LinkCaHash(CaCertPath(dir, i), ca_cert.get()));

  for (Role role : o.roles) {
    const std::string cn = std::string(RoleName(role)) + "-" + std::to_string(i);
    std::string san = "URI:" + RoleUri(role) + ",DNS:" + cn + ",DNS:localhost";
    for (const std::string& d : o.dns_names) san += ",DNS:" + d;
    for (const std::string& service : o.services) {
      ASSIGN_OR_RETURN(std::optional<std::string> name, ServiceOfRole(service, role));
      if (name) san += ",DNS:" + *name;
    }
    san += ",IP:127.0.0.1";
    for (const std::string& ip : o.host_ips) san += ",IP:" + ip;
    ASSIGN_OR_RETURN(PKeyPtr key, NewKey());
    ASSIGN_OR_RETURN(X509Ptr cert, MakeCert(key.get(), cn, ca_cert.get(), ca_key.get(), o.days,
                                            {{NID_basic_constraints, "critical,CA:FALSE"},
                                             {NID_key_usage, "critical,digitalSignature,keyAgreement"},
                                             {NID_ext_key_usage, "serverAuth,clientAuth"},
                                             {NID_subject_alt_name, san},
                                             {NID_subject_key_identifier, "hash"},
                                             {NID_authority_key_identifier, "keyid"}}));
    RETURN_IF_ERROR(WriteFile(RoleKeyPath(dir, role, i), KeyToPem(key.get()), 0600));
    RETURN_IF_ERROR(WriteFile(RoleCertPath(dir, role, i), CertToPem(cert.get()), 0644));
    result.written.push_back(RoleKeyPath(dir, role, i));
    result.written.push_back(RoleCertPath(dir, role, i));
  }
  return result;
}

}  // namespace swarm::pki

namespace swarm::pki {

StatusOr<LocalTlsFiles> MakeLocalTls(const std::filesystem::path& dir, const std::string& name) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return FailedPrecondition("cannot make the private dir '" + dir.string() + "': " + ec.message());
  LocalTlsFiles f{dir / "ca.pem", dir / "server-cert.pem", dir / "server-key.pem", dir / "client-cert.pem",
                  dir / "client-key.pem"};
  constexpr int kDays = 3650;  // the files are replaced at every start anyway
  ASSIGN_OR_RETURN(PKeyPtr ca_key, NewKey());
  ASSIGN_OR_RETURN(X509Ptr ca, MakeCert(ca_key.get(), name + "-link-ca", nullptr, ca_key.get(), kDays,
                                        {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                         {NID_key_usage, "critical,keyCertSign"},
                                         {NID_subject_key_identifier, "hash"}}));
  const auto leaf = [&](const std::string& cn, const char* usage, const fs::path& cert_path,
                        const fs::path& key_path) -> Status {
    ASSIGN_OR_RETURN(PKeyPtr key, NewKey());
    ASSIGN_OR_RETURN(X509Ptr cert, MakeCert(key.get(), cn, ca.get(), ca_key.get(), kDays,
                                            {{NID_basic_constraints, "critical,CA:FALSE"},
                                             {NID_key_usage, "critical,digitalSignature,keyAgreement"},
                                             {NID_ext_key_usage, usage},
                                             {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                             {NID_authority_key_identifier, "keyid"}}));
    RETURN_IF_ERROR(WriteFile(key_path, KeyToPem(key.get()), 0600));
    return WriteFile(cert_path, CertToPem(cert.get()), 0600);
  };
  RETURN_IF_ERROR(WriteFile(f.ca, CertToPem(ca.get()), 0600));
  // etcd's JSON gateway dials its own gRPC port with the server's certificate as a client.
  RETURN_IF_ERROR(leaf(name + "-server", "serverAuth,clientAuth", f.server_cert, f.server_key));
  RETURN_IF_ERROR(leaf(name + "-client", "clientAuth", f.client_cert, f.client_key));
  return f;  // the CA's key is dropped here: nothing more can ever be issued for this link
}

}  // namespace swarm::pki
