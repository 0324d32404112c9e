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
#include <span>

#include "core/merge.h"
#include "core/sha256.h"

namespace swarm {

bool MergesByRange(MergeMethod method);

// Writes the merge of `inputs` (weights[i] for inputs[i]) to `out` atomically and returns
// its digest; `range_coords` coordinates of each input at a time (1 MiB of f32).
StatusOr<Digest> MergeBlobFiles(std::span<const std::filesystem::path> inputs,
                                std::span<const uint32_t> weights, const MergeOptions& options,
                                const std::filesystem::path& out, uint64_t range_coords = uint64_t{1} << 18);

}  // namespace swarm
