#pragma once

// Certificates for tests, made by the same code as `swarm gen-cert`, in a temporary
// directory removed at the end:
//   host 1 and host 2: trusted (both CAs in capath());
//   host 3: a CA that is not in capath() (an "unknown CA");
//   Expired(role): a certificate of host 1's CA that expired yesterday.

#include <filesystem>

#include "pki/cert_gen.h"
#include "pki/tls.h"

namespace swarm::pki::testing {

class TestCerts {
 public:
  TestCerts();
  ~TestCerts();

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path capath() const { return dir_ / "capath"; }
  std::filesystem::path CertDir(int host) const {
    return dir_ / ("host" + std::to_string(host)) / "t" / "cert";
  }
  TlsFiles Files(Role role, int host) const;
  TlsFiles Expired(Role role) const;
  TlsIdentity Identity(Role role, int host) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace swarm::pki::testing
