#pragma once

// Merges model blob files range by range: each input's coordinates [a, b) are read from its
// file, merged, and appended to the output blob, so that memory holds one range of every
// input rather than N whole models (a leader of 8 SLs with 100 MB models held 900 MB).
//
// Only the coordinate-wise methods (`mean`, `coordmedian`) can be merged so: each output
// coordinate depends on that coordinate of the inputs alone, so the result is the same bit
// for bit as MergeModels' on the whole models. `geomedian` needs every coordinate in each
// of its passes and is refused here (InvalidArgument): merge it with MergeModels.
//
// The inputs are read as they are on disk (their SHA-256 was checked when they were
// fetched or handed in); a header or table that does not parse, or a schema that differs
// between inputs, is an error naming the file.

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <utility>

#include "core/blob_format.h"
#include "core/merge.h"
#include "core/sha256.h"

namespace swarm {

bool MergesByRange(MergeMethod method);

// Writes the merge of `inputs` (weights[i] for inputs[i]) to `out` atomically and returns
// its digest; `range_coords` coordinates of each input at a time (1 MiB of f32).
StatusOr<Digest> MergeBlobFiles(std::span<const std::filesystem::path> inputs,
                                std::span<const uint32_t> weights, const MergeOptions& options,
                                const std::filesystem::path& out, uint64_t range_coords = uint64_t{1} << 18);

// Where a range merge reads an input's bytes: by file offset of the input's blob, the
// offsets growing from call to call (a blob file, or a range of one streaming in).
class RangeSource {
 public:
  virtual ~RangeSource() = default;
  virtual Status ReadAt(uint64_t offset, std::span<std::byte> dst) = 0;
};

// Merges only coordinates `range` of sources laid out as `layout` says (their schema checked
// before) and hands the merged bytes, in coordinate order and `range_coords` coordinates at a
// time, to `emit`. A source need hold only that range's bytes (BlobSpan): nothing else is read.
Status MergeRangeSources(const BlobLayout& layout, std::span<RangeSource* const> inputs,
                         std::span<const uint32_t> weights, const MergeOptions& options, CoordRange range,
                         const std::function<Status(std::span<const std::byte>)>& emit,
                         uint64_t range_coords = uint64_t{1} << 18);

// Opens the blob file at `path` as a RangeSource; its header and table must parse and its
// schema be `schema`.
StatusOr<std::unique_ptr<RangeSource>> OpenRangeSource(const std::filesystem::path& path,
                                                       const ModelSchema& schema);

// --- Sharded merge (docs/rounds.md): shard i of k merges coordinates ShardRange(total, k, i)
// of every contribution; the merged shards, concatenated in order, are the merged payload.

// Shard `i` of `k` of `total` coordinates: [i·total/k, (i+1)·total/k).
CoordRange ShardRange(uint64_t total, size_t k, size_t i);
// The bytes a coordinate range's merge emits (the segments' bytes, without padding).
StatusOr<uint64_t> RangeBytes(const ModelSchema& schema, CoordRange range);
// The file offsets [first, second) of a blob of `layout` that hold `range`'s bytes (with
// the padding between the tensors it spans): what a shard merger fetches of a contribution.
StatusOr<std::pair<uint64_t, uint64_t>> BlobSpan(const BlobLayout& layout, CoordRange range);
// A RangeSource over any file, such as a merged shard: its bytes at their offsets.
StatusOr<std::unique_ptr<RangeSource>> OpenFileRange(const std::filesystem::path& path);

// Writes the blob whose payload is the concatenation of the shards, each read from its
// source at offsets 0 to its range's bytes, to `out` atomically and returns its digest: the
// same bytes as the merge of the whole model. With `digests`, shard i's bytes must have
// SHA-256 digests[i]. An error names the shard (and puts its index in `*bad`, if given), and
// nothing is written.
StatusOr<Digest> AssembleShards(const ModelSchema& schema, std::span<RangeSource* const> shards,
                                std::span<const Digest> digests, const std::filesystem::path& out,
                                size_t* bad = nullptr);

}  // namespace swarm
