#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/crc32c.h"
#include "core/test_util.h"

namespace swarm {
namespace {

using ::testing::HasSubstr;
using testing::MixedSchema;
using testing::RandomModel;

std::vector<std::byte> Serialize(const Model& m, Digest* digest = nullptr) {
  VectorSink sink;
  auto d = WriteModel(m, &sink);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  if (digest && d.ok()) *digest = *d;
  return sink.bytes();
}

StatusOr<Model> Parse(std::span<const std::byte> bytes, Digest* digest = nullptr) {
  SpanSource source(bytes);
  return ReadModel(&source, digest);
}

void ExpectSameModel(const Model& a, const Model& b) {
  ASSERT_EQ(a.schema(), b.schema());
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const auto& x = a.tensors()[i].data;
    const auto& y = b.tensors()[i].data;
    ASSERT_EQ(x.size(), y.size());
    EXPECT_TRUE(std::ranges::equal(x.span(), y.span())) << a.tensors()[i].spec.name;
  }
}

TEST(Crc32cTest, KnownVectors) {
  // RFC 3720 test vector: 32 bytes of zeros.
  std::vector<std::byte> zeros(32);
  EXPECT_EQ(Crc32c(zeros), 0x8a9136aau);
  const char* s = "123456789";
  EXPECT_EQ(Crc32c(std::as_bytes(std::span(s, 9))), 0xe3069283u);
  // Extending in pieces equals one pass.
  const auto bytes = std::as_bytes(std::span(s, 9));
  EXPECT_EQ(Crc32cExtend(Crc32c(bytes.first(4)), bytes.subspan(4)), 0xe3069283u);
}

TEST(BlobTest, RoundTripsEveryDTypeAndTheDigestIsTheSha256OfTheBytes) {
  const Model m = RandomModel(MixedSchema(), 1);
  Digest written;
  const std::vector<std::byte> bytes = Serialize(m, &written);
  Digest read;
  auto back = Parse(bytes, &read);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSameModel(m, *back);
  EXPECT_EQ(written, read);
  EXPECT_EQ(written, Sha256::Of(bytes));
  EXPECT_EQ(written.Hex().size(), 64u);
  EXPECT_EQ(Digest::FromHex(written.Hex()), written);
}

TEST(BlobTest, LayoutIsAlignedAndDeterministic) {
  const Model m = RandomModel(MixedSchema(), 2);
  auto layout = ComputeBlobLayout(m.schema());
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->payload_offset % 64, 0u);
  for (uint64_t off : layout->tensor_offsets) EXPECT_EQ((layout->payload_offset + off) % 64, 0u);
  const auto bytes = Serialize(m);
  EXPECT_EQ(bytes.size(), layout->file_bytes());
  EXPECT_EQ(std::memcmp(bytes.data(), "SWRMBLOB", 8), 0);
  EXPECT_EQ(Serialize(m), bytes);  // same model, same bytes, same name
}

