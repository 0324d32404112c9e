#include "core/blob_reader.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "core/crc32c.h"

namespace swarm {
namespace {

constexpr uint64_t kPiece = 1024 * 1024;  // keeps digest and checksum work in cache

template <typename T>
T Get(std::span<const std::byte> bytes, size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof(T));
  return v;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

std::string Printable(std::span<const std::byte> bytes) {
  std::string s;
  for (std::byte b : bytes) {
    const char c = static_cast<char>(b);
    s += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return s;
}

}  // namespace

std::string BlobReader::TensorAt(size_t i) const {
  return "tensor " + std::to_string(i) + " " + layout_.schema[i].ToString();
}

StatusOr<size_t> BlobReader::ReadUpTo(std::span<std::byte> dst) {
  size_t got = 0;
  while (got < dst.size()) {
    ASSIGN_OR_RETURN(size_t n, source_->Read(dst.subspan(got)));
    if (n == 0) break;
    got += n;
  }
  sha_.Update(dst.first(got));
  pos_ += got;
  return got;
}

Status BlobReader::Truncated(uint64_t offset, const char* what) const {
  std::string m =
      "blob truncated: the stream ended at offset " + std::to_string(offset) + " while reading " + what;
  if (file_bytes_ > 0) m += "; the header says the blob is " + std::to_string(file_bytes_) + " bytes";
  return DataLoss(m);
}

Status BlobReader::ReadExact(std::span<std::byte> dst, const char* what) {
  const uint64_t start = pos_;
  ASSIGN_OR_RETURN(size_t got, ReadUpTo(dst));
  if (got < dst.size()) return Truncated(start + got, what);
  return Status::Ok();
}

Status BlobReader::SkipPadding(uint64_t n, const char* what) {
  std::array<std::byte, kBlobAlignment> pad;
  while (n > 0) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, pad.size()));
    const uint64_t start = pos_;
    RETURN_IF_ERROR(ReadExact(std::span(pad).first(k), what));
    for (size_t i = 0; i < k; ++i) {
      if (pad[i] != std::byte{0}) {
        return DataLoss("blob corrupted: non-zero byte in " + std::string(what) + " at offset " +
                        std::to_string(start + i) + "; padding must be zero");
      }
    }
    n -= k;
  }
  return Status::Ok();
}

Status BlobReader::ParseHeader(std::span<const std::byte> h, uint32_t* table_crc) {
  // Magic and version first, even from a short stream: a later version may change
  // everything after offset 12, and a file of another kind should be called that.
  const size_t magic = std::min<size_t>(h.size(), 8);
  if (magic > 0 && std::memcmp(h.data(), kBlobMagic, magic) != 0) {
    return InvalidArgument("not a Swarm model blob: bytes 0.." + std::to_string(magic - 1) + " are '" +
                           Printable(h.first(magic)) + "', expected 'SWRMBLOB'");
  }
  if (h.size() >= 12) {
    const uint32_t version = Get<uint32_t>(h, 8);
    if (version != kBlobVersion) {
      return InvalidArgument("unsupported blob format version " + std::to_string(version) +
                             " (offset 8); this build reads version " + std::to_string(kBlobVersion));
    }
  }
  if (h.size() < kBlobHeaderBytes) return Truncated(h.size(), "the 64-byte header");
  const uint32_t stored = Get<uint32_t>(h, 60);
  const uint32_t computed = Crc32c(h.first(60));
  if (stored != computed) {
    return DataLoss("blob header corrupted (offsets 0..63): checksum at offset 60 is " + Hex32(stored) +
                    ", the header's bytes give " + Hex32(computed));
  }
  for (size_t i = 52; i < 60; ++i) {
    if (h[i] != std::byte{0}) {
      return DataLoss("blob header has a non-zero reserved byte at offset " + std::to_string(i) +
                      "; offsets 52..59 must be zero in version 1");
    }
  }
  const uint32_t flags = Get<uint32_t>(h, 12);
  if (flags != 0) {
    return InvalidArgument("unsupported blob flags " + Hex32(flags) +
                           " at offset 12; version 1 defines none");
  }
  file_bytes_ = Get<uint64_t>(h, 40);
  *table_crc = Get<uint32_t>(h, 48);
  return Status::Ok();
}

