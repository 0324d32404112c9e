#pragma once

// Weighted merges of N >= 1 models of one schema: `mean`, `coordmedian`,
// `geomedian` (docs/merge.md defines each one exactly).
//
// The merge works on a coordinate range of the flattened parameter vector (all
// tensors in schema order, each in row-major order), so a sharded merge can give each
// node one slice: a RangePlan cuts the range into per-tensor segments, and each input
// supplies only the bytes of those segments. MergeModels() is the whole-model case.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace swarm {

enum class MergeMethod { kMean, kCoordMedian, kGeoMedian };

// "mean", "coordmedian", "geomedian" (the names of HPE's `mergeMethod`).
std::string_view MergeMethodName(MergeMethod method);
std::optional<MergeMethod> ParseMergeMethod(std::string_view name);

// Node weights are HPE's `nodeWeightage`: integers in [kMinWeight, kMaxWeight].
inline constexpr uint32_t kMinWeight = 1;
inline constexpr uint32_t kMaxWeight = 100;

struct MergeOptions {
  MergeMethod method = MergeMethod::kMean;
  int threads = 0;  // 0: all hardware threads
  // The largest weight accepted. A sync round raises it when it scales every weight to
  // weigh late contributions down (ledger/round_rules.h MergeWeight).
  uint32_t max_weight = kMaxWeight;
  // Weiszfeld stops when ||y' - y|| / ||y'|| <= tolerance or after max_iterations.
  double geomedian_tolerance = 1e-6;
  int geomedian_max_iterations = 100;
  // For a geometric median sharded over several nodes: after every pass over the
  // inputs it is called with this shard's partial sums (distances, norms; the length
  // differs between passes but is the same on every shard for the same pass) and
  // must replace them with the element-wise sum over all shards. Unset: one shard.
  std::function<Status(std::span<double>)> all_reduce;
};

struct MergeReport {
  int iterations = 0;          // Weiszfeld updates (geomedian); 0 otherwise
  bool converged = true;       // false if geomedian stopped at max_iterations
  double relative_change = 0;  // of the last Weiszfeld update
};

struct CoordRange {
  uint64_t begin = 0;
  uint64_t end = 0;  // exclusive
};

// The part of one tensor that lies in a range.
struct Segment {
  size_t tensor = 0;
  std::string name;
  DType dtype = DType::kF32;
  uint64_t first = 0;  // first element, inside the tensor
  uint64_t count = 0;  // elements
  uint64_t coord = 0;  // flattened coordinate of `first`
};

struct RangePlan {
  CoordRange range;
  std::vector<Segment> segments;
};

// Cuts `range` (within [0, TotalElements(schema)]) into segments.
StatusOr<RangePlan> PlanRange(const ModelSchema& schema, CoordRange range);

// One node's parameters over a plan: a pointer to the bytes of each segment.
struct ConstSlice {
  std::vector<const std::byte*> segments;
};
struct MutableSlice {
  std::vector<std::byte*> segments;
};
ConstSlice SliceOf(const Model& model, const RangePlan& plan);
MutableSlice SliceOf(Model& model, const RangePlan& plan);

// Merges inputs[i] (weight weights[i]) into `out` over the plan's range. Fails, writing
// nothing that should be used, on weights outside 1..100 or a non-finite input (the
// error names input, tensor and element).
StatusOr<MergeReport> MergeRange(const RangePlan& plan, std::span<const ConstSlice> inputs,
                                 std::span<const uint32_t> weights, const MutableSlice& out,
                                 const MergeOptions& options);

// Merges whole models; a schema mismatch names the first differing tensor.
StatusOr<Model> MergeModels(std::span<const Model* const> inputs, std::span<const uint32_t> weights,
                            const MergeOptions& options, MergeReport* report = nullptr);

}  // namespace swarm