TEST(BlobTest, EmptyModelRoundTrips) {
  const Model m;
  auto back = Parse(Serialize(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->tensors().empty());
}

TEST(BlobTest, StreamingInRandomPiecesGivesTheSameBytes) {
  const Model m = RandomModel(MixedSchema(), 3);
  const auto whole = Serialize(m);
  // Concatenate the payload, then feed it in random piece sizes that cross tensors.
  std::vector<std::byte> payload;
  for (const Tensor& t : m.tensors())
    payload.insert(payload.end(), t.data.span().begin(), t.data.span().end());
  std::mt19937 rng(7);
  VectorSink sink;
  BlobWriter writer(&sink, m.schema());
  ASSERT_TRUE(writer.Begin().ok());
  for (size_t pos = 0; pos < payload.size();) {
    const size_t k = std::min<size_t>(payload.size() - pos, rng() % 3000 + 1);
    ASSERT_TRUE(writer.Append(std::span(payload).subspan(pos, k)).ok());
    pos += k;
  }
  ASSERT_TRUE(writer.Finish().ok());
  EXPECT_EQ(sink.bytes(), whole);

  // Reading with a small buffer visits every tensor in order.
  SpanSource source(whole);
  BlobReader reader(&source);
  ASSERT_TRUE(reader.Open().ok());
  std::vector<std::byte> buf(100), got;
  size_t last_tensor = 0;
  while (true) {
    auto piece = reader.Next(buf);
    ASSERT_TRUE(piece.ok()) << piece.status().ToString();
    if (piece->size == 0) break;
    EXPECT_GE(piece->tensor, last_tensor);
    last_tensor = piece->tensor;
    got.insert(got.end(), buf.begin(), buf.begin() + piece->size);
  }
  EXPECT_TRUE(reader.Finish().ok());
  EXPECT_EQ(got, payload);
}

TEST(BlobTest, WriterRefusesIncompleteOrExcessPayload) {
  const ModelSchema schema = {{"a", DType::kF32, {4}}, {"b", DType::kF32, {2}}};
  VectorSink sink;
  BlobWriter writer(&sink, schema);
  ASSERT_TRUE(writer.Begin().ok());
  std::vector<std::byte> bytes(20);
  ASSERT_TRUE(writer.Append(bytes).ok());
  auto r = writer.Finish();
  EXPECT_THAT(r.status().message(), HasSubstr("payload incomplete: tensor 1 'b' f32[2] has 4 of 8 bytes"));

  VectorSink sink2;
  BlobWriter writer2(&sink2, schema);
  ASSERT_TRUE(writer2.Begin().ok());
  std::vector<std::byte> too_many(25);
  EXPECT_THAT(writer2.Append(too_many).message(), HasSubstr("1 bytes more than the schema's tensors hold"));
}

TEST(BlobTest, EveryTruncationIsAnErrorNamingTheOffset) {
  const Model m = RandomModel({{"w", DType::kF32, {5, 3}}, {"b", DType::kBF16, {7}}}, 4);
  const auto bytes = Serialize(m);
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto r = Parse(std::span(bytes).first(len));
    ASSERT_FALSE(r.ok()) << "truncated to " << len << " bytes was accepted";
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << len;
    EXPECT_THAT(r.status().message(),
                HasSubstr("truncated: the stream ended at offset " + std::to_string(len)));
  }
  auto layout = *ComputeBlobLayout(m.schema());
  auto r = Parse(std::span(bytes).first(layout.payload_offset + 8));
  EXPECT_THAT(r.status().message(), HasSubstr("payload of tensor 0 'w' f32[5,3] at its byte 0"));
}

TEST(BlobTest, EveryFlippedByteIsDetected) {
  const Model m = RandomModel({{"w", DType::kF32, {5, 3}}, {"b", DType::kF16, {7}}}, 5);
  const auto good = Serialize(m);
  for (size_t pos = 0; pos < good.size(); ++pos) {
    auto bad = good;
    bad[pos] ^= std::byte{0x20};
    auto r = Parse(bad);
    ASSERT_FALSE(r.ok()) << "flipped byte at offset " << pos << " was accepted";
  }
}

TEST(BlobTest, CorruptionMessagesSayWhereAndWhat) {
  const Model m = RandomModel({{"w", DType::kF32, {5, 3}}, {"b", DType::kF16, {7}}}, 6);
  const auto good = Serialize(m);
  const BlobLayout layout = *ComputeBlobLayout(m.schema());
  auto flip = [&](uint64_t pos) {
    auto bad = good;
    bad[pos] ^= std::byte{1};
    return Parse(bad).status();
  };
  EXPECT_THAT(flip(0).message(), HasSubstr("not a Swarm model blob"));
  EXPECT_THAT(flip(17).message(), HasSubstr("blob header corrupted (offsets 0..63)"));
  EXPECT_THAT(flip(70).message(), HasSubstr("tensor table corrupted"));
  const uint64_t b_start = layout.payload_offset + layout.tensor_offsets[1];
  Status s = flip(b_start + 3);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("tensor 1 'b' f16[7] (file offsets " + std::to_string(b_start) + ".." +
                                     std::to_string(b_start + 13) + ") has checksum"));
  EXPECT_THAT(flip(layout.payload_offset + 60).message(),
              HasSubstr("non-zero byte in the padding after tensor 0"));
  EXPECT_THAT(flip(layout.footer_offset() + 2).message(), HasSubstr("blob footer corrupted"));
}

TEST(BlobTest, WrongVersionAndTrailingBytes) {
  const Model m = RandomModel({{"w", DType::kF32, {2}}}, 7);
  auto bytes = Serialize(m);
  auto v2 = bytes;
  const uint32_t two = 2;
  std::memcpy(v2.data() + 8, &two, 4);
  const uint32_t crc = Crc32c(std::span(v2).first(60));
  std::memcpy(v2.data() + 60, &crc, 4);
  EXPECT_EQ(Parse(v2).status().message(),
            "unsupported blob format version 2 (offset 8); this build reads version 1");
  bytes.push_back(std::byte{0});
  EXPECT_THAT(Parse(bytes).status().message(), HasSubstr("trailing bytes at offset"));
}