Status BlobReader::ParseTable(std::span<const std::byte> table, uint32_t count) {
  ModelSchema schema;
  std::vector<uint64_t> offsets, sizes;
  size_t p = 0;
  auto need = [&](size_t n, size_t i) -> Status {
    if (p + n <= table.size()) return Status::Ok();
    return DataLoss("tensor table ends inside entry " + std::to_string(i) + " (offset " +
                    std::to_string(kBlobHeaderBytes + p) + ")");
  };
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t entry_offset = kBlobHeaderBytes + p;
    const std::string where =
        "tensor table entry " + std::to_string(i) + " (offset " + std::to_string(entry_offset) + ")";
    RETURN_IF_ERROR(need(2, i));
    const uint16_t name_len = Get<uint16_t>(table, p);
    p += 2;
    RETURN_IF_ERROR(need(name_len + 2, i));
    TensorSpec t;
    t.name.assign(reinterpret_cast<const char*>(table.data() + p), name_len);
    p += name_len;
    const uint8_t dtype = Get<uint8_t>(table, p);
    const uint8_t rank = Get<uint8_t>(table, p + 1);
    p += 2;
    if (!IsValidDType(dtype)) {
      return DataLoss(where + " '" + t.name + "': unknown dtype code " + std::to_string(dtype) +
                      "; expected 1 (f32), 2 (f64), 3 (f16) or 4 (bf16)");
    }
    t.dtype = static_cast<DType>(dtype);
    RETURN_IF_ERROR(need(8 * size_t{rank} + 16, i));
    for (uint8_t d = 0; d < rank; ++d, p += 8) t.shape.push_back(Get<uint64_t>(table, p));
    offsets.push_back(Get<uint64_t>(table, p));
    sizes.push_back(Get<uint64_t>(table, p + 8));
    p += 16;
    schema.push_back(std::move(t));
  }
  if (p != table.size()) {
    return DataLoss("tensor table has " + std::to_string(table.size() - p) + " bytes after its last entry");
  }
  auto layout = ComputeBlobLayout(std::move(schema));
  if (!layout.ok()) return DataLoss("blob tensor table is invalid: " + layout.status().message());
  layout_ = std::move(layout).value();
  // The layout is a function of the schema: anything else is corruption.
  for (size_t i = 0; i < layout_.schema.size(); ++i) {
    if (offsets[i] != layout_.tensor_offsets[i] || sizes[i] != layout_.schema[i].NumBytes()) {
      return DataLoss(TensorAt(i) + ": table says offset " + std::to_string(offsets[i]) + " size " +
                      std::to_string(sizes[i]) + ", its shape needs offset " +
                      std::to_string(layout_.tensor_offsets[i]) + " size " +
                      std::to_string(layout_.schema[i].NumBytes()));
    }
  }
  return Status::Ok();
}

Status BlobReader::Open() {
  if (opened_) return FailedPrecondition("BlobReader::Open called twice");
  opened_ = true;
  std::array<std::byte, kBlobHeaderBytes> header;
  ASSIGN_OR_RETURN(size_t got, ReadUpTo(header));
  uint32_t table_crc = 0;
  RETURN_IF_ERROR(ParseHeader(std::span(header).first(got), &table_crc));
  const uint32_t count = Get<uint32_t>(header, 16);
  const uint32_t table_bytes = Get<uint32_t>(header, 20);
  if (count > kMaxBlobTensors) {
    return DataLoss("blob header says " + std::to_string(count) + " tensors (offset 16); at most " +
                    std::to_string(kMaxBlobTensors) + " are allowed");
  }
  const uint64_t max_entry = 2 + kMaxTensorNameBytes + 2 + 8 * kMaxTensorRank + 16;
  if (table_bytes > uint64_t{count} * max_entry) {
    return DataLoss("blob header says the tensor table is " + std::to_string(table_bytes) + " bytes for " +
                    std::to_string(count) + " tensors (offset 20): too large");
  }
  std::vector<std::byte> table(table_bytes);
  RETURN_IF_ERROR(ReadExact(table, "the tensor table"));
  const uint32_t computed = Crc32c(table);
  if (computed != table_crc) {
    return DataLoss("tensor table corrupted (offsets 64.." + std::to_string(64 + table_bytes - 1) +
                    "): stored checksum " + Hex32(table_crc) + ", computed " + Hex32(computed));
  }
  RETURN_IF_ERROR(ParseTable(table, count));
  const uint64_t payload_offset = Get<uint64_t>(header, 24);
  const uint64_t payload_bytes = Get<uint64_t>(header, 32);
  if (payload_offset != layout_.payload_offset || payload_bytes != layout_.payload_bytes ||
      file_bytes_ != layout_.file_bytes()) {
    return DataLoss("blob header sizes (offsets 24..47) disagree with its tensor table: payload at " +
                    std::to_string(payload_offset) + " (" + std::to_string(payload_bytes) + " bytes), file " +
                    std::to_string(file_bytes_) + " bytes; the table needs " +
                    std::to_string(layout_.payload_offset) + " (" + std::to_string(layout_.payload_bytes) +
                    " bytes), file " + std::to_string(layout_.file_bytes()) + " bytes");
  }
  RETURN_IF_ERROR(SkipPadding(layout_.payload_offset - pos_, "the padding before the payload"));
  crcs_.assign(layout_.schema.size(), 0);
  AdvancePastEmptyTensors();
  return Status::Ok();
}

