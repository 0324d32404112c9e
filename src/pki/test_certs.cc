#include "pki/test_certs.h"

#include <unistd.h>

#include <stdexcept>

namespace swarm::pki::testing {
namespace fs = std::filesystem;

namespace {
void Check(const Status& s) {
  if (!s.ok()) throw std::runtime_error(s.ToString());
}
}  // namespace

TestCerts::TestCerts() {
  char tmpl[] = "/tmp/swarm_pki_test_XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  for (int host : {1, 2, 3}) {
    GenCertOptions o;
    o.example = "t";
    o.host_index = host;
    o.out_dir = dir_ / ("host" + std::to_string(host));
    Check(GenerateCertificates(o).status());
  }
  fs::create_directories(capath());
  for (int host : {1, 2})
    fs::copy_file(CaCertPath(CertDir(host), host), capath() / ("ca-" + std::to_string(host) + "-cert.pem"));
  // Expired certificates signed by host 1's (trusted) CA: gen-cert reuses an existing CA.
  const fs::path expired = dir_ / "expired" / "t" / "cert";
  fs::create_directories(expired / "ca" / "capath");
  fs::copy_file(CaKeyPath(CertDir(1), 1), CaKeyPath(expired, 1));
  fs::copy_file(CaCertPath(CertDir(1), 1), CaCertPath(expired, 1));
  GenCertOptions o;
  o.example = "t";
  o.host_index = 1;
  o.out_dir = dir_ / "expired";
  o.days = -1;
  Check(GenerateCertificates(o).status());
}

TestCerts::~TestCerts() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

TlsFiles TestCerts::Files(Role role, int host) const {
  return {RoleKeyPath(CertDir(host), role, host), RoleCertPath(CertDir(host), role, host), capath()};
}

TlsFiles TestCerts::Expired(Role role) const {
  const fs::path d = dir_ / "expired" / "t" / "cert";
  return {RoleKeyPath(d, role, 1), RoleCertPath(d, role, 1), capath()};
}

TlsIdentity TestCerts::Identity(Role role, int host) const {
  auto id = TlsIdentity::Load(Files(role, host));
  Check(id.status());
  return std::move(id).value();
}

}  // namespace swarm::pki::testing
