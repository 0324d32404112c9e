#pragma once

// Scalar conversions between f32 and the 16-bit float formats, exact where the
// value is representable and round-to-nearest-even otherwise. Inline so that the
// bulk loops in dtype.cc vectorize.

#include <bit>
#include <cstdint>

namespace swarm {

inline float BF16ToF32(uint16_t h) { return std::bit_cast<float>(uint32_t{h} << 16); }

inline uint16_t F32ToBF16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}

inline float F16ToF32(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (man << 13));  // inf/NaN
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112) << 23) | (man << 13));
  // Zero or subnormal: man * 2^-24, exact in f32.
  const float mag = static_cast<float>(man) * 0x1p-24f;
  return sign ? -mag : mag;
}

inline uint16_t F32ToF16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;   // NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: infinity
  if (abs < 0x38800000u) {                        // below 2^-14: subnormal or zero
    // Scale so that the f16 subnormal step 2^-24 becomes 1 and let the FPU round (RNE).
    const float scaled = std::bit_cast<float>(abs) * 0x1p24f;
    return sign | static_cast<uint16_t>(__builtin_nearbyintf(scaled));
  }
  uint32_t r = abs - (112u << 23);  // rebias exponent 127 -> 15
  r += 0xfffu + ((r >> 13) & 1u);   // round to nearest even
  return sign | static_cast<uint16_t>(r >> 13);
}

}  // namespace swarm
