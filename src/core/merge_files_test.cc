#include "core/merge_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/test_util.h"

namespace swarm {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::MixedSchema;
using testing::RandomModel;

std::string Bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class MergeFilesTest : public ::testing::Test {
 protected:
  // Writes n random models of `schema` and returns their paths.
  std::vector<fs::path> Inputs(const ModelSchema& schema, int n) {
    std::vector<fs::path> paths;
    for (int i = 0; i < n; ++i) {
      models_.push_back(RandomModel(schema, 100 + i, 1.0, 0.25 * i));
      paths.push_back(dir_.path() / ("in" + std::to_string(i)));
      EXPECT_TRUE(WriteModelFile(models_.back(), paths.back()).ok());
    }
    return paths;
  }
  // The whole-model merge, written as a blob: what the range merge must equal.
  std::string Reference(const std::vector<uint32_t>& weights, const MergeOptions& o) {
    std::vector<const Model*> ptrs;
    for (const Model& m : models_) ptrs.push_back(&m);
    auto merged = MergeModels(ptrs, weights, o);
    EXPECT_TRUE(merged.ok()) << merged.status().message();
    const fs::path p = dir_.path() / "reference";
    EXPECT_TRUE(WriteModelFile(*merged, p).ok());
    return Bytes(p);
  }

  testing::ScopedTempDir dir_;
  std::vector<Model> models_;
};

// Every dtype, a scalar, an empty tensor, odd sizes; ranges that cut tensors anywhere.
TEST_F(MergeFilesTest, TheRangeMergeEqualsTheWholeModelMergeBitForBit) {
  const std::vector<fs::path> in = Inputs(MixedSchema(), 5);
  const std::vector<uint32_t> weights = {3, 1, 100, 7, 42};
  for (MergeMethod method : {MergeMethod::kMean, MergeMethod::kCoordMedian}) {
    MergeOptions o;
    o.method = method;
    const std::string reference = Reference(weights, o);
    for (uint64_t range : {uint64_t{1}, uint64_t{7}, uint64_t{1000}, uint64_t{4096}, uint64_t{1} << 20}) {
      const fs::path out = dir_.path() / "out";
      auto digest = MergeBlobFiles(in, weights, o, out, range);
      ASSERT_TRUE(digest.ok()) << digest.status().message();
      EXPECT_TRUE(Bytes(out) == reference) << MergeMethodName(method) << ", ranges of " << range;
      auto checked = CheckBlobFile(out);
      ASSERT_TRUE(checked.ok()) << checked.status().message();
      EXPECT_EQ(*checked, *digest);
    }
  }
}

TEST_F(MergeFilesTest, BadInputsAreNamedAndNothingIsWritten) {
  std::vector<fs::path> in = Inputs(MixedSchema(), 2);
  const fs::path out = dir_.path() / "out";
  const std::vector<uint32_t> one = {1}, two = {1, 1}, three = {1, 1, 1};
  MergeOptions o;
  o.method = MergeMethod::kGeoMedian;
  auto r = MergeBlobFiles(in, two, o, out);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("geomedian needs every coordinate in each pass"));

  o.method = MergeMethod::kMean;
  EXPECT_THAT(MergeBlobFiles(in, one, o, out).status().message(), HasSubstr("2 inputs but 1 weights"));

  const Model other = RandomModel({{"w", DType::kF32, {3}}}, 1);
  in.push_back(dir_.path() / "other");
  ASSERT_TRUE(WriteModelFile(other, in.back()).ok());
  r = MergeBlobFiles(in, three, o, out);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("other"));

  in.back() = dir_.path() / "garbage";
  std::ofstream(in.back()) << "not a blob";
  r = MergeBlobFiles(in, three, o, out);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("merge input '" + in.back().string() + "'"));

  // A blob cut short after its header: the read of its payload fails, naming it.
  const std::string whole = Bytes(in[0]);
  in.back() = dir_.path() / "cut";
  std::ofstream(in.back(), std::ios::binary) << whole.substr(0, whole.size() / 2);
  r = MergeBlobFiles(in, three, o, out);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("'" + in.back().string() + "' ends or fails at offset"));
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace swarm
