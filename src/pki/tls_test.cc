// Mutual TLS over loopback with certificates made by gen-cert's code: who gets through,
// who is refused, and that both sides can tell why.

#include "pki/tls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "pki/connect_diagnosis.h"
#include "pki/test_certs.h"
#include "swarm/v1/health.grpc.pb.h"

namespace swarm::pki {
namespace {
using ::testing::HasSubstr;

constexpr char kCheck[] = "/swarm.v1.Health/Check";

// Answers with the caller's verified identity, as a handler would use it.
class HealthService final : public swarm::v1::Health::Service {
 public:
  std::string fail_with;  // set: every call fails NotFound with this message

 private:
  grpc::Status Check(grpc::ServerContext* ctx, const swarm::v1::HealthCheckRequest*,
                     swarm::v1::HealthCheckResponse* out) override {
    if (!fail_with.empty()) return ToGrpcStatus(NotFound(fail_with));
    auto peer = PeerOf(*ctx);
    if (!peer.ok()) return ToGrpcStatus(peer.status());
    out->set_status("OK " + std::string(RoleName(peer->role)) + " " + peer->common_name);
    return grpc::Status::OK;
  }
};

struct Server {
  Server(const TlsIdentity& id, AccessPolicy policy) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", MakeServerCredentials(id, std::move(policy), "test-server"), &port);
    b.RegisterService(&service);
    server = b.BuildAndStart();
  }
  ~Server() { server->Shutdown(std::chrono::system_clock::now()); }
  std::string target() const { return "127.0.0.1:" + std::to_string(port); }
  HealthService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

// Credentials straight from files, without TlsIdentity's checks: how a misconfigured or
// hostile client would connect.
std::shared_ptr<grpc::Channel> RawChannel(const TlsFiles& f, const std::string& target,
                                          bool with_cert = true) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = TrustStore::Load(f.capath)->RootsPem();
  if (with_cert) {
    o.pem_private_key = *ReadTextFile(f.key, "key");
    o.pem_cert_chain = *ReadTextFile(f.cert, "cert");
  }
  return grpc::CreateChannel(target, grpc::SslCredentials(o));
}

grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, std::string* said = nullptr,
                  grpc::ClientContext* given = nullptr) {
  grpc::ClientContext local;
  grpc::ClientContext* ctx = given ? given : &local;
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  swarm::v1::HealthCheckResponse out;
  auto status = swarm::v1::Health::NewStub(channel)->Check(ctx, {}, &out);
  if (said) *said = out.status();
  return status;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }
  std::string Log() {
    spdlog::default_logger()->flush();
    return log_.str();
  }
  static AccessPolicy AnyRole() { return AccessPolicy().AllowAnyRole(kCheck); }

  testing::TestCerts certs_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(TlsTest, TrustedPeersCallAndHandlersKnowWhoCalled) {
  Server server(certs_.Identity(Role::kSn, 1), AnyRole());
  const TlsIdentity client = certs_.Identity(Role::kSl, 1);
  std::string said;
  grpc::ClientContext ctx;
  auto s = Call(MakeSecureChannel(client, server.target()), &said, &ctx);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(said, "OK sl sl-1");
  // And the client knows the server.
  auto server_id = ServerOf(ctx, client.trust(), Role::kSn);
  ASSERT_TRUE(server_id.ok()) << server_id.status().ToString();
  EXPECT_EQ(server_id->common_name, "sn-1");
  EXPECT_THAT(ServerOf(ctx, client.trust(), Role::kSwop).status().message(), HasSubstr("wrong role"));
}

