// Weighted geometric median by Weiszfeld's algorithm (docs/merge.md).
//
// Each pass over the inputs both computes the next estimate and the distances of
// every input to it, so one iteration reads every input once. The estimate lives in
// its own buffers (f64 for f64 tensors, f32 otherwise) and goes to the output, in the
// output's dtype, at the end. Distances are summed per block and the blocks added in
// order, so the result does not depend on the thread count.
//
// Weiszfeld crawls when the median is one of the inputs (as when one weight
// outweighs the rest), so the first pass also measures all pairwise distances, from
// which the optimality condition of every input point is checked exactly; an input
// that satisfies it is the answer and no iteration runs.

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "core/aligned_buffer.h"
#include "core/merge_internal.h"

namespace swarm::merge_internal {
namespace {

// The estimate over the plan's range: per segment, count values of the working type.
class Estimate {
 public:
  explicit Estimate(const RangePlan& plan) {
    uint64_t bytes = 0;
    for (const Segment& s : plan.segments) {
      offsets_.push_back(bytes);
      bytes += s.count * (s.dtype == DType::kF64 ? 8 : 4);
    }
    buffer_ = AlignedBuffer(bytes);
  }
  template <typename W>
  W* At(const WorkItem& item) {
    return reinterpret_cast<W*>(buffer_.data() + offsets_[item.segment]) + item.offset;
  }

 private:
  std::vector<uint64_t> offsets_;
  AlignedBuffer buffer_;
};

class Weiszfeld {
 public:
  Weiszfeld(const RangePlan& plan, std::span<const ConstSlice> inputs, std::span<const uint32_t> weights,
            const MergeOptions& options)
      : plan_(plan),
        inputs_(inputs),
        weights_(weights.begin(), weights.end()),
        options_(options),
        n_(inputs.size()),
        threads_(ResolveThreads(options.threads)),
        items_(SplitIntoBlocks(plan)),
        stride_(n_ + 2 + n_ * (n_ - 1) / 2),
        block_sums_(items_.size() * stride_),
        cur_(plan),
        next_(plan) {}

  StatusOr<MergeReport> Run(const MutableSlice& out);

 private:
  // y_next = sum c_i x_i; sums_ = distances^2 to y_next, change^2, norm^2 (all shards),
  // and with `pairs` the squared distances between inputs.
  Status UpdatePass(const std::vector<double>& c, bool with_change, bool pairs = false);
  // y_next = (1 - beta) y_next + beta y_cur, then recompute the distances.
  Status BlendPass(double beta, double change2);
  // Sums the first `width` values of every block into sums_, then over shards.
  Status Reduce(size_t width);
  // The input that is a geometric median by the optimality condition, if any.
  std::optional<size_t> OptimalInput() const;
  void CopyInput(size_t k, const MutableSlice& out) const;
  Status WriteOutput(Estimate& y, const MutableSlice& out);

