#include "core/dtype.h"

#include <cstring>

#include "core/half.h"

namespace swarm {

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF64: return 8;
    case DType::kF16:
    case DType::kBF16: return 2;
  }
  return 0;
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF64: return "f64";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
  }
  return "invalid";
}

std::optional<DType> ParseDType(std::string_view name) {
  for (DType d : {DType::kF32, DType::kF64, DType::kF16, DType::kBF16}) {
    if (name == DTypeName(d)) return d;
  }
  return std::nullopt;
}

bool IsValidDType(uint8_t raw) { return raw >= 1 && raw <= 4; }

void ConvertToF32(DType dtype, const std::byte* src, size_t n, float* dst) {
  if (n == 0) return;  // an empty tensor may have null pointers; memcpy forbids them
  switch (dtype) {
    case DType::kF32: std::memcpy(dst, src, n * 4); return;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, src + 8 * i, 8);
        dst[i] = static_cast<float>(d);
      }
      return;
    case DType::kF16:
    case DType::kBF16: {
      const bool is_f16 = dtype == DType::kF16;
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = is_f16 ? F16ToF32(h) : BF16ToF32(h);
      }
      return;
    }
  }
}

void ConvertFromF32(DType dtype, const float* src, size_t n, std::byte* dst) {
  if (n == 0) return;
  switch (dtype) {
    case DType::kF32: std::memcpy(dst, src, n * 4); return;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        const double d = src[i];
        std::memcpy(dst + 8 * i, &d, 8);
      }
      return;
    case DType::kF16:
    case DType::kBF16: {
      const bool is_f16 = dtype == DType::kF16;
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = is_f16 ? F32ToF16(src[i]) : F32ToBF16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    }
  }
}

}  // namespace swarm
