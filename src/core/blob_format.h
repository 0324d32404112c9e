#pragma once

// Layout of a model blob, version 1 (docs/formats.md is the specification):
//
//   header (64 bytes) | tensor table | zero pad to 64 | payload | footer
//
// Every tensor's bytes start at a 64-byte aligned file offset. The footer holds a
// CRC-32C per tensor so that a reader names the damaged tensor; the SHA-256 of the
// whole file is the blob's name. Offsets are computed from the schema alone, so a
// writer can emit the header before it has seen a single payload byte.

#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace swarm {

static_assert(std::endian::native == std::endian::little,
              "the blob format and tensors are little-endian; big-endian hosts are not supported");

inline constexpr char kBlobMagic[8] = {'S', 'W', 'R', 'M', 'B', 'L', 'O', 'B'};
inline constexpr char kBlobFooterMagic[8] = {'S', 'W', 'R', 'M', 'F', 'O', 'O', 'T'};
inline constexpr uint32_t kBlobVersion = 1;
inline constexpr uint64_t kBlobHeaderBytes = 64;
inline constexpr uint64_t kBlobAlignment = 64;
inline constexpr uint32_t kMaxBlobTensors = 1u << 20;

inline constexpr uint64_t AlignUp(uint64_t n) {
  return (n + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment;
}

struct BlobLayout {
  ModelSchema schema;
  uint64_t table_bytes = 0;
  uint64_t payload_offset = 0;           // file offset of the payload
  uint64_t payload_bytes = 0;            // includes padding after the last tensor
  std::vector<uint64_t> tensor_offsets;  // relative to payload_offset
  uint64_t footer_offset() const { return payload_offset + payload_bytes; }
  uint64_t footer_bytes() const { return 8 + 4 + 4 * schema.size() + 4; }
  uint64_t file_bytes() const { return footer_offset() + footer_bytes(); }
};

// Validates the schema and places every tensor.
StatusOr<BlobLayout> ComputeBlobLayout(ModelSchema schema);

// Serialized header followed by the tensor table (no padding).
std::vector<std::byte> EncodeBlobPrefix(const BlobLayout& layout);
// Footer for the given per-tensor CRC-32C values.
std::vector<std::byte> EncodeBlobFooter(std::span<const uint32_t> tensor_crcs);

}  // namespace swarm
