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

// An input blob: its layout, and its file open for reads at offsets.
class InputBlob {
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
  ~InputBlob() {
    if (fd_ >= 0) ::close(fd_);
  }

  const fs::path& path() const { return path_; }
  const ModelSchema& schema() const { return layout_.schema; }

  // Reads the bytes of `s` (a segment of the plan) into `dst`.
  Status Read(const Segment& s, std::span<std::byte> dst) const {
    uint64_t offset =
        layout_.payload_offset + layout_.tensor_offsets[s.tensor] + s.first * DTypeSize(s.dtype);
    for (size_t done = 0; done < dst.size();) {
      const ssize_t n = ::pread(fd_, dst.data() + done, dst.size() - done, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return DataLoss("merge input '" + path_.string() + "' ends or fails at offset " +
                        std::to_string(offset) + " (tensor '" + s.name +
                        "'): " + (n < 0 ? std::strerror(errno) : "end of file"));
      }
      done += static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
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

StatusOr<Digest> MergeBlobFiles(std::span<const fs::path> inputs, std::span<const uint32_t> weights,
                                const MergeOptions& options, const fs::path& out, uint64_t range_coords) {
  if (!MergesByRange(options.method)) {
    return InvalidArgument(std::string(MergeMethodName(options.method)) +
                           " needs every coordinate in each pass: it merges whole models (MergeModels)");
  }
  if (inputs.empty()) return InvalidArgument("merge needs at least one input model");
  if (weights.size() != inputs.size()) {
    return InvalidArgument("merge has " + std::to_string(inputs.size()) + " inputs but " +
                           std::to_string(weights.size()) + " weights");
  }
  std::vector<InputBlob> blobs;
  for (const fs::path& p : inputs) {
    ASSIGN_OR_RETURN(InputBlob b, InputBlob::Open(p));
    if (!blobs.empty()) {
      RETURN_IF_ERROR(CompareSchemas(blobs[0].schema(), b.schema(), "'" + blobs[0].path().string() + "'",
                                     "'" + p.string() + "'"));
    }
    blobs.push_back(std::move(b));
  }
  const ModelSchema& schema = blobs[0].schema();
  ASSIGN_OR_RETURN(std::unique_ptr<FileSink> sink, FileSink::Create(out));
  BlobWriter writer(sink.get(), schema);
  RETURN_IF_ERROR(writer.Begin());
  const uint64_t total = TotalElements(schema);
  range_coords = std::max<uint64_t>(range_coords, 1);
  std::vector<std::vector<std::byte>> in_bytes(blobs.size());
  std::vector<std::byte> out_bytes;
  for (uint64_t begin = 0; begin < total; begin += range_coords) {
    ASSIGN_OR_RETURN(const RangePlan plan, PlanRange(schema, {begin, std::min(total, begin + range_coords)}));
    // Each segment's place in a range's buffer: the same for every input and the output.
    std::vector<uint64_t> at = {0};
    for (const Segment& s : plan.segments) at.push_back(at.back() + BytesOf(s));
    std::vector<ConstSlice> slices(blobs.size());
    for (size_t i = 0; i < blobs.size(); ++i) {
      in_bytes[i].resize(at.back());
      for (size_t k = 0; k < plan.segments.size(); ++k) {
        const std::span<std::byte> dst = std::span(in_bytes[i]).subspan(at[k], at[k + 1] - at[k]);
        RETURN_IF_ERROR(blobs[i].Read(plan.segments[k], dst));
        slices[i].segments.push_back(dst.data());
      }
    }
    out_bytes.resize(at.back());
    MutableSlice merged;
    for (size_t k = 0; k < plan.segments.size(); ++k) merged.segments.push_back(out_bytes.data() + at[k]);
    RETURN_IF_ERROR(MergeRange(plan, slices, weights, merged, options).status());
    RETURN_IF_ERROR(writer.Append(out_bytes));
  }
  ASSIGN_OR_RETURN(const Digest digest, writer.Finish());
  RETURN_IF_ERROR(sink->Commit());
  return digest;
}

}  // namespace swarm
