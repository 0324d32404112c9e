// The file server and FetchBlob over real mutual TLS on loopback: a fetch is refused as the
// authorizer says, and a fetch in flight is cut short by its canceller at once, keeping nothing.

#include "sl/file_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "core/blob_writer.h"
#include "core/test_util.h"
#include "pki/test_certs.h"

namespace swarm::sl {
namespace {

using ::testing::HasSubstr;

class FileServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(served_.Init().ok());
    ASSERT_TRUE(fetched_.Init().ok());
    Model m(ModelSchema{{"w", DType::kF32, {1024}}});
    auto adopted = [&]() -> StatusOr<Digest> {
      RETURN_IF_ERROR(WriteModelFile(m, served_.dir() / "m.tmp").status());
      return served_.Adopt(served_.dir() / "m.tmp");
    }();
    ASSERT_TRUE(adopted.ok()) << adopted.status().message();
    blob_ = *adopted;
    grpc::ServerBuilder b;
    b.AddListeningPort(
        "127.0.0.1:0",
        pki::MakeServerCredentials(
            server_id_, pki::AccessPolicy().Allow("/swarm.v1.FileServer/Fetch", {pki::Role::kSl}), "test"),
        &port_);
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    {
      std::lock_guard lock(mu_);
      release_ = true;
    }
    cv_.notify_all();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  Status Fetch(FetchCanceller* canceller = nullptr) {
    const std::string target = "127.0.0.1:" + std::to_string(port_);
    return FetchBlob(pki::MakeSecureChannel(client_id_, target), target, blob_, &fetched_,
                     std::chrono::seconds(30), canceller);
  }

  swarm::testing::ScopedTempDir dir_{"file_server_test"};
  BlobStore served_{dir_.path() / "served"}, fetched_{dir_.path() / "fetched"};
  Digest blob_;
  pki::testing::TestCerts certs_;
  pki::TlsIdentity server_id_ = certs_.Identity(pki::Role::kSl, 1);
  pki::TlsIdentity client_id_ = certs_.Identity(pki::Role::kSl, 2);
  FileServerService service_{&served_};
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool release_ = false;  // lets a held authorizer go
};

TEST_F(FileServerTest, ServesWhatTheAuthorizerAllowsAndRefusesTheRestWithItsReason) {
  EXPECT_EQ(Fetch().code(), StatusCode::kUnavailable);  // no authorizer yet: not ready
  service_.SetAuthorizer([](const pki::PeerIdentity& caller, const Digest&) {
    return PermissionDenied("'" + caller.common_name + "' took no part in the round");
  });
  Status s = Fetch();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("'sl-2' took no part in the round"));
  EXPECT_FALSE(fetched_.Has(blob_));
  service_.SetAuthorizer([](const pki::PeerIdentity&, const Digest&) { return Status::Ok(); });
  ASSERT_TRUE(Fetch().ok());
  EXPECT_TRUE(fetched_.Has(blob_));
}

TEST_F(FileServerTest, ACancelCutsAFetchInFlightAtOnceAndRefusesLaterOnes) {
  std::atomic<bool> asked{false};
  // The server holds the call before its first byte, as a slow peer would.
  service_.SetAuthorizer([this, &asked](const pki::PeerIdentity&, const Digest&) {
    asked = true;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [this] { return release_; });
    return Status::Ok();
  });
  FetchCanceller canceller;
  Status result;
  const auto start = std::chrono::steady_clock::now();
  std::thread fetch([&] { result = Fetch(&canceller); });
  while (!asked) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  canceller.Cancel("the SL is stopping");
  fetch.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(result.code(), StatusCode::kCancelled);
  EXPECT_THAT(result.message(), HasSubstr("was cut short: the SL is stopping"));
  EXPECT_FALSE(fetched_.Has(blob_));
  // Later fetches are refused before they start.
  EXPECT_EQ(Fetch(&canceller).code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace swarm::sl
