// The ML program's side of an SL (BridgeService) with an SN in memory: what Hello accepts,
// which blobs a sync takes over, and where the merged model it hands back lies.

#include "sl/bridge_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/swarm_callback.h"
#include "core/blob_writer.h"
#include "core/test_util.h"
#include "sl/testing/round_fakes.h"

namespace swarm::sl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class BridgeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.Init().ok());
    sn_api_ = sn_.AddSl("a");
    RoundOptions o;
    o.fs_endpoint = "sl-a:30305";
    bridge_ = std::make_unique<BridgeService>(sn_api_.get(), &store_, &peers_, "a", o);
  }

  swarm::v1::HelloRequest Hello(const std::string& program) {
    swarm::v1::HelloRequest req;
    req.set_api_version(kSlApiVersion);
    req.set_program_name(program);
    SwarmCallbackOptions o;
    o.min_peers = 1;
    o.sync_frequency = 1;
    *req.mutable_options() = ToProto(o);
    return req;
  }

  swarm::testing::ScopedTempDir dir_{"bridge_service_test"};
  BlobStore store_{dir_.path() / "blobs"};
  testing::MemorySn sn_;
  testing::MemoryPeers peers_;
  std::unique_ptr<snapi::SnApi> sn_api_;
  std::unique_ptr<BridgeService> bridge_;
};

TEST_F(BridgeServiceTest, AProgramNameThatIsNotAFileNameIsRefused) {
  for (const char* bad : {"../escape", "a/b", "/abs", ".", ".."}) {
    const swarm::v1::HelloRequest req = Hello(bad);
    swarm::v1::HelloResponse out;
    const grpc::Status s = bridge_->Hello(nullptr, &req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("must be a file name without '/' (it names <program>_sw.log)"))
        << bad;
  }
  const swarm::v1::HelloRequest good = Hello("train");
  swarm::v1::HelloResponse out;
  EXPECT_TRUE(bridge_->Hello(nullptr, &good, &out).ok());
}

// The ML socket takes over only blobs in Hello's blob_dir, and hands back the merged
// model's path in the store.
TEST_F(BridgeServiceTest, OnlyBlobsInBlobDirAreTakenAndTheMergedModelIsInTheStore) {
  const swarm::v1::HelloRequest req_hello = Hello("train");
  swarm::v1::HelloResponse hello;
  const grpc::Status said = bridge_->Hello(nullptr, &req_hello, &hello);
  ASSERT_TRUE(said.ok()) << said.error_message();
  const fs::path blob_dir = hello.blob_dir();
  EXPECT_TRUE(blob_dir.is_absolute()) << blob_dir;
  EXPECT_EQ(blob_dir, store_.incoming());
  // A sync with a blob outside blob_dir is refused and nothing is moved.
  Model m({{"w", DType::kF32, {4}}});
  const fs::path outside = dir_.path() / "outside.blob";
  ASSERT_TRUE(WriteModelFile(m, outside).ok());
  swarm::v1::SyncRequest req;
  req.set_blob_path(outside.string());
  swarm::v1::SyncResponse out;
  const grpc::Status refused = bridge_->Sync(nullptr, &req, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("is not a file in this SL's blob dir"));
  EXPECT_TRUE(fs::exists(outside));
  // One in it is taken over; alone with minPeers 1, the node merges its own round.
  ASSERT_TRUE(WriteModelFile(m, blob_dir / "local-1.blob").ok());
  req.set_blob_path((blob_dir / "local-1.blob").string());
  const grpc::Status s = bridge_->Sync(nullptr, &req, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.round(), 1u);
  const fs::path merged = out.blob_path();
  EXPECT_TRUE(merged.is_absolute()) << merged;
  EXPECT_EQ(merged.parent_path(), store_.dir());
  EXPECT_TRUE(fs::is_regular_file(merged));
}

}  // namespace
}  // namespace swarm::sl