// A refusal that quotes a 1 MB name from the request would not fit gRPC's metadata limit
// (the caller would get a transport error instead of the reason): it arrives shortened.
TEST_F(TlsTest, AnErrorQuotingAHugeNameArrivesShortenedWithItsCode) {
  Server server(certs_.Identity(Role::kSn, 1), AnyRole());
  server.service.fail_with = "no contract named '" + std::string(1 << 20, 'x') + "'";
  auto s = Call(MakeSecureChannel(certs_.Identity(Role::kSl, 1), server.target()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message().substr(0, 200);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("no contract named 'xxx"));
  EXPECT_THAT(s.error_message(),
              HasSubstr("[... " + std::to_string((1 << 20) + 20 - kStatusHead - kStatusTail) +
                        " bytes left out ...]"));
  EXPECT_THAT(s.error_message(), ::testing::EndsWith("xxx'"));
  EXPECT_LT(s.error_message().size(), 2000u);
  // A message of ordinary length is untouched.
  server.service.fail_with = "no contract named 'c'";
  EXPECT_EQ(Call(MakeSecureChannel(certs_.Identity(Role::kSl, 1), server.target())).error_message(),
            "no contract named 'c'");
}

TEST_F(TlsTest, TwoHostsCasInOneCapathAreBothAccepted) {
  Server server(certs_.Identity(Role::kSn, 1), AnyRole());
  std::string said;
  auto s = Call(MakeSecureChannel(certs_.Identity(Role::kSwci, 2), server.target()), &said);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(said, "OK swci swci-2");
  // And host 2 serves host 1.
  Server server2(certs_.Identity(Role::kSn, 2), AnyRole());
  EXPECT_TRUE(Call(MakeSecureChannel(certs_.Identity(Role::kSl, 1), server2.target())).ok());
}

TEST_F(TlsTest, UnknownCaIsRefusedWithTheReasonOnBothSides) {
  Server server(certs_.Identity(Role::kSn, 1), AnyRole());
  TlsFiles stranger = certs_.Files(Role::kSl, 3);
  stranger.capath = certs_.capath();  // trusts our CAs, but ours do not trust its CA
  auto s = Call(RawChannel(stranger, server.target()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown CA"));
  EXPECT_THAT(Log(),
              HasSubstr("test-server: refused a call to /swarm.v1.Health/Check: unknown CA: certificate "
                        "'OU=Swarm-Learning, CN=sl-3'"));
}

TEST_F(TlsTest, ExpiredCertificateIsRefused) {
  Server server(certs_.Identity(Role::kSn, 1), AnyRole());
  auto s = Call(RawChannel(certs_.Expired(Role::kSl), server.target()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("expired: certificate 'OU=Swarm-Learning, CN=sl-1' expired on"));
  EXPECT_THAT(Log(), HasSubstr("expired"));
}

TEST_F(TlsTest, WrongRoleIsRefusedOnARoleRestrictedRpc) {
  Server server(certs_.Identity(Role::kSn, 1), AccessPolicy().Allow(kCheck, {Role::kSn}));
  auto s = Call(MakeSecureChannel(certs_.Identity(Role::kSl, 1), server.target()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(),
              HasSubstr("wrong role: /swarm.v1.Health/Check may be called by sn, not by sl"));
  EXPECT_THAT(Log(), HasSubstr("caller 'sl-1' (role sl): wrong role"));
  EXPECT_TRUE(Call(MakeSecureChannel(certs_.Identity(Role::kSn, 2), server.target())).ok());
}

TEST_F(TlsTest, MethodsWithoutARuleAreClosed) {
  Server server(certs_.Identity(Role::kSn, 1), AccessPolicy());
  auto s = Call(MakeSecureChannel(certs_.Identity(Role::kSn, 1), server.target()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("no role may call /swarm.v1.Health/Check"));
}

TEST_F(TlsTest, ClientWithoutCertificateIsRefused) {
  Server server(certs_.Identity(Role::kSn, 1), AnyRole());
  auto s = Call(RawChannel(certs_.Files(Role::kSl, 1), server.target(), /*with_cert=*/false));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("no certificate"));
  EXPECT_THAT(Log(), HasSubstr("no certificate"));
}

TEST_F(TlsTest, ClientRefusesAServerFromAnUnknownCa) {
  TlsFiles stranger = certs_.Files(Role::kSn, 3);
  TlsFiles own3 = stranger;
  own3.capath = certs_.CertDir(3) / "ca" / "capath";  // the stranger trusts itself
  Server server(*TlsIdentity::Load(own3), AnyRole());
  auto s = Call(MakeSecureChannel(certs_.Identity(Role::kSl, 1), server.target()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(CheckCall(s, kCheck, server.target()).message(),
              HasSubstr("TLS handshake with " + server.target() + " failed: its certificate is not trusted"));
  EXPECT_THAT(Log(), HasSubstr("TLS handshake with"));
}

// A server reached under a name its certificate lacks (a proxy route to the wrong node):
// the error says whose certificate is served there and which names it has.
TEST_F(TlsTest, ANameMismatchSaysWhoseCertificateIsServedThere) {
  Server server(certs_.Identity(Role::kSn, 1), AnyRole());
  const std::string port = std::to_string(server.port);
  EXPECT_THAT(
      DescribeServedCertificate(server.target(), "fs.sl-1.swarm", std::chrono::seconds(3)),
      HasSubstr(
          "it presents the certificate of 'sn-1' (role sn), whose names are sn-1, localhost, 127.0.0.1"));
  const std::string why = DiagnoseConnectFailure(
      "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:" + port +
          ": Peer name localhost is not in peer certificate",
      "localhost:" + port);
  EXPECT_THAT(why, HasSubstr("the server reached as localhost:" + port +
                             " is not localhost: it presents the "
                             "certificate of 'sn-1' (role sn)"));
  EXPECT_THAT(
      why, HasSubstr("the route for localhost points to another node, or that node's certificate lacks the "
                     "DNS name localhost (swarm gen-cert --service ROLE=localhost)"));
  EXPECT_THAT(DescribeServedCertificate("127.0.0.1:1", "x.swarm", std::chrono::seconds(3)),
              HasSubstr("could not be read (Connection refused)"));
}

TEST(ConnectDiagnosisTest, NamesThatDoNotResolveAndProxiesWithoutARoute) {
  EXPECT_THAT(
      DiagnoseConnectFailure("DNS resolution failed for nope.swarm:443: C-ares status is not ARES_SUCCESS "
                             "qtype=A name=nope.swarm is_balancer=0: Domain name not found",
                             "nope.swarm:443"),
      HasSubstr("nope.swarm does not resolve: no DNS server this host uses (/etc/resolv.conf"));
  EXPECT_THAT(
      DiagnoseConnectFailure("failed to connect to all addresses; last error: UNAVAILABLE: "
                             "ipv4:10.98.0.1:443: Socket closed",
                             "fs.sl-1.swarm:443"),
      HasSubstr("closed before TLS began: behind a reverse proxy, it has no route for fs.sl-1.swarm"));
  // Addresses, and other failures, get no guess.
  EXPECT_EQ(DiagnoseConnectFailure("ipv4:10.0.0.1:443: Socket closed", "10.0.0.1:443"), "");
  EXPECT_EQ(DiagnoseConnectFailure("connection refused", "api.sn-1.swarm:443"), "");
}

TEST(TlsIdentityTest, StartupFailsAtOnceNamingTheFile) {
  testing::TestCerts certs;
  TlsFiles f = certs.Files(Role::kSn, 1);
  auto missing = f;
  missing.key = certs.dir() / "nope-key.pem";
  EXPECT_THAT(TlsIdentity::Load(missing).status().message(),
              HasSubstr("--key '" + missing.key.string() + "' does not exist"));
  auto mismatched = f;
  mismatched.key = certs.Files(Role::kSl, 1).key;
  EXPECT_THAT(TlsIdentity::Load(mismatched).status().message(), HasSubstr("does not belong to --cert"));
  auto not_pem = f;
  not_pem.cert = f.key;
  EXPECT_THAT(TlsIdentity::Load(not_pem).status().message(), HasSubstr("is not a PEM certificate"));
  char tmpl[] = "/tmp/swarm_empty_capath_XXXXXX";
  auto empty = f;
  empty.capath = ::mkdtemp(tmpl);
  EXPECT_THAT(TlsIdentity::Load(empty).status().message(), HasSubstr("--capath: capath '"));
  std::filesystem::remove_all(empty.capath);
  auto expired = certs.Expired(Role::kSn);
  EXPECT_THAT(TlsIdentity::Load(expired).status().message(), HasSubstr("is not valid under --capath"));
  // A bundle file works as a capath too.
  auto bundle = f;
  bundle.capath = certs.CertDir(1) / "ca" / "capath" / "ca-1-cert.pem";
  EXPECT_TRUE(TlsIdentity::Load(bundle).ok());
}

}  // namespace
}  // namespace swarm::pki
