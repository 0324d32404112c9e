#pragma once

// A node's TLS identity (`--key`, `--cert`, `--capath`) and the gRPC credentials built
// from it. Every Swarm connection is mutual TLS:
//
// - Servers ask for the client's certificate and judge it themselves on every call
//   (chain to a capath CA, validity, role, the method's access rule), so a refusal is
//   logged on the server with its reason and the same reason reaches the client as the
//   call's status (UNAUTHENTICATED or PERMISSION_DENIED).
// - Clients verify the server's chain against the capath during the handshake.
// - Handlers learn who called with PeerOf(context).

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <memory>
#include <string>

#include "pki/access_policy.h"
#include "pki/certificate.h"
#include "pki/trust_store.h"

namespace swarm::pki {

struct TlsFiles {
  std::filesystem::path key;     // --key
  std::filesystem::path cert;    // --cert
  std::filesystem::path capath;  // --capath: directory of CA certificates, or a bundle file
};

class TlsIdentity {
 public:
  // Fails at once, naming the file, if a file is missing, unreadable or not PEM, the key
  // does not match the certificate, the capath holds no CA, or the certificate is not
  // valid under the capath (expired, unknown CA, no role): better now than at every peer.
  static StatusOr<TlsIdentity> Load(const TlsFiles& files);

  const Certificate& cert() const { return cert_; }
  const TrustStore& trust() const { return trust_; }
  Role role() const { return role_; }
  const std::string& key_pem() const { return key_pem_; }
  const std::string& cert_pem() const { return cert_pem_; }

 private:
  TlsIdentity(Certificate cert, TrustStore trust) : cert_(std::move(cert)), trust_(std::move(trust)) {}
  Certificate cert_;
  TrustStore trust_;
  Role role_ = Role::kSn;
  std::string key_pem_, cert_pem_;
};

// Server credentials that check every call against `policy`. `server_name` prefixes
// the log lines about refused peers.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsIdentity& identity,
                                                               AccessPolicy policy, std::string server_name);

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsIdentity& identity);

// A channel to `target` ("host:port"). The server's certificate must carry `target`'s
// host among its SANs (gen-cert puts 127.0.0.1, localhost and --host-ip/--dns there).
std::shared_ptr<grpc::Channel> MakeSecureChannel(const TlsIdentity& identity, const std::string& target);

// The verified caller of an RPC.
StatusOr<PeerIdentity> PeerOf(const grpc::ServerContext& context);

// The server's identity after a call on `context` (chain already checked by the
// handshake); `expected` refuses a server of another role.
StatusOr<PeerIdentity> ServerOf(const grpc::ClientContext& context, const TrustStore& trust,
                                std::optional<Role> expected = std::nullopt);

// The message goes in the call's trailing metadata, which gRPC limits (8 KB by default):
// a longer one (it may quote a 1 MB name from the request) keeps its first kStatusHead and
// last kStatusTail bytes and says how many it left out between them.
inline constexpr size_t kStatusHead = 1024, kStatusTail = 256;
grpc::Status ToGrpcStatus(const Status& status);

// A call's outcome as a Status. A refusal is logged on this (the client's) side with
// its reason: the server's words when it refused us, and a plain explanation when the
// TLS handshake failed (typically: we do not trust the server's certificate).
Status CheckCall(const grpc::Status& status, std::string_view method, std::string_view target);

}  // namespace swarm::pki
