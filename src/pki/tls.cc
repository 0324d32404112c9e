#include "pki/tls.h"

#include <grpcpp/security/auth_metadata_processor.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <spdlog/spdlog.h>

#include "pki/connect_diagnosis.h"

namespace swarm::pki {
namespace {

// Properties this layer adds to a connection's auth context once its peer is verified.
constexpr char kRoleProperty[] = "swarm_role";
constexpr char kNameProperty[] = "swarm_common_name";
constexpr char kFingerprintProperty[] = "swarm_fingerprint";

std::string FirstProperty(const grpc::AuthContext& ctx, const char* name) {
  const auto values = ctx.FindPropertyValues(name);
  return values.empty() ? std::string() : std::string(values[0].data(), values[0].size());
}

// Runs before every call on a server: verifies the client's certificate and the method's
// access rule, logs refusals with their reason, and returns the reason to the client.
class PeerVerifier : public grpc::AuthMetadataProcessor {
 public:
  PeerVerifier(TrustStore trust, AccessPolicy policy, std::string server_name)
      : trust_(std::move(trust)), policy_(std::move(policy)), server_name_(std::move(server_name)) {}

  bool IsBlocking() const override { return false; }  // cheap: no I/O

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context, OutputMetadata*,
                       OutputMetadata*) override {
    std::string method;
    if (auto it = metadata.find(":path"); it != metadata.end())
      method.assign(it->second.data(), it->second.size());
    const Status s = Judge(method, context);
    if (s.ok()) return grpc::Status::OK;
    spdlog::warn("{}: refused a call to {}: {}", server_name_, method.empty() ? "?" : method, s.message());
    return ToGrpcStatus(s);
  }

 private:
  Status Judge(const std::string& method, grpc::AuthContext* context) {
    const std::string pem = FirstProperty(*context, GRPC_X509_PEM_CERT_PROPERTY_NAME);
    if (pem.empty()) {
      return Unauthenticated(
          "no certificate: the caller presented no TLS client certificate; Swarm requires "
          "mutual TLS (--key, --cert, --capath)");
    }
    ASSIGN_OR_RETURN(Certificate cert, Certificate::FromPem(pem, "the caller's certificate"));
    std::vector<Certificate> chain;
    const std::string chain_pem = FirstProperty(*context, GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
    if (!chain_pem.empty()) {
      if (auto all = Certificate::AllFromPem(chain_pem, "chain"); all.ok()) {
        for (Certificate& c : *all) {
          if (X509_cmp(c.get(), cert.get()) != 0) chain.push_back(std::move(c));
        }
      }
    }
    // Verified on every call, not once per connection: a certificate can expire while a
    // connection stays open.
    ASSIGN_OR_RETURN(PeerIdentity peer, trust_.Verify(cert, chain));
    RETURN_IF_ERROR(policy_.Check(method, peer.role)
                        .WithContext("caller '" + peer.common_name + "' (role " +
                                     std::string(RoleName(peer.role)) + ")"));
    if (FirstProperty(*context, kFingerprintProperty).empty()) {
      context->AddProperty(kRoleProperty, std::string(RoleName(peer.role)));
      context->AddProperty(kNameProperty, peer.common_name);
      context->AddProperty(kFingerprintProperty, peer.fingerprint);
    }
    return Status::Ok();
  }

  TrustStore trust_;
  AccessPolicy policy_;
  std::string server_name_;
};

}  // namespace

StatusOr<TlsIdentity> TlsIdentity::Load(const TlsFiles& files) {
  ASSIGN_OR_RETURN(std::string key_pem, ReadTextFile(files.key, "--key"));
  ASSIGN_OR_RETURN(std::string cert_pem, ReadTextFile(files.cert, "--cert"));
  BioPtr bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return InvalidArgument("--key '" + files.key.string() + "' is not a PEM private key (" + OpenSslErrors() +
                           ")");
  }
  ASSIGN_OR_RETURN(Certificate cert, Certificate::FromPem(cert_pem, "--cert '" + files.cert.string() + "'"));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("--key '" + files.key.string() + "' does not belong to --cert '" +
                           files.cert.string() + "' (their public keys differ)");
  }
  auto trust = TrustStore::Load(files.capath);
  if (!trust.ok()) return trust.status().WithContext("--capath");
  auto self = trust->Verify(cert);
  if (!self.ok()) {
    return self.status().WithContext("--cert '" + files.cert.string() + "' is not valid under --capath '" +
                                     files.capath.string() + "'");
  }
  TlsIdentity id(std::move(cert), std::move(trust).value());
  id.role_ = self->role;
  id.key_pem_ = std::move(key_pem);
  id.cert_pem_ = std::move(cert_pem);
  return id;
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsIdentity& identity,
                                                               AccessPolicy policy, std::string server_name) {
  // The handshake asks for a client certificate but leaves judging it to PeerVerifier,
  // which can say why it refuses one; a call never reaches a handler unjudged.
  grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  options.pem_root_certs = identity.trust().RootsPem();
  options.pem_key_cert_pairs.push_back({identity.key_pem(), identity.cert_pem()});
  auto creds = grpc::SslServerCredentials(options);
  creds->SetAuthMetadataProcessor(
      std::make_shared<PeerVerifier>(identity.trust(), std::move(policy), std::move(server_name)));
  return creds;
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsIdentity& identity) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = identity.trust().RootsPem();
  options.pem_private_key = identity.key_pem();
  options.pem_cert_chain = identity.cert_pem();
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> MakeSecureChannel(const TlsIdentity& identity, const std::string& target) {
  return grpc::CreateChannel(target, MakeChannelCredentials(identity));
}

