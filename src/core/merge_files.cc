#include "core/merge_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/blob_reader.h"
#include "core/blob_writer.h"
#include "core/byte_stream.h"

namespace swarm {
namespace {

namespace fs = std::filesystem;

// Reads dst.size() bytes of the file `fd` (named `what` in errors) at `offset`.
Status PreadFully(int fd, const std::string& what, uint64_t offset, std::span<std::byte> dst) {
  for (size_t done = 0; done < dst.size();) {
    const ssize_t n = ::pread(fd, dst.data() + done, dst.size() - done, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return DataLoss(what + " ends or fails at offset " + std::to_string(offset) + ": " +
                      (n < 0 ? std::strerror(errno) : "end of file"));
    }
    done += static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

// Where the range merges check what they are given: one message per mistake, for every entry.
Status CheckMergeArgs(MergeMethod method, size_t inputs, size_t weights) {
  if (!MergesByRange(method)) {
    return InvalidArgument(std::string(MergeMethodName(method)) +
                           " needs every coordinate in each pass: it merges whole models (MergeModels)");
  }
  if (inputs == 0) return InvalidArgument("merge needs at least one input model");
  if (weights != inputs) {
    return InvalidArgument("merge has " + std::to_string(inputs) + " inputs but " + std::to_string(weights) +
                           " weights");
  }
  return Status::Ok();
}

// An input blob: its layout, and its file open for reads at offsets.
class InputBlob final : public RangeSource {
 public:
  static StatusOr<InputBlob> Open(const fs::path& path) {
    InputBlob in(path);
    {
      ASSIGN_OR_RETURN(std::unique_ptr<FileSource> source, FileSource::Open(path));
      BlobReader reader(source.get());
      RETURN_IF_ERROR(reader.Open().WithContext("merge input '" + path.string() + "'"));
      in.layout_ = reader.layout();
    }
    in.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in.fd_ < 0)
      return NotFound("cannot open merge input '" + path.string() + "': " + std::strerror(errno));
    return in;
  }
  InputBlob(InputBlob&& o) noexcept : path_(std::move(o.path_)), layout_(std::move(o.layout_)), fd_(o.fd_) {
    o.fd_ = -1;
  }
  InputBlob& operator=(InputBlob&&) = delete;
  ~InputBlob() override {
    if (fd_ >= 0) ::close(fd_);
  }

  const fs::path& path() const { return path_; }
  const ModelSchema& schema() const { return layout_.schema; }

  const BlobLayout& layout() const { return layout_; }

  Status ReadAt(uint64_t offset, std::span<std::byte> dst) override {
    return PreadFully(fd_, "merge input '" + path_.string() + "'", offset, dst);
  }

 private:
  explicit InputBlob(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
  BlobLayout layout_;
  int fd_ = -1;
};

uint64_t BytesOf(const Segment& s) { return s.count * DTypeSize(s.dtype); }

}  // namespace

bool MergesByRange(MergeMethod method) {
  return method == MergeMethod::kMean || method == MergeMethod::kCoordMedian;
}

namespace {

// The inputs, opened, checked against each other's schema.
StatusOr<std::vector<InputBlob>> OpenInputs(std::span<const fs::path> inputs,
                                            std::span<const uint32_t> weights, const MergeOptions& options) {
  RETURN_IF_ERROR(CheckMergeArgs(options.method, inputs.size(), weights.size()));
  std::vector<InputBlob> blobs;
  for (const fs::path& p : inputs) {
    ASSIGN_OR_RETURN(InputBlob b, InputBlob::Open(p));
    if (!blobs.empty()) {
      RETURN_IF_ERROR(CompareSchemas(blobs[0].schema(), b.schema(), "'" + blobs[0].path().string() + "'",
                                     "'" + p.string() + "'"));
    }
    blobs.push_back(std::move(b));
  }
  return blobs;
}

}  // namespace

Status MergeRangeSources(const BlobLayout& layout, std::span<RangeSource* const> inputs,
                         std::span<const uint32_t> weights, const MergeOptions& options, CoordRange range,
                         const std::function<Status(std::span<const std::byte>)>& emit,
                         uint64_t range_coords) {
  RETURN_IF_ERROR(CheckMergeArgs(options.method, inputs.size(), weights.size()));
  const ModelSchema& schema = layout.schema;
  if (range.begin > range.end || range.end > TotalElements(schema)) {
    return InvalidArgument("coordinates [" + std::to_string(range.begin) + ", " + std::to_string(range.end) +
                           ") are not within the model's " + std::to_string(TotalElements(schema)));
  }
  range_coords = std::max<uint64_t>(range_coords, 1);
  std::vector<std::vector<std::byte>> in_bytes(inputs.size());
  std::vector<std::byte> out_bytes;
  for (uint64_t begin = range.begin; begin < range.end; begin += range_coords) {
    ASSIGN_OR_RETURN(const RangePlan plan,
                     PlanRange(schema, {begin, std::min(range.end, begin + range_coords)}));
    // Each segment's place in a range's buffer: the same for every input and the output.
    std::vector<uint64_t> at = {0};
    for (const Segment& s : plan.segments) at.push_back(at.back() + BytesOf(s));
    std::vector<ConstSlice> slices(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      in_bytes[i].resize(at.back());
      for (size_t k = 0; k < plan.segments.size(); ++k) {
        const Segment& s = plan.segments[k];
        const std::span<std::byte> dst = std::span(in_bytes[i]).subspan(at[k], at[k + 1] - at[k]);
        const uint64_t offset =
            layout.payload_offset + layout.tensor_offsets[s.tensor] + s.first * DTypeSize(s.dtype);
        RETURN_IF_ERROR(inputs[i]->ReadAt(offset, dst).WithContext("tensor '" + s.name + "'"));
        slices[i].segments.push_back(dst.data());
      }
    }
    out_bytes.resize(at.back());
    MutableSlice merged;
    for (size_t k = 0; k < plan.segments.size(); ++k) merged.segments.push_back(out_bytes.data() + at[k]);
    RETURN_IF_ERROR(MergeRange(plan, slices, weights, merged, options).status());
    RETURN_IF_ERROR(emit(out_bytes));
  }
  return Status::Ok();
}

StatusOr<Digest> MergeBlobFiles(std::span<const fs::path> inputs, std::span<const uint32_t> weights,
                                const MergeOptions& options, const fs::path& out, uint64_t range_coords) {
  ASSIGN_OR_RETURN(std::vector<InputBlob> blobs, OpenInputs(inputs, weights, options));
  const ModelSchema& schema = blobs[0].schema();
  ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink, FileSink::Create(out));
  BlobWriter writer(sink.get(), schema);
  RETURN_IF_ERROR(writer.Begin());
  std::vector<RangeSource*> sources;
  for (InputBlob& b : blobs) sources.push_back(&b);
  RETURN_IF_ERROR(MergeRangeSources(
      blobs[0].layout(), sources, weights, options, {0, TotalElements(schema)},
      [&](std::span<const std::byte> b) { return writer.Append(b); }, range_coords));
  ASSIGN_OR_RETURN(const Digest digest, writer.Finish());
  RETURN_IF_ERROR(sink->Commit());
  return digest;
}

StatusOr<std::unique_ptr<RangeSource>> OpenRangeSource(const fs::path& path, const ModelSchema& schema) {
  ASSIGN_OR_RETURN(InputBlob b, InputBlob::Open(path));
  RETURN_IF_ERROR(CompareSchemas(schema, b.schema(), "the training's model", "'" + path.string() + "'"));
  return std::unique_ptr<RangeSource>(std::make_unique<InputBlob>(std::move(b)));
}

CoordRange ShardRange(uint64_t total, size_t k, size_t i) {
  // 128-bit products: total · i does not overflow for any model that fits on a disk.
  const auto cut = [&](size_t j) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(total) * j / std::max<size_t>(k, 1));
  };
  return {cut(i), cut(i + 1)};
}