void BlobReader::AdvancePastEmptyTensors() {
  while (tensor_ < layout_.schema.size() && layout_.schema[tensor_].NumBytes() == 0) ++tensor_;
}

Status BlobReader::CheckLength(uint64_t stream_bytes) const {
  if (stream_bytes >= layout_.file_bytes()) return Status::Ok();
  // What Next or Finish would be reading when the stream ends there, in their words.
  for (size_t i = 0; i < layout_.schema.size(); ++i) {
    const uint64_t start = layout_.payload_offset + layout_.tensor_offsets[i];
    const uint64_t n = layout_.schema[i].NumBytes();
    if (n == 0) continue;
    if (stream_bytes < start + n) {
      const uint64_t piece = (stream_bytes - std::min(stream_bytes, start)) / kPiece * kPiece;
      return Truncated(stream_bytes, ("the payload of " + TensorAt(i) + " at its byte " + std::to_string(piece)).c_str());
    }
    if (stream_bytes < start + AlignUp(n)) return Truncated(stream_bytes, ("the padding after " + TensorAt(i)).c_str());
  }
  return Truncated(stream_bytes, "the footer");
}

StatusOr<PayloadPiece> BlobReader::Next(std::span<std::byte> dst) {
  if (!opened_) return FailedPrecondition("BlobReader::Next before Open");
  if (tensor_ >= layout_.schema.size()) return PayloadPiece{tensor_, 0, 0};
  const uint64_t size = layout_.schema[tensor_].NumBytes();
  const uint64_t k = std::min<uint64_t>({dst.size(), size - tensor_read_, kPiece});
  if (k == 0) return InvalidArgument("BlobReader::Next needs a non-empty buffer");
  const std::string what =
      "the payload of " + TensorAt(tensor_) + " at its byte " + std::to_string(tensor_read_);
  RETURN_IF_ERROR(ReadExact(dst.first(k), what.c_str()));
  crcs_[tensor_] = Crc32cExtend(crcs_[tensor_], dst.first(k));
  PayloadPiece piece{tensor_, tensor_read_, k};
  tensor_read_ += k;
  if (tensor_read_ == size) {
    const std::string pad = "the padding after " + TensorAt(tensor_);
    RETURN_IF_ERROR(SkipPadding(AlignUp(size) - size, pad.c_str()));
    tensor_read_ = 0;
    ++tensor_;
    AdvancePastEmptyTensors();
  }
  return piece;
}

