#include "sl/blob_store.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "core/blob_writer.h"
#include "core/model.h"

namespace swarm::sl {
namespace {
namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/swarm_blob_store_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<BlobStore>(dir_ / "blobs");
    ASSERT_TRUE(store_->Init().ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

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

  fs::path dir_;
  std::unique_ptr<BlobStore> store_;
};

// Retention: what the caller keeps stays, everything else older than the grace goes; files
// that are not blobs (the incoming dir, temporaries) are never touched.
TEST_F(BlobStoreTest, PruneRemovesAllButTheKeptBlobsAndLeavesOtherFilesAlone) {
  std::vector<Digest> all;
  for (int i = 0; i < 6; ++i) all.push_back(Put(static_cast<float>(i)));
  fs::create_directories(store_->dir() / "incoming");
  std::ofstream(store_->dir() / "merge-x.tmp") << "partial";
  EXPECT_EQ(store_->Prune({all[4], all[5]}, std::chrono::seconds(60)), 0u);  // all are recent
  EXPECT_EQ(store_->Prune({all[4], all[5]}, std::chrono::seconds(0)), 4u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(store_->Has(all[i]), i >= 4) << i;
  EXPECT_TRUE(fs::exists(store_->dir() / "incoming"));
  EXPECT_TRUE(fs::exists(store_->dir() / "merge-x.tmp"));
}

}  // namespace
}  // namespace swarm::sl
