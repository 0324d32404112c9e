#include "core/merge.h"

#include <algorithm>

#include "core/merge_internal.h"

namespace swarm {

using merge_internal::WorkItem;

std::string_view MergeMethodName(MergeMethod method) {
  switch (method) {
    case MergeMethod::kMean: return "mean";
    case MergeMethod::kCoordMedian: return "coordmedian";
    case MergeMethod::kGeoMedian: return "geomedian";
  }
  return "invalid";
}

std::optional<MergeMethod> ParseMergeMethod(std::string_view name) {
  for (MergeMethod m : {MergeMethod::kMean, MergeMethod::kCoordMedian, MergeMethod::kGeoMedian}) {
    if (name == MergeMethodName(m)) return m;
  }
  return std::nullopt;
}

StatusOr<RangePlan> PlanRange(const ModelSchema& schema, CoordRange range) {
  const uint64_t total = TotalElements(schema);
  if (range.begin > range.end || range.end > total) {
    return OutOfRange("coordinate range [" + std::to_string(range.begin) + ", " + std::to_string(range.end) +
                      ") is not within the model's [0, " + std::to_string(total) + ")");
  }
  RangePlan plan{range, {}};
  uint64_t coord = 0;
  for (size_t t = 0; t < schema.size() && coord < range.end; ++t) {
    const uint64_t n = schema[t].NumElements();
    const uint64_t lo = std::max(coord, range.begin), hi = std::min(coord + n, range.end);
    if (lo < hi)
      plan.segments.push_back(Segment{t, schema[t].name, schema[t].dtype, lo - coord, hi - lo, lo});
    coord += n;
  }
  return plan;
}

namespace {

template <typename Slice, typename M>
Slice SliceOfImpl(M& model, const RangePlan& plan) {
  Slice slice;
  slice.segments.reserve(plan.segments.size());
  for (const Segment& s : plan.segments) {
    auto& tensor = model.tensors()[s.tensor];
    slice.segments.push_back(tensor.data.data() + s.first * DTypeSize(s.dtype));
  }
  return slice;
}

Status ValidateMergeArgs(const RangePlan& plan, std::span<const ConstSlice> inputs,
                         std::span<const uint32_t> weights, const MutableSlice& out, uint32_t max_weight) {
  if (inputs.empty()) return InvalidArgument("merge needs at least one input model");
  if (weights.size() != inputs.size()) {
    return InvalidArgument("merge got " + std::to_string(inputs.size()) + " inputs but " +
                           std::to_string(weights.size()) + " weights; expected one weight per input");
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] < kMinWeight || weights[i] > max_weight) {
      return InvalidArgument("weight of input " + std::to_string(i) + " is " + std::to_string(weights[i]) +
                             "; expected an integer in " + std::to_string(kMinWeight) + ".." +
                             std::to_string(max_weight));
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].segments.size() != plan.segments.size()) {
      return InvalidArgument("input " + std::to_string(i) + " supplies " +
                             std::to_string(inputs[i].segments.size()) + " segments; the plan has " +
                             std::to_string(plan.segments.size()));
    }
  }
  if (out.segments.size() != plan.segments.size()) {
    return InvalidArgument("merge output has " + std::to_string(out.segments.size()) +
                           " segments; the plan has " + std::to_string(plan.segments.size()));
  }
  return Status::Ok();
}

Status Mean(const RangePlan& plan, std::span<const ConstSlice> inputs, std::span<const uint32_t> weights,
            const MutableSlice& out, int threads) {
  const size_t n = inputs.size();
  double total = 0;
  for (uint32_t w : weights) total += w;
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) w[i] = weights[i] / total;
  const std::vector<WorkItem> items = merge_internal::SplitIntoBlocks(plan);
  return merge_internal::ForEachBlock(
      plan, inputs, &out, items, threads, [&](size_t, const WorkItem& item, auto x, auto* y) -> Status {
        if (merge_internal::MeanBlock(x, w.data(), n, item.count, y)) return Status::Ok();
        return merge_internal::LocateNonFinite(plan.segments[item.segment], item.offset, item.count, x, n);
      });
}

