#include "sl/blob_store.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/model.h"
#include "core/test_util.h"

namespace swarm::sl {
namespace {
namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<BlobStore>(dir_ / "blobs");
    ASSERT_TRUE(store_->Init().ok());
  }

  // A stored blob of a one-tensor model holding `value`.
  Digest Put(float value) {
    Model m(ModelSchema{{"w", DType::kF32, {1}}});
    std::memcpy(m.tensors()[0].data.span().data(), &value, sizeof(value));
    const fs::path tmp = dir_ / "incoming.tmp";
    EXPECT_TRUE(WriteModelFile(m, tmp).ok());
    auto d = store_->Adopt(tmp);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return *d;
  }

  swarm::testing::ScopedTempDir tmp_{"swarm_blob_store_test"};
  const fs::path& dir_ = tmp_.path();
  std::unique_ptr<BlobStore> store_;
};

// Retention: what the caller keeps stays, everything else older than the grace goes; files
// that are not blobs (the incoming dir, temporaries) are never touched.
TEST_F(BlobStoreTest, PruneRemovesAllButTheKeptBlobsAndLeavesOtherFilesAlone) {
  std::vector<Digest> all;
  for (int i = 0; i < 6; ++i) all.push_back(Put(static_cast<float>(i)));
  fs::create_directories(store_->incoming());
  std::ofstream(store_->dir() / "merge-x.tmp") << "partial";
  EXPECT_EQ(store_->Prune({all[4], all[5]}, std::chrono::seconds(60)), 0u);  // all are recent
  EXPECT_EQ(store_->Prune({all[4], all[5]}, std::chrono::seconds(0)), 4u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(store_->Has(all[i]), i >= 4) << i;
  EXPECT_TRUE(fs::exists(store_->incoming()));
  EXPECT_TRUE(fs::exists(store_->dir() / "merge-x.tmp"));
}

// What an ML program hands over is taken only from the incoming dir: a blob elsewhere on
// disk, a path that climbs out, or a link stays where it is.
// A blob the node wrote itself goes in under its writer's digest: the same name Adopt's
// full check gives it.
TEST_F(BlobStoreTest, AdoptWrittenStoresABlobUnderItsWritersDigest) {
  Model m(ModelSchema{{"w", DType::kF32, {3}}});
  const fs::path tmp = dir_ / "merged.tmp";
  auto written = WriteModelFile(m, tmp);
  ASSERT_TRUE(written.ok());
  auto d = store_->AdoptWritten(tmp, *written);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, *written);
  EXPECT_TRUE(store_->Has(*d));
  EXPECT_FALSE(fs::exists(tmp));
  auto checked = CheckBlobFile(store_->PathOf(*d));
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(*checked, *d);
}

TEST_F(BlobStoreTest, AdoptIncomingTakesOnlyRegularFilesOfTheIncomingDir) {
  fs::create_directories(store_->incoming());
  const Digest outside = Put(1.0f);  // a valid blob, in the store
  const fs::path elsewhere = dir_ / "elsewhere.blob";
  fs::copy_file(store_->PathOf(outside), elsewhere);
  for (const std::string& bad : {elsewhere.string(), (store_->incoming() / ".." / ".." / "elsewhere.blob").string(),
                                 std::string("incoming/x.blob")}) {
    auto r = store_->AdoptIncoming(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("is not a file in this SL's blob dir"), std::string::npos) << bad;
  }
  EXPECT_TRUE(fs::exists(elsewhere));
  fs::create_symlink(elsewhere, store_->incoming() / "link.blob");
  EXPECT_FALSE(store_->AdoptIncoming((store_->incoming() / "link.blob").string()).ok());
  fs::copy_file(elsewhere, store_->incoming() / "local-1.blob");
  auto taken = store_->AdoptIncoming((store_->incoming() / "local-1.blob").string());
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(*taken, outside);
}

}  // namespace
}  // namespace swarm::sl