StatusOr<uint64_t> RangeBytes(const ModelSchema& schema, CoordRange range) {
  ASSIGN_OR_RETURN(const RangePlan plan, PlanRange(schema, range));
  uint64_t bytes = 0;
  for (const Segment& s : plan.segments) bytes += BytesOf(s);
  return bytes;
}

StatusOr<std::pair<uint64_t, uint64_t>> BlobSpan(const BlobLayout& layout, CoordRange range) {
  ASSIGN_OR_RETURN(const RangePlan plan, PlanRange(layout.schema, range));
  if (plan.segments.empty())
    return std::pair<uint64_t, uint64_t>{layout.payload_offset, layout.payload_offset};
  const auto at = [&](const Segment& s, uint64_t element) {
    return layout.payload_offset + layout.tensor_offsets[s.tensor] + element * DTypeSize(s.dtype);
  };
  const Segment& first = plan.segments.front();
  const Segment& last = plan.segments.back();
  return std::pair<uint64_t, uint64_t>{at(first, first.first), at(last, last.first + last.count)};
}

namespace {

class FileRange final : public RangeSource {
 public:
  FileRange(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~FileRange() override { ::close(fd_); }
  Status ReadAt(uint64_t offset, std::span<std::byte> dst) override {
    return PreadFully(fd_, "'" + path_.string() + "'", offset, dst);
  }

 private:
  fs::path path_;
  int fd_;
};

}  // namespace

StatusOr<std::unique_ptr<RangeSource>> OpenFileRange(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("cannot open '" + path.string() + "': " + std::strerror(errno));
  return std::unique_ptr<RangeSource>(std::make_unique<FileRange>(path, fd));
}

StatusOr<Digest> AssembleShards(const ModelSchema& schema, std::span<RangeSource* const> shards,
                                std::span<const Digest> digests, const fs::path& out, size_t* bad) {
  if (!digests.empty() && digests.size() != shards.size()) {
    return InvalidArgument(std::to_string(shards.size()) + " shards but " + std::to_string(digests.size()) +
                           " digests");
  }
  const uint64_t total = TotalElements(schema);
  ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink, FileSink::Create(out));
  BlobWriter writer(sink.get(), schema);
  RETURN_IF_ERROR(writer.Begin());
  std::vector<std::byte> buf(size_t{1} << 20);
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string name = "shard " + std::to_string(i) + " of " + std::to_string(shards.size());
    ASSIGN_OR_RETURN(const uint64_t want, RangeBytes(schema, ShardRange(total, shards.size(), i)));
    Sha256 hash;
    for (uint64_t done = 0; done < want;) {
      const auto piece =
          std::span(buf).first(static_cast<size_t>(std::min<uint64_t>(buf.size(), want - done)));
      if (Status s = shards[i]->ReadAt(done, piece); !s.ok()) {
        if (bad) *bad = i;
        return s.WithContext(name);
      }
      if (!digests.empty()) hash.Update(piece);
      RETURN_IF_ERROR(writer.Append(piece));
      done += piece.size();
    }
    if (!digests.empty()) {
      const Digest got = hash.Finish();
      if (!(got == digests[i])) {
        if (bad) *bad = i;
        return DataLoss(name + " has SHA-256 " + got.Hex() + ", not " + digests[i].Hex() + " as recorded");
      }
    }
  }
  ASSIGN_OR_RETURN(const Digest digest, writer.Finish());
  RETURN_IF_ERROR(sink->Commit());
  return digest;
}

}  // namespace swarm
