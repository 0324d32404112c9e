#pragma once

// CRC-32C (Castagnoli), as used by iSCSI, ext4 and LevelDB. The blob format keeps
// one per tensor so that a corrupted blob names the damaged tensor.

#include <cstddef>
#include <cstdint>
#include <span>

namespace swarm {

// Extends `crc` (0 for a new stream) with `bytes`. Uses the SSE4.2 instruction when
// the CPU has it.
uint32_t Crc32cExtend(uint32_t crc, std::span<const std::byte> bytes);

inline uint32_t Crc32c(std::span<const std::byte> bytes) { return Crc32cExtend(0, bytes); }

}  // namespace swarm
