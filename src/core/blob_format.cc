#include "core/blob_format.h"

#include <cstring>

#include "core/crc32c.h"

namespace swarm {
namespace {

template <typename T>
void Put(std::vector<std::byte>& out, T v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

template <typename T>
void PutAt(std::vector<std::byte>& out, size_t offset, T v) {
  std::memcpy(out.data() + offset, &v, sizeof(T));
}

uint64_t TableEntryBytes(const TensorSpec& t) {
  return 2 + t.name.size() + 1 + 1 + 8 * t.shape.size() + 8 + 8;
}

}  // namespace

StatusOr<BlobLayout> ComputeBlobLayout(ModelSchema schema) {
  RETURN_IF_ERROR(ValidateSchema(schema));
  if (schema.size() > kMaxBlobTensors) {
    return InvalidArgument("model has " + std::to_string(schema.size()) + " tensors; a blob holds at most " +
                           std::to_string(kMaxBlobTensors));
  }
  BlobLayout layout;
  for (const TensorSpec& t : schema) layout.table_bytes += TableEntryBytes(t);
  layout.payload_offset = AlignUp(kBlobHeaderBytes + layout.table_bytes);
  uint64_t offset = 0;
  for (const TensorSpec& t : schema) {
    layout.tensor_offsets.push_back(offset);
    offset = AlignUp(offset + t.NumBytes());
  }
  layout.payload_bytes = offset;
  layout.schema = std::move(schema);
  return layout;
}

std::vector<std::byte> EncodeBlobPrefix(const BlobLayout& layout) {
  std::vector<std::byte> out;
  out.reserve(kBlobHeaderBytes + layout.table_bytes);
  out.resize(kBlobHeaderBytes);
  std::memcpy(out.data(), kBlobMagic, 8);
  PutAt<uint32_t>(out, 8, kBlobVersion);
  PutAt<uint32_t>(out, 12, 0);  // flags
  PutAt<uint32_t>(out, 16, static_cast<uint32_t>(layout.schema.size()));
  PutAt<uint32_t>(out, 20, static_cast<uint32_t>(layout.table_bytes));
  PutAt<uint64_t>(out, 24, layout.payload_offset);
  PutAt<uint64_t>(out, 32, layout.payload_bytes);
  PutAt<uint64_t>(out, 40, layout.file_bytes());
  // 48: table crc, 52..59 reserved (zero), 60: header crc; filled below.
  for (size_t i = 0; i < layout.schema.size(); ++i) {
    const TensorSpec& t = layout.schema[i];
    Put<uint16_t>(out, static_cast<uint16_t>(t.name.size()));
    const auto* name = reinterpret_cast<const std::byte*>(t.name.data());
    out.insert(out.end(), name, name + t.name.size());
    Put<uint8_t>(out, static_cast<uint8_t>(t.dtype));
    Put<uint8_t>(out, static_cast<uint8_t>(t.shape.size()));
    for (uint64_t d : t.shape) Put<uint64_t>(out, d);
    Put<uint64_t>(out, layout.tensor_offsets[i]);
    Put<uint64_t>(out, t.NumBytes());
  }
  const uint32_t table_crc = Crc32c(std::span(out).subspan(kBlobHeaderBytes));
  PutAt<uint32_t>(out, 48, table_crc);
  PutAt<uint32_t>(out, 60, Crc32c(std::span(out).first(60)));
  return out;
}

std::vector<std::byte> EncodeBlobFooter(std::span<const uint32_t> tensor_crcs) {
  const size_t n = tensor_crcs.size();
  std::vector<std::byte> out(8 + 4 + 4 * n + 4);
  std::memcpy(out.data(), kBlobFooterMagic, 8);
  PutAt<uint32_t>(out, 8, static_cast<uint32_t>(n));
  for (size_t i = 0; i < n; ++i) PutAt<uint32_t>(out, 12 + 4 * i, tensor_crcs[i]);
  PutAt<uint32_t>(out, out.size() - 4, Crc32c(std::span(out).first(out.size() - 4)));
  return out;
}

}  // namespace swarm