Status CoordMedian(const RangePlan& plan, std::span<const ConstSlice> inputs,
                   std::span<const uint32_t> weights, const MutableSlice& out, int threads) {
  const size_t n = inputs.size();
  const std::vector<float> wf(weights.begin(), weights.end());
  const std::vector<double> wd(weights.begin(), weights.end());
  const bool equal = std::all_of(weights.begin(), weights.end(), [&](uint32_t w) { return w == weights[0]; });
  const merge_internal::Network net = merge_internal::SortingNetwork(n);
  const std::vector<WorkItem> items = merge_internal::SplitIntoBlocks(plan);
  return merge_internal::ForEachBlock(
      plan, inputs, &out, items, threads, [&](size_t, const WorkItem& item, auto x, auto* y) -> Status {
        using W = std::remove_pointer_t<decltype(y)>;
        const W* w = nullptr;
        if constexpr (std::is_same_v<W, float>)
          w = wf.data();
        else
          w = wd.data();
        if (merge_internal::CoordMedianBlock(x, w, n, item.count, y, net, equal)) return Status::Ok();
        return merge_internal::LocateNonFinite(plan.segments[item.segment], item.offset, item.count, x, n);
      });
}

}  // namespace

ConstSlice SliceOf(const Model& model, const RangePlan& plan) { return SliceOfImpl<ConstSlice>(model, plan); }
MutableSlice SliceOf(Model& model, const RangePlan& plan) { return SliceOfImpl<MutableSlice>(model, plan); }

namespace merge_internal {

std::vector<WorkItem> SplitIntoBlocks(const RangePlan& plan) {
  std::vector<WorkItem> items;
  for (size_t s = 0; s < plan.segments.size(); ++s) {
    for (uint64_t off = 0; off < plan.segments[s].count; off += kBlock) {
      items.push_back(WorkItem{s, off, std::min(kBlock, plan.segments[s].count - off)});
    }
  }
  return items;
}

}  // namespace merge_internal

StatusOr<MergeReport> MergeRange(const RangePlan& plan, std::span<const ConstSlice> inputs,
                                 std::span<const uint32_t> weights, const MutableSlice& out,
                                 const MergeOptions& options) {
  RETURN_IF_ERROR(ValidateMergeArgs(plan, inputs, weights, out, options.max_weight));
  const int threads = ResolveThreads(options.threads);
  switch (options.method) {
    case MergeMethod::kMean: RETURN_IF_ERROR(Mean(plan, inputs, weights, out, threads)); return MergeReport{};
    case MergeMethod::kCoordMedian:
      RETURN_IF_ERROR(CoordMedian(plan, inputs, weights, out, threads));
      return MergeReport{};
    case MergeMethod::kGeoMedian: return merge_internal::GeoMedian(plan, inputs, weights, out, options);
  }
  return InvalidArgument("unknown merge method");
}

StatusOr<Model> MergeModels(std::span<const Model* const> inputs, std::span<const uint32_t> weights,
                            const MergeOptions& options, MergeReport* report) {
  if (inputs.empty()) return InvalidArgument("merge needs at least one input model");
  const ModelSchema schema = inputs[0]->schema();
  RETURN_IF_ERROR(ValidateSchema(schema));
  for (size_t i = 1; i < inputs.size(); ++i) {
    RETURN_IF_ERROR(CompareSchemas(schema, inputs[i]->schema(), "input 0", "input " + std::to_string(i)));
  }
  ASSIGN_OR_RETURN(RangePlan plan, PlanRange(schema, CoordRange{0, TotalElements(schema)}));
  std::vector<ConstSlice> slices;
  for (const Model* m : inputs) slices.push_back(SliceOf(*m, plan));
  Model merged(schema);
  ASSIGN_OR_RETURN(MergeReport r, MergeRange(plan, slices, weights, SliceOf(merged, plan), options));
  if (report != nullptr) *report = r;
  return merged;
}

}  // namespace swarm
