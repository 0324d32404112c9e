#pragma once

// Streams a model blob out of a ByteSource, checking everything it reads: magic,
// version, header and table checksums, layout, zero padding, each tensor's
// CRC-32C and the footer. Payload is read straight into the caller's memory, in
// pieces, so reading never holds two copies of a model. Nothing read is whole
// until Finish() returns OK: it verifies the checksums and the end of the stream.
//
// Errors say what is wrong and where: the byte offset and, inside the payload,
// the tensor.

#include <filesystem>
#include <optional>

#include "core/blob_format.h"
#include "core/byte_stream.h"
#include "core/model.h"
#include "core/sha256.h"

namespace swarm {

struct PayloadPiece {
  size_t tensor = 0;    // index in the schema
  uint64_t offset = 0;  // byte offset inside that tensor
  uint64_t size = 0;    // bytes written to the caller's buffer; 0 at the end of the payload
};

class BlobReader {
 public:
  explicit BlobReader(ByteSource* source) : source_(source) {}

  // Reads and checks the header and the tensor table.
  Status Open();
  const BlobLayout& layout() const { return layout_; }
  const ModelSchema& schema() const { return layout_.schema; }

  // After Open, for a stream whose whole length is known: the error a read would give at its
  // end if it is shorter than the header says (found before anything is allocated for the
  // tensors), else OK.
  Status CheckLength(uint64_t stream_bytes) const;

  // Reads the next payload bytes into `dst` without crossing a tensor boundary.
  StatusOr<PayloadPiece> Next(std::span<std::byte> dst);
  // After the whole payload: checks the footer, every tensor's checksum and that the
  // stream ends there. Returns the SHA-256 of the blob.
  StatusOr<Digest> Finish();

 private:
  // Reads until `dst` is full or the stream ends; returns the bytes read.
  StatusOr<size_t> ReadUpTo(std::span<std::byte> dst);
  Status ReadExact(std::span<std::byte> dst, const char* what);
  Status Truncated(uint64_t offset, const char* what) const;
  Status ParseHeader(std::span<const std::byte> header, uint32_t* table_crc);
  Status ParseTable(std::span<const std::byte> table, uint32_t count);
  Status SkipPadding(uint64_t n, const char* what);
  std::string TensorAt(size_t i) const;
  void AdvancePastEmptyTensors();

  ByteSource* source_;
  Sha256 sha_;
  uint64_t pos_ = 0;  // file offset of the next byte to read
  uint64_t file_bytes_ = 0;
  BlobLayout layout_;
  std::vector<uint32_t> crcs_;
  size_t tensor_ = 0;
  uint64_t tensor_read_ = 0;
  bool opened_ = false;
};

// Reads the whole payload straight into `tensors`: one buffer per tensor of the opened
// reader's schema, in order, each exactly that tensor's size. Then checks the footer.
StatusOr<Digest> ReadPayload(BlobReader& reader, std::span<const std::span<std::byte>> tensors);

// Checks a whole blob (format, every CRC) through a 1 MiB buffer, keeping none of the
// payload; returns its SHA-256 and, if asked, its layout. Errors name `path`.
StatusOr<Digest> CheckBlobFile(const std::filesystem::path& path, BlobLayout* layout = nullptr);

// Reads a whole model. `digest`, if given, receives the blob's SHA-256.
StatusOr<Model> ReadModel(ByteSource* source, Digest* digest = nullptr);
StatusOr<Model> ReadModelFile(const std::filesystem::path& path, Digest* digest = nullptr);

}  // namespace swarm