StatusOr<PeerIdentity> PeerOf(const grpc::ServerContext& context) {
  const auto auth = context.auth_context();
  const std::string role = auth ? FirstProperty(*auth, kRoleProperty) : "";
  const auto parsed = ParseRole(role);
  if (!parsed) return Unauthenticated("the call carries no verified Swarm identity");
  return PeerIdentity{*parsed, FirstProperty(*auth, kNameProperty),
                      FirstProperty(*auth, kFingerprintProperty)};
}

StatusOr<PeerIdentity> ServerOf(const grpc::ClientContext& context, const TrustStore& trust,
                                std::optional<Role> expected) {
  const auto auth = context.auth_context();
  const std::string pem = auth ? FirstProperty(*auth, GRPC_X509_PEM_CERT_PROPERTY_NAME) : "";
  if (pem.empty()) return Unauthenticated("the server presented no certificate");
  ASSIGN_OR_RETURN(Certificate cert, Certificate::FromPem(pem, "the server's certificate"));
  ASSIGN_OR_RETURN(PeerIdentity peer, trust.Verify(cert));
  if (expected && peer.role != *expected) {
    return PermissionDenied("wrong role: the server '" + peer.common_name + "' has role " +
                            std::string(RoleName(peer.role)) + ", expected " +
                            std::string(RoleName(*expected)));
  }
  return peer;
}

Status CheckCall(const grpc::Status& status, std::string_view method, std::string_view target) {
  if (status.ok()) return Status::Ok();
  Status s(static_cast<StatusCode>(status.error_code()), status.error_message());
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
      status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    spdlog::warn("{} refused our call to {}: {}", target, method, status.error_message());
  } else if (const std::string why = DiagnoseConnectFailure(status.error_message(), target); !why.empty()) {
    s = Status(s.code(), status.error_message() + ": " + why);  // the caller reports it
  } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
             status.error_message().find("andshake") != std::string::npos) {
    s = Unavailable("TLS handshake with " + std::string(target) +
                    " failed: its certificate is not trusted by our --capath (unknown CA or expired), or it "
                    "refused ours (" +
                    status.error_message() + ")");
    spdlog::warn("{}", s.message());
  }
  return s;
}

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const std::string& m = status.message();
  if (m.size() <= kStatusHead + kStatusTail + 64) {
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()), m);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      m.substr(0, kStatusHead) + " [... " +
                          std::to_string(m.size() - kStatusHead - kStatusTail) + " bytes left out ...] " +
                          m.substr(m.size() - kStatusTail));
}

}  // namespace swarm::pki
