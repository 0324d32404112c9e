#pragma once

// Internals shared by the merge methods: blocks of work and the per-type kernels.
// Not part of the public API.

#include <cmath>
#include <cstring>
#include <vector>

#include "core/dtype.h"
#include "core/merge.h"
#include "core/parallel.h"

namespace swarm::merge_internal {

// Elements per block: a block of every input plus the accumulators stays in L2.
inline constexpr uint64_t kBlock = 2048;

struct WorkItem {
  size_t segment = 0;
  uint64_t offset = 0;  // elements into the segment
  uint64_t count = 0;
};

std::vector<WorkItem> SplitIntoBlocks(const RangePlan& plan);

// Names the first non-finite input value (lowest coordinate, then lowest input) of a block.
template <typename W>
Status LocateNonFinite(const Segment& seg, uint64_t offset, uint64_t count, const W* const* x, size_t n) {
  for (uint64_t j = 0; j < count; ++j) {
    for (size_t i = 0; i < n; ++i) {
      if (std::isfinite(x[i][j])) continue;
      const uint64_t element = seg.first + offset + j;
      return InvalidArgument("input " + std::to_string(i) + ": tensor '" + seg.name + "' element " +
                             std::to_string(element) + " (flattened coordinate " +
                             std::to_string(seg.coord + offset + j) + ") is " +
                             (std::isnan(x[i][j]) ? "NaN" : "infinite") + "; merge inputs must be finite");
    }
  }
  return Internal("non-finite merge result in tensor '" + seg.name + "' but every input is finite");
}

// Calls op(item_index, item, x, out) for every block, in parallel, where x points at
// the block of every input and out at the block of the output, both in the working
// type W: float for f32/f16/bf16 (16-bit inputs are widened for the call and the
// output narrowed after it), double for f64. With `out` null, op gets out == nullptr.
template <typename Op>
Status ForEachBlock(const RangePlan& plan, std::span<const ConstSlice> inputs, const MutableSlice* out,
                    const std::vector<WorkItem>& items, int threads, Op&& op) {
  const size_t n = inputs.size();
  return ParallelFor(threads, items.size(), [&](size_t begin, size_t end) -> Status {
    std::vector<const float*> xf(n);
    std::vector<const double*> xd(n);
    std::vector<float> wide;  // widened 16-bit inputs, then the output block
    for (size_t k = begin; k < end; ++k) {
      const WorkItem& item = items[k];
      const Segment& seg = plan.segments[item.segment];
      const size_t esize = DTypeSize(seg.dtype);
      std::byte* dst = out ? out->segments[item.segment] + item.offset * esize : nullptr;
      auto src = [&](size_t i) { return inputs[i].segments[item.segment] + item.offset * esize; };
      if (seg.dtype == DType::kF64) {
        for (size_t i = 0; i < n; ++i) xd[i] = reinterpret_cast<const double*>(src(i));
        RETURN_IF_ERROR(op(k, item, xd.data(), reinterpret_cast<double*>(dst)));
      } else if (seg.dtype == DType::kF32) {
        for (size_t i = 0; i < n; ++i) xf[i] = reinterpret_cast<const float*>(src(i));
        RETURN_IF_ERROR(op(k, item, xf.data(), reinterpret_cast<float*>(dst)));
      } else {
        wide.resize((n + 1) * kBlock);
        for (size_t i = 0; i < n; ++i) {
          ConvertToF32(seg.dtype, src(i), item.count, &wide[i * kBlock]);
          xf[i] = &wide[i * kBlock];
        }
        float* block_out = dst ? &wide[n * kBlock] : nullptr;
        RETURN_IF_ERROR(op(k, item, xf.data(), block_out));
        if (dst) ConvertFromF32(seg.dtype, block_out, item.count, dst);
      }
    }
    return Status::Ok();
  });
}

// --- kernels (one block, `count` <= kBlock elements, n inputs) ---

// out[j] = sum_i w[i] * x[i][j] accumulated in f64, with w summing to 1.
// Returns false if any result is not finite.
bool MeanBlock(const float* const* x, const double* w, size_t n, size_t count, float* out);
bool MeanBlock(const double* const* x, const double* w, size_t n, size_t count, double* out);

// Comparators (a < b) of a sorting network for n values.
using Network = std::vector<std::pair<uint16_t, uint16_t>>;
Network SortingNetwork(size_t n);
// Inputs up to this count use the vectorized sorting network; more fall back to sorting.
inline constexpr size_t kMaxNetworkInputs = 64;

// Weighted median per coordinate (docs/merge.md). w are the integer weights as W.
// Returns false if any input is not finite.
bool CoordMedianBlock(const float* const* x, const float* w, size_t n, size_t count, float* out,
                      const Network& net, bool equal_weights);
bool CoordMedianBlock(const double* const* x, const double* w, size_t n, size_t count, double* out,
                      const Network& net, bool equal_weights);

// One Weiszfeld pass over a block: y_next = sum_i c[i] x[i] (c sums to 1); adds to
// sums[i] the squared distance of x[i] to y_next, and to sums[n], sums[n+1] the
// squared change ||y_next - y_cur|| (if y_cur is given) and ||y_next||^2.
// Returns false if y_next is not finite.
bool GeoPassBlock(const float* const* x, const double* c, size_t n, size_t count, const float* y_cur,
                  float* y_next, double* acc, double* sums);
bool GeoPassBlock(const double* const* x, const double* c, size_t n, size_t count, const double* y_cur,
                  double* y_next, double* acc, double* sums);
// Adds the squared distances of x[i] to y into sums[i] (no update).
void GeoDistanceBlock(const float* const* x, size_t n, size_t count, const float* y, double* sums);
void GeoDistanceBlock(const double* const* x, size_t n, size_t count, const double* y, double* sums);

// Adds to sums[p] the squared distance between x[j] and x[l] for every pair j < l,
// numbered p = 0, 1, ... in the order (0,1), (0,2), ..., (1,2), ...
void GeoPairBlock(const float* const* x, size_t n, size_t count, double* sums);
void GeoPairBlock(const double* const* x, size_t n, size_t count, double* sums);

StatusOr<MergeReport> GeoMedian(const RangePlan& plan, std::span<const ConstSlice> inputs,
                                std::span<const uint32_t> weights, const MutableSlice& out,
                                const MergeOptions& options);

}  // namespace swarm::merge_internal
