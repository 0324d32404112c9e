#pragma once

// Element types of model tensors. The numeric values are part of the blob format
// (docs/formats.md) and of proto/swarm/v1/model.proto: never renumber them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace swarm {

enum class DType : uint8_t {
  kF32 = 1,
  kF64 = 2,
  kF16 = 3,   // IEEE 754 binary16
  kBF16 = 4,  // bfloat16: the top 16 bits of an f32
};

// Size of one element in bytes.
size_t DTypeSize(DType dtype);
// "f32", "f64", "f16", "bf16".
std::string_view DTypeName(DType dtype);
// Parses the names above; nullopt for anything else.
std::optional<DType> ParseDType(std::string_view name);
// True for the four values above (for validating bytes read from a file).
bool IsValidDType(uint8_t raw);

// Bulk conversions used where f16/bf16 data is merged in f32. `src` holds `n`
// little-endian elements of `dtype`.
void ConvertToF32(DType dtype, const std::byte* src, size_t n, float* dst);
// Rounds to nearest, ties to even; values beyond the range become infinities.
void ConvertFromF32(DType dtype, const float* src, size_t n, std::byte* dst);

}  // namespace swarm