// Sets header bytes and recomputes the header checksum, so that the check under test is
// the one that fires.
std::vector<std::byte> WithHeaderBytes(std::vector<std::byte> blob, size_t offset,
                                       std::vector<uint8_t> bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) blob[offset + i] = std::byte{bytes[i]};
  const uint32_t crc = Crc32c(std::span(blob).first(60));
  std::memcpy(blob.data() + 60, &crc, 4);
  return blob;
}

TEST(BlobTest, ReservedHeaderBytesMustBeZero) {
  const auto good = Serialize(RandomModel({{"w", DType::kF32, {2}}}, 9));
  EXPECT_EQ(
      Parse(WithHeaderBytes(good, 55, {1})).status().message(),
      "blob header has a non-zero reserved byte at offset 55; offsets 52..59 must be zero in version 1");
}

TEST(BlobTest, MagicAndVersionAreCheckedBeforeTheStreamIsKnownToBeLongEnough) {
  const auto good = Serialize(RandomModel({{"w", DType::kF32, {2}}}, 10));
  const std::string zip = "PK\x03\x04 not a blob at all, forty bytes.....";
  EXPECT_THAT(Parse(std::as_bytes(std::span(zip))).status().message(),
              HasSubstr("not a Swarm model blob: bytes 0..7 are 'PK?? not'"));
  EXPECT_THAT(Parse(std::span(good).first(3)).status().message(), HasSubstr("blob truncated"));
  const auto v2 = WithHeaderBytes(good, 8, {2, 0, 0, 0});
  EXPECT_THAT(Parse(std::span(v2).first(12)).status().message(),
              HasSubstr("unsupported blob format version 2"));
  EXPECT_THAT(Parse(std::span(good).first(12)).status().message(),
              HasSubstr("stream ended at offset 12 while reading the 64-byte header"));
  EXPECT_THAT(Parse({}).status().message(),
              HasSubstr("stream ended at offset 0 while reading the 64-byte header"));
}

TEST(BlobTest, NamesMustBeUtf8WithoutControlCharacters) {
  for (const std::string& bad :
       {std::string("a\xff"), std::string("a\0b", 3), std::string("tab\there"), std::string("\xc0\xaf"),
        std::string("\xed\xa0\x80"), std::string("\xe2\x82")}) {
    Model m({{bad, DType::kF32, {1}}});
    VectorSink sink;
    auto d = WriteModel(m, &sink);
    ASSERT_FALSE(d.ok()) << "accepted the name '" << bad << "'";
    EXPECT_THAT(d.status().message(), HasSubstr("expected UTF-8 text without control characters"));
  }
  const Model good({{"\xc3\xa9tage.\xe2\x82\xac.\xf0\x9f\x90\x9d", DType::kF32, {1}}});
  EXPECT_TRUE(Parse(Serialize(good)).ok());
}

TEST(BlobTest, EmptyTensorsMayHaveHugeOtherDimensions) {
  const Model m({{"e", DType::kF32, {uint64_t{1} << 40, uint64_t{1} << 40, 0}}, {"w", DType::kF64, {3}}});
  auto back = Parse(Serialize(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->schema(), m.schema());
  EXPECT_FALSE(ValidateSchema({{"big", DType::kF32, {uint64_t{1} << 40, uint64_t{1} << 40}}}).ok());
}

TEST(BlobTest, FileWriteIsAtomic) {
  const auto dir = std::filesystem::temp_directory_path() / ("swarm_blob_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const Model m = RandomModel(MixedSchema(), 8);
  const auto path = dir / "model.swb";
  auto d = WriteModelFile(m, path);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  Digest read;
  auto back = ReadModelFile(path, &read);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(read, *d);
  {
    // An abandoned write leaves neither a temporary file nor a changed model.
    auto sink = FileSink::Create(path);
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(std::vector<std::byte>(10)).ok());
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  EXPECT_TRUE(ReadModelFile(path).ok());
  EXPECT_THAT(ReadModelFile(dir / "missing.swb").status().message(), HasSubstr("cannot open"));
  EXPECT_FALSE(WriteModelFile(m, dir / "no_such_dir" / "m.swb").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace swarm
