#include "core/model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm {
namespace {

using ::testing::HasSubstr;

TEST(ModelTest, AllocatesAlignedZeroedTensors) {
  Model m({{"w", DType::kF32, {3, 5}}, {"b", DType::kF16, {5}}, {"s", DType::kF64, {}}});
  ASSERT_EQ(m.tensors().size(), 3u);
  EXPECT_EQ(m.tensors()[0].data.size(), 60u);
  EXPECT_EQ(m.tensors()[2].spec.NumElements(), 1u);  // a scalar
  for (const Tensor& t : m.tensors()) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data.data()) % 64, 0u);
    for (std::byte b : t.data.span()) EXPECT_EQ(b, std::byte{0});
  }
  EXPECT_EQ(m.NumBytes(), 60u + 10u + 8u);
  EXPECT_EQ(TotalElements(m.schema()), 21u);
}

TEST(ModelTest, ValidateSchemaNamesTheProblem) {
  EXPECT_THAT(ValidateSchema({{"", DType::kF32, {1}}}).message(), HasSubstr("empty name"));
  EXPECT_THAT(ValidateSchema({{"a", DType::kF32, {1}}, {"a", DType::kF32, {2}}}).message(),
              HasSubstr("tensor 1 'a' repeats"));
  EXPECT_THAT(ValidateSchema({{"big", DType::kF32, {1u << 31, 1u << 31}}}).message(), HasSubstr("too large"));
  EXPECT_TRUE(ValidateSchema({{"a", DType::kF32, {0}}, {"b", DType::kBF16, {2, 2}}}).ok());
}

TEST(ModelTest, CompareSchemasNamesFirstDifference) {
  const ModelSchema a = {{"w", DType::kF32, {3, 5}}, {"b", DType::kF32, {5}}};
  ModelSchema b = a;
  EXPECT_TRUE(CompareSchemas(a, b, "input 0", "input 1").ok());
  b[1].shape = {4};
  EXPECT_EQ(CompareSchemas(a, b, "input 0", "input 1").message(),
            "schema mismatch at tensor 1: input 0 has 'b' f32[5], input 1 has 'b' f32[4]");
  b = a;
  b[0].dtype = DType::kF16;
  EXPECT_THAT(CompareSchemas(a, b, "x", "y").message(), HasSubstr("'w' f16[3,5]"));
  b = a;
  b.push_back({"extra", DType::kF32, {1}});
  EXPECT_THAT(CompareSchemas(a, b, "x", "y").message(),
              HasSubstr("x has 2 tensors, y has 3 (first extra tensor 'extra'"));
}

}  // namespace
}  // namespace swarm