  const RangePlan& plan_;
  std::span<const ConstSlice> inputs_;
  std::vector<double> weights_;
  const MergeOptions& options_;
  const size_t n_;
  const int threads_;
  const std::vector<WorkItem> items_;
  const size_t stride_;             // per block: n_ distances, change, norm, pairs
  std::vector<double> block_sums_;  // stride_ per block
  std::vector<double> sums_;        // reduced over blocks and shards
  Estimate cur_, next_;
};

Status Weiszfeld::Reduce(size_t width) {
  sums_.assign(width, 0.0);
  for (size_t k = 0; k < items_.size(); ++k) {
    for (size_t i = 0; i < width; ++i) sums_[i] += block_sums_[k * stride_ + i];
  }
  if (options_.all_reduce) RETURN_IF_ERROR(options_.all_reduce(sums_));
  return Status::Ok();
}

Status Weiszfeld::UpdatePass(const std::vector<double>& c, bool with_change, bool pairs) {
  std::fill(block_sums_.begin(), block_sums_.end(), 0.0);
  RETURN_IF_ERROR(ForEachBlock(
      plan_, inputs_, nullptr, items_, threads_, [&](size_t k, const WorkItem& item, auto x, auto) -> Status {
        using W = std::remove_cv_t<std::remove_pointer_t<std::remove_pointer_t<decltype(x)>>>;
        thread_local std::vector<double> acc(kBlock);
        const W* y_cur = with_change ? cur_.At<W>(item) : nullptr;
        double* sums = &block_sums_[k * stride_];
        if (!GeoPassBlock(x, c.data(), n_, item.count, y_cur, next_.At<W>(item), acc.data(), sums)) {
          return LocateNonFinite(plan_.segments[item.segment], item.offset, item.count, x, n_);
        }
        if (pairs) GeoPairBlock(x, n_, item.count, sums + n_ + 2);
        return Status::Ok();
      }));
  return Reduce(pairs ? stride_ : n_ + 2);
}

Status Weiszfeld::BlendPass(double beta, double change2) {
  std::fill(block_sums_.begin(), block_sums_.end(), 0.0);
  RETURN_IF_ERROR(ForEachBlock(
      plan_, inputs_, nullptr, items_, threads_, [&](size_t k, const WorkItem& item, auto x, auto) -> Status {
        using W = std::remove_cv_t<std::remove_pointer_t<std::remove_pointer_t<decltype(x)>>>;
        W* y = next_.At<W>(item);
        const W* prev = cur_.At<W>(item);
        double* sums = &block_sums_[k * stride_];
        for (size_t j = 0; j < item.count; ++j) {
          y[j] = static_cast<W>((1 - beta) * y[j] + beta * prev[j]);
          sums[n_ + 1] += static_cast<double>(y[j]) * y[j];
        }
        GeoDistanceBlock(x, n_, item.count, y, sums);
        return Status::Ok();
      }));
  RETURN_IF_ERROR(Reduce(n_ + 2));
  sums_[n_] = (1 - beta) * (1 - beta) * change2;  // ||y' - y|| shrinks with the blend
  return Status::Ok();
}

Status Weiszfeld::WriteOutput(Estimate& y, const MutableSlice& out) {
  return ParallelFor(threads_, items_.size(), [&](size_t begin, size_t end) -> Status {
    for (size_t k = begin; k < end; ++k) {
      const WorkItem& item = items_[k];
      const Segment& seg = plan_.segments[item.segment];
      std::byte* dst = out.segments[item.segment] + item.offset * DTypeSize(seg.dtype);
      if (seg.dtype == DType::kF64) {
        std::memcpy(dst, y.At<double>(item), item.count * 8);
      } else {
        ConvertFromF32(seg.dtype, y.At<float>(item), item.count, dst);
      }
    }
    return Status::Ok();
  });
}

// Input k (with all inputs at the same point, of total weight eta) is a geometric
// median iff the pull of the others, R = sum_j w_j (x_j - x_k) / |x_j - x_k|, has
// |R| <= eta. |R|^2 follows from pairwise distances alone, through
// (x_j - x_k).(x_l - x_k) = (D_jk + D_lk - D_jl) / 2 with D the squared distances.
// The margin covers the rounding of the f32 pairwise sums, and leaves exact ties (two
// equal weights) to the iteration, which returns the midpoint, not an arbitrary end.
std::optional<size_t> Weiszfeld::OptimalInput() const {
  std::vector<size_t> index(n_ * n_, 0);
  for (size_t j = 0, p = 0; j < n_; ++j) {
    for (size_t l = j + 1; l < n_; ++l, ++p) index[j * n_ + l] = index[l * n_ + j] = n_ + 2 + p;
  }
  auto d2 = [&](size_t j, size_t l) { return j == l ? 0.0 : sums_[index[j * n_ + l]]; };
  std::vector<size_t> others;
  std::vector<double> a(n_);
  for (size_t k = 0; k < n_; ++k) {
    double eta = weights_[k];
    others.clear();
    for (size_t j = 0; j < n_; ++j) {
      if (j == k) continue;
      if (d2(j, k) == 0) {
        eta += weights_[j];
      } else {
        others.push_back(j);
        a[j] = weights_[j] / std::sqrt(d2(j, k));
      }
    }
    double r2 = 0;
    for (size_t j : others) {
      for (size_t l : others) r2 += a[j] * a[l] * (d2(j, k) + d2(l, k) - d2(j, l)) / 2;
    }
    if (std::sqrt(std::max(r2, 0.0)) <= eta * (1 - 1e-6)) return k;
  }
  return std::nullopt;
}

void Weiszfeld::CopyInput(size_t k, const MutableSlice& out) const {
  for (size_t s = 0; s < plan_.segments.size(); ++s) {
    const Segment& seg = plan_.segments[s];
    std::memcpy(out.segments[s], inputs_[k].segments[s], seg.count * DTypeSize(seg.dtype));
  }
}

StatusOr<MergeReport> Weiszfeld::Run(const MutableSlice& out) {
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  MergeReport report;
  // Pass 0: the weighted mean, the starting point.
  std::vector<double> c(n_);
  for (size_t i = 0; i < n_; ++i) c[i] = weights_[i] / total;
  RETURN_IF_ERROR(UpdatePass(c, /*with_change=*/false, /*pairs=*/true));
  if (const std::optional<size_t> k = OptimalInput()) {
    CopyInput(*k, out);
    return report;
  }
  while (true) {
    if (report.iterations > 0) {
      const double norm = std::sqrt(sums_[n_ + 1]);
      const double change = std::sqrt(sums_[n_]);
      report.relative_change = norm > 0 ? change / norm : change;
      if (report.relative_change <= options_.geomedian_tolerance) break;
    }
    if (report.iterations >= options_.geomedian_max_iterations) {
      report.converged = false;
      break;
    }
    std::swap(cur_, next_);
    // Weiszfeld weights c_i = w_i / d_i. An input that coincides with the estimate
    // (d_i = 0) is left out and handled by the Vardi-Zhang step below.
    double eta = 0, csum = 0;
    for (size_t i = 0; i < n_; ++i) {
      const double d = std::sqrt(sums_[i]);
      c[i] = d > 0 ? weights_[i] / d : 0.0;
      if (d == 0) eta += weights_[i];
      csum += c[i];
    }
    if (csum == 0) {  // every input sits at the estimate
      std::swap(cur_, next_);
      report.relative_change = 0;
      break;
    }
    for (double& ci : c) ci /= csum;
    RETURN_IF_ERROR(UpdatePass(c, /*with_change=*/true));
    ++report.iterations;
    if (eta > 0) {
      // Vardi-Zhang: the estimate is a data point of weight eta. r is the norm of the
      // pull of all other inputs; if it does not exceed eta the point is optimal.
      const double change2 = sums_[n_];
      const double r = csum * std::sqrt(change2);
      if (r <= eta) {
        std::swap(cur_, next_);
        report.relative_change = 0;
        break;
      }
      RETURN_IF_ERROR(BlendPass(eta / r, change2));
    }
  }
  RETURN_IF_ERROR(WriteOutput(next_, out));
  return report;
}

}  // namespace

StatusOr<MergeReport> GeoMedian(const RangePlan& plan, std::span<const ConstSlice> inputs,
                                std::span<const uint32_t> weights, const MutableSlice& out,
                                const MergeOptions& options) {
  if (options.geomedian_max_iterations < 0 || !(options.geomedian_tolerance >= 0)) {
    return InvalidArgument("geomedian needs max_iterations >= 0 and tolerance >= 0");
  }
  Weiszfeld w(plan, inputs, weights, options);
  return w.Run(out);
}

}  // namespace swarm::merge_internal
