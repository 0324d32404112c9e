#include "core/dtype.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/half.h"

namespace swarm {
namespace {

TEST(DTypeTest, NamesAndSizes) {
  for (DType d : {DType::kF32, DType::kF64, DType::kF16, DType::kBF16}) {
    EXPECT_EQ(ParseDType(DTypeName(d)), d);
    EXPECT_TRUE(IsValidDType(static_cast<uint8_t>(d)));
  }
  EXPECT_EQ(DTypeSize(DType::kF64), 8u);
  EXPECT_EQ(DTypeSize(DType::kBF16), 2u);
  EXPECT_FALSE(ParseDType("int8"));
  EXPECT_FALSE(IsValidDType(0));
  EXPECT_FALSE(IsValidDType(5));
}

TEST(HalfTest, F16KnownValues) {
  EXPECT_EQ(F32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(F32ToF16(-2.0f), 0xc000);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7bff);
  EXPECT_EQ(F32ToF16(65519.0f), 0x7bff);         // below the halfway point to 65536
  EXPECT_EQ(F32ToF16(65520.0f), 0x7c00);         // halfway: ties to even overflows to infinity
  EXPECT_EQ(F32ToF16(0x1p-24f), 0x0001);         // smallest subnormal
  EXPECT_EQ(F32ToF16(0x1p-25f), 0x0000);         // halfway to zero: ties to even
  EXPECT_EQ(F32ToF16(0x3p-25f), 0x0002);         // halfway between 1 and 2 steps: even is 2
  EXPECT_EQ(F32ToF16(1.0f + 0x1p-11f), 0x3c00);  // tie, rounds to even
  EXPECT_EQ(F32ToF16(1.0f + 0x3p-11f), 0x3c02);  // tie, rounds up to even
  EXPECT_EQ(F32ToF16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(std::nanf("")))));
  EXPECT_EQ(F16ToF32(0x0001), 0x1p-24f);
  EXPECT_EQ(F16ToF32(0x8000), -0.0f);
  EXPECT_TRUE(std::signbit(F16ToF32(0x8000)));
}

TEST(HalfTest, EveryF16AndBF16ValueRoundTripsThroughF32) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    if (!std::isnan(f)) {
      EXPECT_EQ(F32ToF16(f), h) << std::hex << h;
    }
    const float b = BF16ToF32(static_cast<uint16_t>(h));
    if (!std::isnan(b)) {
      EXPECT_EQ(F32ToBF16(b), h) << std::hex << h;
    }
  }
}

TEST(HalfTest, BF16RoundsToNearestEven) {
  EXPECT_EQ(F32ToBF16(1.0f), 0x3f80);
  EXPECT_EQ(F32ToBF16(1.0f + 0x1p-8f), 0x3f80);  // tie: even
  EXPECT_EQ(F32ToBF16(1.0f + 0x3p-8f), 0x3f82);  // tie: even (up)
  EXPECT_EQ(F32ToBF16(1.0f + 0x1p-9f), 0x3f80);  // below the tie
}

TEST(HalfTest, BulkConversionsMatchScalar) {
  const float src[] = {0.0f, -1.5f, 3.14159f, 1e-6f, 70000.0f, -0.0f};
  std::byte buf[sizeof(src) * 2];
  float back[6];
  for (DType d : {DType::kF32, DType::kF64, DType::kF16, DType::kBF16}) {
    ConvertFromF32(d, src, 6, buf);
    ConvertToF32(d, buf, 6, back);
    for (int i = 0; i < 6; ++i) {
      float want = src[i];
      if (d == DType::kF16) want = F16ToF32(F32ToF16(src[i]));
      if (d == DType::kBF16) want = BF16ToF32(F32ToBF16(src[i]));
      EXPECT_EQ(back[i], want) << DTypeName(d) << " " << i;
    }
  }
}

}  // namespace
}  // namespace swarm
