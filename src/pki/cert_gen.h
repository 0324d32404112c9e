#pragma once

// Certificates for one host, laid out as HPE's gen-cert utility does (`swarm gen-cert`):
//
//   DIR/EXAMPLE/cert/ca/ca-I-key.pem            the host's CA key (0600)
//   DIR/EXAMPLE/cert/ca/capath/ca-I-cert.pem    the host's CA certificate (+ OpenSSL hash link)
//   DIR/EXAMPLE/cert/ROLE-I-key.pem             ROLE in sn, sl, swop, swci (0600)
//   DIR/EXAMPLE/cert/ROLE-I-cert.pem
//
// ECDSA P-256 keys and SHA-256 signatures. Role certificates carry their role as the URI
// SAN spiffe://swarm.learning/swarm/ROLE, DNS SANs (the CN, localhost, extra names) and IP
// SANs (127.0.0.1, extra addresses), and are valid for both TLS servers and clients.

#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"
#include "pki/role.h"

namespace swarm::pki {

struct GenCertOptions {
  std::string example;  // -e: the workspace's name, e.g. "mnist"
  int host_index = 0;   // -i: 1, 2, ...
  std::filesystem::path out_dir = "workspace";
  std::vector<std::string> host_ips;   // extra IP SANs
  std::vector<std::string> dns_names;  // extra DNS SANs of every role's certificate
  // Reverse-proxy services, "ROLE=FQDN" (sn=api.sn-1.swarm, sl=fs.sl-1.swarm): a DNS SAN of
  // that role's certificate only, so a proxy route to another node's port fails the
  // client's server-name check instead of reaching the wrong node.
  std::vector<std::string> services;
  // Validity of the role certificates from now; negative gives certificates that have
  // already expired (for tests of expiry). The CA gets at least 10 years.
  int days = 365;
  bool force = false;  // overwrite existing files
  std::vector<Role> roles = AllRoles();
};

struct GenCertResult {
  std::filesystem::path cert_dir;  // DIR/EXAMPLE/cert
  bool reused_ca = false;          // the host's CA existed and signed the new certificates
  std::vector<std::filesystem::path> written;
};

// Writes the files above. Existing role files are an error unless `force`; an existing CA
// (key and certificate) is reused unless `force`, so more certificates can be issued by
// the same CA. Nothing is written when any check fails.
StatusOr<GenCertResult> GenerateCertificates(const GenCertOptions& options);

// Throwaway mutual-TLS material for one local link between two processes of one user (an
// SN and its etcd member): a CA made for this link alone, whose key is never kept, a server
// certificate for 127.0.0.1/localhost and a client certificate, written to `dir` (made
// 0700, files 0600). Made afresh at every start, so nobody else can hold a key for the link.
struct LocalTlsFiles {
  std::filesystem::path ca, server_cert, server_key, client_cert, client_key;
};
StatusOr<LocalTlsFiles> MakeLocalTls(const std::filesystem::path& dir, const std::string& name);

// Paths of the layout above.
std::filesystem::path CaKeyPath(const std::filesystem::path& cert_dir, int host_index);
std::filesystem::path CaCertPath(const std::filesystem::path& cert_dir, int host_index);
std::filesystem::path RoleKeyPath(const std::filesystem::path& cert_dir, Role role, int host_index);
std::filesystem::path RoleCertPath(const std::filesystem::path& cert_dir, Role role, int host_index);

}  // namespace swarm::pki
