#pragma once

// Streams a model blob into a ByteSink. The header and tensor table go out first
// (they depend on the schema only); payload bytes are then appended in tensor
// order, in pieces of any size, so a producer never needs the whole model in
// memory; the footer with per-tensor checksums closes the blob.
//
//   BlobWriter w(&sink, schema);
//   RETURN_IF_ERROR(w.Begin());
//   while (...) RETURN_IF_ERROR(w.Append(piece));
//   ASSIGN_OR_RETURN(Digest d, w.Finish());

#include <filesystem>

#include "core/blob_format.h"
#include "core/byte_stream.h"
#include "core/crc32c.h"
#include "core/model.h"
#include "core/sha256.h"

namespace swarm {

class BlobWriter {
 public:
  BlobWriter(ByteSink* sink, ModelSchema schema);

  // Validates the schema and writes the header and table.
  Status Begin();
  // Appends the next payload bytes; a piece may end or cross tensor boundaries.
  Status Append(std::span<const std::byte> bytes);
  // Fails if the payload is incomplete; otherwise writes the footer and returns the
  // SHA-256 digest of the whole blob.
  StatusOr<Digest> Finish();

  const BlobLayout& layout() const { return layout_; }

 private:
  Status Emit(std::span<const std::byte> bytes);
  Status EmitZeros(uint64_t n);

  ByteSink* sink_;
  ModelSchema schema_;
  BlobLayout layout_;
  Sha256 sha_;
  std::vector<uint32_t> crcs_;
  size_t tensor_ = 0;           // tensor receiving the next byte
  uint64_t tensor_filled_ = 0;  // bytes of it written so far
  bool begun_ = false;
  bool finished_ = false;
};

StatusOr<Digest> WriteModel(const Model& model, ByteSink* sink);
// Writes atomically: the file appears complete or not at all.
StatusOr<Digest> WriteModelFile(const Model& model, const std::filesystem::path& path);

}  // namespace swarm
