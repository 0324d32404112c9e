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

// Writes a copy of `src` that holds only its header, table and bytes [span.first,
// span.second): zeros (a hole) everywhere else, as a shard merger's fetched input.
void WritePartial(const fs::path& src, const fs::path& dst, std::pair<uint64_t, uint64_t> span,
                  uint64_t payload_offset) {
  const std::string whole = Bytes(src);
  std::string part(whole.size(), '\0');
  part.replace(0, payload_offset, whole, 0, payload_offset);
  part.replace(span.first, span.second - span.first, whole, span.first, span.second - span.first);
  std::ofstream(dst, std::ios::binary) << part;
}

// Shards merged from inputs that hold only their shard's span, then assembled: the same
// blob as the whole-model merge, for every shard count, both methods, weights and a
// staleness-scaled weight limit.
TEST_F(MergeFilesTest, ShardsMergedApartAndAssembledEqualTheWholeMergeBitForBit) {
  const ModelSchema schema = MixedSchema();
  const std::vector<fs::path> in = Inputs(schema, 4);
  const std::vector<uint32_t> weights = {3, 1, 100, 7};
  auto layout = ComputeBlobLayout(schema);
  ASSERT_TRUE(layout.ok());
  const uint64_t total = TotalElements(schema);
  for (MergeMethod method : {MergeMethod::kMean, MergeMethod::kCoordMedian}) {
    for (uint32_t max_weight : {uint32_t{0}, uint32_t{400}}) {
      MergeOptions o;
      o.method = method;
      if (max_weight) o.max_weight = max_weight;
      const std::string reference = Reference(weights, o);
      for (size_t k : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}}) {
        std::vector<fs::path> shards;
        uint64_t covered = 0;
        for (size_t i = 0; i < k; ++i) {
          const CoordRange range = ShardRange(total, k, i);
          EXPECT_EQ(range.begin, covered);
          covered = range.end;
          auto span = BlobSpan(*layout, range);
          ASSERT_TRUE(span.ok()) << span.status().message();
          std::vector<std::unique_ptr<RangeSource>> partial;
          std::vector<RangeSource*> partial_ptrs;
          for (size_t j = 0; j < in.size(); ++j) {
            const fs::path p = dir_.path() / ("part" + std::to_string(j));
            WritePartial(in[j], p, *span, layout->payload_offset);
            auto source = OpenRangeSource(p, schema);
            ASSERT_TRUE(source.ok()) << source.status().message();
            partial.push_back(std::move(*source));
            partial_ptrs.push_back(partial.back().get());
          }
          shards.push_back(dir_.path() / ("shard" + std::to_string(i)));
          std::ofstream out(shards.back(), std::ios::binary);
          ASSERT_TRUE(MergeRangeSources(
                          *layout, partial_ptrs, weights, o, range,
                          [&](std::span<const std::byte> b) {
                            out.write(reinterpret_cast<const char*>(b.data()),
                                      static_cast<std::streamsize>(b.size()));
                            return Status::Ok();
                          },
                          5)
                          .ok());
          out.close();
          EXPECT_EQ(fs::file_size(shards.back()), *RangeBytes(schema, range));
        }
        EXPECT_EQ(covered, total);
        const fs::path assembled = dir_.path() / "assembled";
        std::vector<std::unique_ptr<RangeSource>> sources;
        std::vector<RangeSource*> ptrs;
        std::vector<Digest> digests;
        for (const auto& shard : shards) {
          auto source = OpenFileRange(shard);
          ASSERT_TRUE(source.ok());
          sources.push_back(std::move(*source));
          ptrs.push_back(sources.back().get());
          const std::string bytes = Bytes(shard);
          digests.push_back(Sha256::Of(std::as_bytes(std::span(bytes.data(), bytes.size()))));
        }
        auto digest = AssembleShards(schema, ptrs, digests, assembled);
        ASSERT_TRUE(digest.ok()) << digest.status().message();
        EXPECT_TRUE(Bytes(assembled) == reference) << MergeMethodName(method) << ", " << k << " shards";
        EXPECT_EQ(*CheckBlobFile(assembled), *digest);
      }
    }
  }
}

TEST_F(MergeFilesTest, AShortOrWrongShardIsNamedAndNothingIsAssembled) {
  const ModelSchema schema = MixedSchema();
  const uint64_t total = TotalElements(schema);
  std::vector<std::string> bytes;
  for (size_t i = 0; i < 2; ++i) {
    bytes.push_back(std::string(*RangeBytes(schema, ShardRange(total, 2, i)), static_cast<char>('x' + i)));
  }
  const auto assemble = [&](const std::vector<std::string>& shards, const std::vector<Digest>& digests) {
    std::vector<std::unique_ptr<RangeSource>> sources;
    std::vector<RangeSource*> ptrs;
    for (size_t i = 0; i < shards.size(); ++i) {
      const fs::path p = dir_.path() / ("shard" + std::to_string(i));
      std::ofstream(p, std::ios::binary) << shards[i];
      auto source = OpenFileRange(p);
      EXPECT_TRUE(source.ok());
      sources.push_back(std::move(*source));
      ptrs.push_back(sources.back().get());
    }
    return AssembleShards(schema, ptrs, digests, dir_.path() / "out").status();
  };
  std::vector<std::string> cut = bytes;
  cut[1].pop_back();
  Status s = assemble(cut, {});
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("shard 1 of 2"));
  EXPECT_THAT(s.message(), HasSubstr("ends or fails at offset"));
  const Digest d0 = Sha256::Of(std::as_bytes(std::span(bytes[0].data(), bytes[0].size())));
  s = assemble(bytes, {d0, d0});  // shard 1's bytes are not what was recorded for it
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("shard 1 of 2 has SHA-256"));
  EXPECT_FALSE(fs::exists(dir_.path() / "out"));
}

}  // namespace
}  // namespace swarm
