#include "core/blob_writer.h"

#include <algorithm>
#include <array>

namespace swarm {
namespace {
constexpr uint64_t kPiece = 256 * 1024;
}  // namespace

BlobWriter::BlobWriter(ByteSink* sink, ModelSchema schema) : sink_(sink), schema_(std::move(schema)) {}

Status BlobWriter::Emit(std::span<const std::byte> bytes) {
  sha_.Update(bytes);
  return sink_->Write(bytes);
}

Status BlobWriter::EmitZeros(uint64_t n) {
  static constexpr std::array<std::byte, kBlobAlignment> kZeros{};
  while (n > 0) {
    const uint64_t k = std::min<uint64_t>(n, kZeros.size());
    RETURN_IF_ERROR(Emit(std::span(kZeros).first(k)));
    n -= k;
  }
  return Status::Ok();
}

Status BlobWriter::Begin() {
  if (begun_) return FailedPrecondition("BlobWriter::Begin called twice");
  ASSIGN_OR_RETURN(layout_, ComputeBlobLayout(std::move(schema_)));
  begun_ = true;
  const std::vector<std::byte> prefix = EncodeBlobPrefix(layout_);
  RETURN_IF_ERROR(Emit(prefix));
  RETURN_IF_ERROR(EmitZeros(layout_.payload_offset - prefix.size()));
  crcs_.assign(layout_.schema.size(), 0);
  // Skip leading empty tensors so tensor_ always names one that still wants bytes.
  while (tensor_ < layout_.schema.size() && layout_.schema[tensor_].NumBytes() == 0) ++tensor_;
  return Status::Ok();
}

Status BlobWriter::Append(std::span<const std::byte> bytes) {
  if (!begun_ || finished_) return FailedPrecondition("BlobWriter::Append outside Begin()..Finish()");
  const ModelSchema& schema = layout_.schema;
  while (!bytes.empty()) {
    if (tensor_ >= schema.size()) {
      return InvalidArgument("payload has " + std::to_string(bytes.size()) +
                             " bytes more than the schema's tensors hold");
    }
    const uint64_t size = schema[tensor_].NumBytes();
    // Work in cache-sized pieces: the digest, checksum and sink then see bytes still in cache.
    const size_t k = static_cast<size_t>(std::min<uint64_t>({bytes.size(), size - tensor_filled_, kPiece}));
    RETURN_IF_ERROR(Emit(bytes.first(k)));
    crcs_[tensor_] = Crc32cExtend(crcs_[tensor_], bytes.first(k));
    bytes = bytes.subspan(k);
    tensor_filled_ += k;
    if (tensor_filled_ == size) {
      RETURN_IF_ERROR(EmitZeros(AlignUp(size) - size));
      tensor_filled_ = 0;
      ++tensor_;
      while (tensor_ < schema.size() && schema[tensor_].NumBytes() == 0) ++tensor_;
    }
  }
  return Status::Ok();
}

StatusOr<Digest> BlobWriter::Finish() {
  if (!begun_ || finished_) return FailedPrecondition("BlobWriter::Finish outside Begin()..Finish()");
  if (tensor_ < layout_.schema.size()) {
    return FailedPrecondition("payload incomplete: tensor " + std::to_string(tensor_) + " " +
                              layout_.schema[tensor_].ToString() + " has " + std::to_string(tensor_filled_) +
                              " of " + std::to_string(layout_.schema[tensor_].NumBytes()) + " bytes");
  }
  finished_ = true;
  RETURN_IF_ERROR(Emit(EncodeBlobFooter(crcs_)));
  return sha_.Finish();
}

StatusOr<Digest> WriteModel(const Model& model, ByteSink* sink) {
  BlobWriter writer(sink, model.schema());
  RETURN_IF_ERROR(writer.Begin());
  for (const Tensor& t : model.tensors()) {
    if (t.data.size() != t.spec.NumBytes()) {
      return InvalidArgument("tensor " + t.spec.ToString() + " holds " + std::to_string(t.data.size()) +
                             " bytes; its shape needs " + std::to_string(t.spec.NumBytes()));
    }
    RETURN_IF_ERROR(writer.Append(t.data.span()));
  }
  return writer.Finish();
}

StatusOr<Digest> WriteModelFile(const Model& model, const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink, FileSink::Create(path));
  ASSIGN_OR_RETURN(Digest digest, WriteModel(model, sink.get()));
  RETURN_IF_ERROR(sink->Commit());
  return digest;
}

}  // namespace swarm