StatusOr<Digest> BlobReader::Finish() {
  if (!opened_ || tensor_ < layout_.schema.size()) {
    return FailedPrecondition("BlobReader::Finish before the whole payload was read");
  }
  const size_t n = layout_.schema.size();
  std::vector<std::byte> footer(layout_.footer_bytes());
  const uint64_t footer_offset = pos_;
  RETURN_IF_ERROR(ReadExact(footer, "the footer"));
  const std::span<const std::byte> f(footer);
  const uint32_t stored = Get<uint32_t>(f, footer.size() - 4);
  const uint32_t computed = Crc32c(f.first(footer.size() - 4));
  if (std::memcmp(f.data(), kBlobFooterMagic, 8) != 0 || Get<uint32_t>(f, 8) != n || stored != computed) {
    return DataLoss("blob footer corrupted (offsets " + std::to_string(footer_offset) + ".." +
                    std::to_string(footer_offset + footer.size() - 1) + ")");
  }
  for (size_t i = 0; i < n; ++i) {
    const uint32_t want = Get<uint32_t>(f, 12 + 4 * i);
    if (want != crcs_[i]) {
      const uint64_t start = layout_.payload_offset + layout_.tensor_offsets[i];
      return DataLoss("blob corrupted: " + TensorAt(i) + " (file offsets " + std::to_string(start) + ".." +
                      std::to_string(start + layout_.schema[i].NumBytes() - 1) + ") has checksum " +
                      Hex32(crcs_[i]) + ", the footer records " + Hex32(want));
    }
  }
  std::byte extra;
  ASSIGN_OR_RETURN(size_t more, source_->Read(std::span(&extra, 1)));
  if (more != 0) {
    return DataLoss("blob has trailing bytes at offset " + std::to_string(pos_) +
                    ": its header says it ends there");
  }
  return sha_.Finish();
}

StatusOr<Digest> ReadPayload(BlobReader& reader, std::span<const std::span<std::byte>> tensors) {
  if (tensors.size() != reader.schema().size()) {
    return InvalidArgument("the blob has " + std::to_string(reader.schema().size()) + " tensors, not " +
                           std::to_string(tensors.size()));
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].size() != reader.schema()[i].NumBytes()) {
      return InvalidArgument("tensor " + std::to_string(i) + " " + reader.schema()[i].ToString() + " has " +
                             std::to_string(reader.schema()[i].NumBytes()) + " bytes, not " +
                             std::to_string(tensors[i].size()));
    }
    for (std::span<std::byte> rest = tensors[i]; !rest.empty();) {
      ASSIGN_OR_RETURN(PayloadPiece piece, reader.Next(rest));
      if (piece.size == 0)
        return DataLoss("the payload ended inside tensor " + reader.schema()[i].ToString());
      rest = rest.subspan(piece.size);
    }
  }
  return reader.Finish();
}

StatusOr<Digest> CheckBlobFile(const std::filesystem::path& path, BlobLayout* layout) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileSource> source, FileSource::Open(path));
  BlobReader reader(source.get());
  RETURN_IF_ERROR(reader.Open().WithContext(path.string()));
  std::vector<std::byte> buf(1 << 20);
  while (true) {
    auto piece = reader.Next(buf);
    if (!piece.ok()) return piece.status().WithContext(path.string());
    if (piece->size == 0) break;
  }
  auto digest = reader.Finish();
  if (!digest.ok()) return digest.status().WithContext(path.string());
  if (layout != nullptr) *layout = reader.layout();
  return *digest;
}

StatusOr<Model> ReadModel(ByteSource* source, Digest* digest) {
  BlobReader reader(source);
  RETURN_IF_ERROR(reader.Open());
  // A header may claim far more than the stream holds: say so before allocating for it.
  if (const std::optional<uint64_t> size = source->Size()) RETURN_IF_ERROR(reader.CheckLength(*size));
  const uint64_t claimed = reader.layout().file_bytes();
  std::optional<Model> allocated;
  try {
    allocated.emplace(reader.schema());
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("cannot allocate the " + std::to_string(claimed) +
                             " bytes the blob's header claims for its tensors");
  }
  Model& model = *allocated;
  std::vector<std::span<std::byte>> tensors;
  for (Tensor& t : model.tensors()) tensors.push_back(t.data.span());
  ASSIGN_OR_RETURN(Digest d, ReadPayload(reader, tensors));
  if (digest != nullptr) *digest = d;
  return std::move(model);
}

StatusOr<Model> ReadModelFile(const std::filesystem::path& path, Digest* digest) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileSource> source, FileSource::Open(path));
  auto model = ReadModel(source.get(), digest);
  if (!model.ok()) return model.status().WithContext("reading '" + path.string() + "'");
  return model;
}

}  // namespace swarm
