#include "snapi/grpc_sn_api.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pki/test_certs.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm::snapi {
namespace {

// A port where the kernel accepts connections but nobody answers: as an SN behind a
// network partition (or a hung host) looks to a client, whose calls then run out of time.
class SilentPort {
 public:
  SilentPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof(a);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), n) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    }
    port_ = ntohs(a.sin_port);
  }
  ~SilentPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// An SN API that answers GetVersion and nothing else.
class VersionOnly final : public swarm::v1::SwarmNetwork::Service {
  grpc::Status GetVersion(grpc::ServerContext*, const swarm::v1::GetVersionRequest*,
                          swarm::v1::VersionInfo* out) override {
    out->set_version("test");
    return grpc::Status::OK;
  }
};

class GrpcSnApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki::AccessPolicy policy;
    policy.AllowAnyRole("/swarm.v1.SwarmNetwork/GetVersion");
    policy.AllowAnyRole("/swarm.v1.SwarmNetwork/Submit");
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", pki::MakeServerCredentials(certs_.Identity(pki::Role::kSn, 1), policy, "test"),
                       &port_);
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_ && port_ > 0);
  }
  void TearDown() override { server_->Shutdown(); }

  std::unique_ptr<SnApi> Client() {
    GrpcSnApiOptions o;
    o.endpoints = {{"127.0.0.1", silent_.port()}, {"127.0.0.1", port_}};
    o.call_deadline = std::chrono::seconds(2);  // long enough for a TLS handshake on a loaded machine
    const pki::TlsFiles files = certs_.Files(pki::Role::kSl, 1);
    auto api = MakeGrpcSnApi(certs_.Identity(pki::Role::kSl, 1), *pki::Signer::Load(files.key, files.cert), o);
    EXPECT_TRUE(api.ok()) << api.status().ToString();
    return std::move(api).value();
  }

  pki::testing::TestCerts certs_;
  SilentPort silent_;
  VersionOnly service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// A read that the first SN does not answer in time is asked of the next, which the client
// then keeps using.
TEST_F(GrpcSnApiTest, AReadTheFirstSnDoesNotAnswerInTimeGoesToTheNext) {
  auto api = Client();
  auto version = api->GetVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->version(), "test");
  EXPECT_EQ(api->target(), "127.0.0.1:" + std::to_string(port_));
  EXPECT_TRUE(api->GetVersion().ok());
}

// A Submit is not: the silent SN may have appended it, and a second append would fail or
// duplicate it. The caller gets the deadline and decides.
TEST_F(GrpcSnApiTest, ASubmitTheFirstSnDoesNotAnswerInTimeIsNotSentAgain) {
  auto api = Client();
  swarm::v1::Transaction tx;
  tx.mutable_create_contract()->set_name("c");
  auto height = api->Submit({tx});
  EXPECT_EQ(height.status().code(), StatusCode::kDeadlineExceeded) << height.status().ToString();
  EXPECT_EQ(api->target(), "127.0.0.1:" + std::to_string(silent_.port()));
}

}  // namespace
}  // namespace swarm::snapi
