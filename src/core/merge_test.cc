#include "core/merge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <thread>

#include "core/merge_internal.h"
#include "core/test_util.h"

namespace swarm {
namespace {

using testing::ElementAsDouble;
using ::testing::HasSubstr;
using testing::MixedSchema;
using testing::RandomModel;
using testing::SetElement;

// --- brute-force references, in f64, one coordinate at a time ---

using Flat = std::vector<double>;

Flat Flatten(const Model& m) {
  Flat v;
  for (const Tensor& t : m.tensors()) {
    for (uint64_t i = 0; i < t.spec.NumElements(); ++i) v.push_back(ElementAsDouble(t, i));
  }
  return v;
}

Flat RefMean(const std::vector<Flat>& x, const std::vector<uint32_t>& w) {
  double total = 0;
  for (uint32_t wi : w) total += wi;
  Flat out(x[0].size());
  for (size_t j = 0; j < out.size(); ++j) {
    long double s = 0;
    for (size_t i = 0; i < x.size(); ++i) s += static_cast<long double>(w[i]) * x[i][j];
    out[j] = static_cast<double>(s / total);
  }
  return out;
}

// The definition in docs/merge.md, written the obvious way.
double WeightedMedian(std::vector<std::pair<double, double>> p) {
  std::sort(p.begin(), p.end());
  double total = 0, cum = 0;
  for (auto& [v, w] : p) total += w;
  for (size_t k = 0; k < p.size(); ++k) {
    cum += p[k].second;
    if (2 * cum > total) return p[k].first;
    if (2 * cum == total) return (p[k].first + p[k + 1].first) / 2;
  }
  return p.back().first;
}

Flat RefCoordMedian(const std::vector<Flat>& x, const std::vector<uint32_t>& w) {
  Flat out(x[0].size());
  for (size_t j = 0; j < out.size(); ++j) {
    std::vector<std::pair<double, double>> p;
    for (size_t i = 0; i < x.size(); ++i) p.push_back({x[i][j], static_cast<double>(w[i])});
    out[j] = WeightedMedian(p);
  }
  return out;
}

double Distance(const Flat& a, const Flat& b) {
  double s = 0;
  for (size_t j = 0; j < a.size(); ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return std::sqrt(s);
}

double GeoObjective(const std::vector<Flat>& x, const std::vector<uint32_t>& w, const Flat& y) {
  double f = 0;
  for (size_t i = 0; i < x.size(); ++i) f += w[i] * Distance(x[i], y);
  return f;
}

// Plain Weiszfeld in f64 from the weighted mean, run far past the production tolerance.
Flat RefGeoMedian(const std::vector<Flat>& x, const std::vector<uint32_t>& w) {
  Flat y = RefMean(x, w);
  for (int it = 0; it < 2000; ++it) {
    Flat next(y.size(), 0.0);
    double csum = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double d = Distance(x[i], y);
      if (d == 0) return y;
      const double c = w[i] / d;
      csum += c;
      for (size_t j = 0; j < y.size(); ++j) next[j] += c * x[i][j];
    }
    for (double& v : next) v /= csum;
    const double change = Distance(next, y);
    y = std::move(next);
    if (change <= 1e-13 * std::sqrt(std::inner_product(y.begin(), y.end(), y.begin(), 0.0))) break;
  }
  return y;
}

// Tolerance of a merged value: f32 matches the f64 reference within 1e-6 relative;
// 16-bit results are within one rounding of their format.
double Tolerance(DType d, double ref) {
  const double rel = d == DType::kF64 ? 1e-12 : d == DType::kF32 ? 1e-6 : d == DType::kF16 ? 1e-3 : 8e-3;
  return rel * std::max(std::fabs(ref), 1e-3);
}

void ExpectMatches(const Model& got, const Flat& ref) {
  size_t j = 0;
  for (const Tensor& t : got.tensors()) {
    for (uint64_t i = 0; i < t.spec.NumElements(); ++i, ++j) {
      ASSERT_NEAR(ElementAsDouble(t, i), ref[j], Tolerance(t.spec.dtype, ref[j]))
          << t.spec.name << "[" << i << "] " << DTypeName(t.spec.dtype);
    }
  }
  EXPECT_EQ(j, ref.size());
}

struct Inputs {
  std::vector<Model> models;
  std::vector<uint32_t> weights;
  std::vector<const Model*> ptrs() const {
    std::vector<const Model*> p;
    for (const Model& m : models) p.push_back(&m);
    return p;
  }
  std::vector<Flat> flat() const {
    std::vector<Flat> f;
    for (const Model& m : models) f.push_back(Flatten(m));
    return f;
  }
};

Inputs MakeInputs(const ModelSchema& schema, size_t n, bool equal_weights, uint64_t seed) {
  Inputs in;
  std::mt19937 rng(static_cast<uint32_t>(seed));
  for (size_t i = 0; i < n; ++i) {
    in.models.push_back(RandomModel(schema, seed * 1000 + i, 1.0 + i % 3, 0.1 * i));
    in.weights.push_back(equal_weights ? 7 : 1 + rng() % 100);
  }
  return in;
}

Model Merge(const Inputs& in, MergeMethod method, MergeReport* report = nullptr, int threads = 0) {
  MergeOptions o;
  o.method = method;
  o.threads = threads;
  auto r = MergeModels(in.ptrs(), in.weights, o, report);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : Model();
}

bool SameBytes(const Model& a, const Model& b) {
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    if (!std::ranges::equal(a.tensors()[i].data.span(), b.tensors()[i].data.span())) return false;
  }
  return true;
}

// --- mean ---

class MergeSizes : public ::testing::TestWithParam<std::tuple<size_t, bool>> {};

TEST_P(MergeSizes, MeanMatchesReference) {
  const auto [n, equal] = GetParam();
  const Inputs in = MakeInputs(MixedSchema(), n, equal, 11 + n);
  ExpectMatches(Merge(in, MergeMethod::kMean), RefMean(in.flat(), in.weights));
}

TEST_P(MergeSizes, CoordMedianMatchesReference) {
  const auto [n, equal] = GetParam();
  const Inputs in = MakeInputs(MixedSchema(), n, equal, 23 + n);
  ExpectMatches(Merge(in, MergeMethod::kCoordMedian), RefCoordMedian(in.flat(), in.weights));
}

TEST_P(MergeSizes, GeoMedianMatchesReference) {
  const auto [n, equal] = GetParam();
  const ModelSchema schema = {
      {"a", DType::kF32, {300}}, {"b", DType::kF64, {7, 11}}, {"c", DType::kF32, {1}}};
  const Inputs in = MakeInputs(schema, n, equal, 37 + n);
  MergeReport report;
  const Model got = Merge(in, MergeMethod::kGeoMedian, &report);
  const Flat ref = RefGeoMedian(in.flat(), in.weights);
  const Flat y = Flatten(got);
  const double f_got = GeoObjective(in.flat(), in.weights, y);
  const double f_ref = GeoObjective(in.flat(), in.weights, ref);
  EXPECT_LE(f_got, f_ref * (1 + 1e-6)) << "n=" << n;
  const double scale = std::max(1.0, std::sqrt(std::inner_product(ref.begin(), ref.end(), ref.begin(), 0.0)));
  EXPECT_LE(Distance(y, ref), 1e-3 * scale) << "n=" << n;
  EXPECT_TRUE(report.converged);
  EXPECT_LE(report.relative_change, 1e-6);
  if (n == 1) {
    EXPECT_EQ(report.iterations, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, MergeSizes,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4, 5, 8, 16, 17), ::testing::Bool()));

TEST(MergeTest, CoordMedianForManyInputsUsesBothPaths) {
  // Up to 64 inputs take the vector sorting network; more take the sorting fallback.
  const ModelSchema schema = {{"x", DType::kF32, {37}}, {"y", DType::kF64, {13}}};
  for (size_t n : {31, 63, 64, 65, 70}) {
    const Inputs in = MakeInputs(schema, n, n % 2 == 0, n);
    ExpectMatches(Merge(in, MergeMethod::kCoordMedian), RefCoordMedian(in.flat(), in.weights));
  }
}

TEST(MergeTest, MeanOfOneModelIsThatModel) {
  Inputs in = MakeInputs(MixedSchema(), 1, false, 3);
  // Negative zeros too: every element's bytes are little-endian, so -0.0 is all zeros
  // but for 0x80 in the element's last byte, whatever the dtype.
  for (Tensor& t : in.models[0].tensors()) {
    const size_t size = DTypeSize(t.spec.dtype);
    if (t.data.size() == 0) continue;
    std::fill_n(t.data.data(), size, std::byte{0});
    t.data.data()[size - 1] = std::byte{0x80};
  }
  EXPECT_TRUE(SameBytes(Merge(in, MergeMethod::kMean), in.models[0]));
  EXPECT_TRUE(SameBytes(Merge(in, MergeMethod::kCoordMedian), in.models[0]));
  EXPECT_TRUE(SameBytes(Merge(in, MergeMethod::kGeoMedian), in.models[0]));
}

TEST(MergeTest, MeanOfF32MatchesF64ReferenceWithinOneMillionth) {
  // Values of mixed magnitude and sign, where f32 accumulation would cancel badly.
  const ModelSchema schema = {{"w", DType::kF32, {100000}}};
  Inputs in;
  for (int i = 0; i < 16; ++i) {
    in.models.push_back(RandomModel(schema, 100 + i, i % 2 ? 1e4 : 1.0, i % 2 ? -3e3 : 0.0));
    in.weights.push_back(1 + (i * 37) % 100);
  }
  const Flat ref = RefMean(in.flat(), in.weights);
  const Model got = Merge(in, MergeMethod::kMean);
  double worst = 0;
  for (size_t j = 0; j < ref.size(); ++j) {
    worst = std::max(worst, std::fabs(got.tensors()[0].as<float>()[j] - ref[j]) / std::fabs(ref[j]));
  }
  EXPECT_LE(worst, 1e-6);
}

// --- coordinate median tie rule (docs/merge.md) ---

double MedianOf(std::vector<float> values, std::vector<uint32_t> weights) {
  Inputs in;
  for (float v : values) {
    Model m({{"x", DType::kF32, {1}}});
    m.tensors()[0].as<float>()[0] = v;
    in.models.push_back(std::move(m));
  }
  in.weights = std::move(weights);
  return Merge(in, MergeMethod::kCoordMedian).tensors()[0].as<float>()[0];
}

TEST(MergeTest, CoordMedianTieRule) {
  EXPECT_EQ(MedianOf({3, 1, 2}, {1, 1, 1}), 2);
  EXPECT_EQ(MedianOf({4, 1, 3, 2}, {1, 1, 1, 1}), 2.5);  // even split: midpoint of the middle two
  EXPECT_EQ(MedianOf({1, 2, 3}, {1, 1, 2}), 2.5);        // cumulative weight hits half exactly at 2
  EXPECT_EQ(MedianOf({1, 2, 3}, {1, 1, 3}), 3);
  EXPECT_EQ(MedianOf({1, 2, 3}, {3, 1, 1}), 1);
  EXPECT_EQ(MedianOf({5, 5, 1, 9}, {1, 1, 1, 1}), 5);  // equal values tie harmlessly
  EXPECT_EQ(MedianOf({1, 7}, {1, 1}), 4);
  EXPECT_EQ(MedianOf({1, 7}, {1, 2}), 7);
  EXPECT_EQ(MedianOf({-2}, {50}), -2);
}

TEST(MergeTest, SortingNetworkSortsEverySize) {
  std::mt19937 rng(5);
  for (size_t n = 1; n <= merge_internal::kMaxNetworkInputs; ++n) {
    const auto net = merge_internal::SortingNetwork(n);
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<int> v(n);
      for (int& x : v) x = static_cast<int>(rng() % 10);
      for (auto [a, b] : net) {
        if (v[b] < v[a]) std::swap(v[a], v[b]);
      }
      ASSERT_TRUE(std::is_sorted(v.begin(), v.end())) << "n=" << n;
    }
  }
}

// --- geometric median behaviour ---

TEST(MergeTest, GeoMedianResistsAnOutlierWhereTheMeanDoesNot) {
  const ModelSchema schema = {{"w", DType::kF32, {1000}}};
  Inputs in;
  for (int i = 0; i < 4; ++i) in.models.push_back(RandomModel(schema, 200 + i, 0.1));
  in.models.push_back(RandomModel(schema, 300, 0.1, 100.0));  // a poisoned model
  in.weights = {1, 1, 1, 1, 1};
  const Flat geo = Flatten(Merge(in, MergeMethod::kGeoMedian));
  const Flat mean = Flatten(Merge(in, MergeMethod::kMean));
  const Flat zero(1000, 0.0);
  EXPECT_LT(Distance(geo, zero) / std::sqrt(1000.0), 1.0);
  EXPECT_GT(Distance(mean, zero) / std::sqrt(1000.0), 15.0);
}

TEST(MergeTest, GeoMedianWithADominantWeightIsThatInput) {
  const ModelSchema schema = {{"w", DType::kF32, {500}}};
  Inputs in = MakeInputs(schema, 3, true, 9);
  in.weights = {1, 100, 1};
  MergeReport report;
  const Flat y = Flatten(Merge(in, MergeMethod::kGeoMedian, &report));
  const Flat x1 = Flatten(in.models[1]);
  EXPECT_LE(Distance(y, x1), 1e-5 * Distance(x1, Flat(500, 0.0)));
  EXPECT_TRUE(report.converged);
}

TEST(MergeTest, GeoMedianStopsAtTheIterationLimit) {
  const Inputs in = MakeInputs({{"w", DType::kF32, {1000}}}, 5, false, 4);
  MergeOptions o;
  o.method = MergeMethod::kGeoMedian;
  o.geomedian_tolerance = 0;
  o.geomedian_max_iterations = 3;
  MergeReport report;
  ASSERT_TRUE(MergeModels(in.ptrs(), in.weights, o, &report).ok());
  EXPECT_EQ(report.iterations, 3);
  EXPECT_FALSE(report.converged);
  o.geomedian_max_iterations = 100;
  o.geomedian_tolerance = 1e-6;
  ASSERT_TRUE(MergeModels(in.ptrs(), in.weights, o, &report).ok());
  EXPECT_GT(report.iterations, 1);
  EXPECT_LT(report.iterations, 100);
  EXPECT_TRUE(report.converged);
}

TEST(MergeTest, TwoEquallyWeightedInputsGiveTheirMidpoint) {
  const Inputs in = MakeInputs({{"w", DType::kF64, {100}}}, 2, true, 6);
  const Flat mean = RefMean(in.flat(), in.weights);
  const Flat geo = Flatten(Merge(in, MergeMethod::kGeoMedian));
  EXPECT_LE(Distance(geo, mean), 1e-12);
}

// --- ranges, threads, shards ---

TEST(MergeTest, MergingRangesPiecewiseEqualsTheWholeMerge) {
  const Inputs in = MakeInputs(MixedSchema(), 5, false, 12);
  const ModelSchema schema = MixedSchema();
  const uint64_t total = TotalElements(schema);
  for (MergeMethod method : {MergeMethod::kMean, MergeMethod::kCoordMedian}) {
    const Model whole = Merge(in, method);
    Model pieces(schema);
    // Cuts inside tensors, at tensor edges and at the end.
    const std::vector<uint64_t> cuts = {0, 5, 72, 73, 500, 4000, 8000, total};
    for (size_t c = 0; c + 1 < cuts.size(); ++c) {
      auto plan = PlanRange(schema, {cuts[c], cuts[c + 1]});
      ASSERT_TRUE(plan.ok());
      std::vector<ConstSlice> slices;
      for (const Model& m : in.models) slices.push_back(SliceOf(m, *plan));
      MergeOptions o;
      o.method = method;
      auto r = MergeRange(*plan, slices, in.weights, SliceOf(pieces, *plan), o);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    EXPECT_TRUE(SameBytes(whole, pieces)) << MergeMethodName(method);
  }
  EXPECT_EQ(PlanRange(schema, {10, total + 1}).status().code(), StatusCode::kOutOfRange);
}

TEST(MergeTest, ResultsDoNotDependOnTheThreadCount) {
  const Inputs in = MakeInputs(MixedSchema(), 4, false, 13);
  for (MergeMethod m : {MergeMethod::kMean, MergeMethod::kCoordMedian, MergeMethod::kGeoMedian}) {
    EXPECT_TRUE(SameBytes(Merge(in, m, nullptr, 1), Merge(in, m, nullptr, 3))) << MergeMethodName(m);
  }
}

TEST(MergeTest, ShardedGeoMedianAgreesWithTheWholeOne) {
  // Two shards each merge half of the coordinates and exchange partial sums every
  // pass, as nodes of a sharded merge would.
  const ModelSchema schema = {{"a", DType::kF32, {2000}}, {"b", DType::kF64, {333}}};
  const Inputs in = MakeInputs(schema, 6, false, 14);
  MergeReport whole_report;
  const Flat whole = Flatten(Merge(in, MergeMethod::kGeoMedian, &whole_report));

  const uint64_t total = TotalElements(schema), cut = 1234;
  Model out(schema);
  std::vector<double> shared[2];
  std::barrier sync(2);
  MergeReport reports[2];
  auto shard = [&](int s) {
    auto plan = *PlanRange(schema, s == 0 ? CoordRange{0, cut} : CoordRange{cut, total});
    std::vector<ConstSlice> slices;
    for (const Model& m : in.models) slices.push_back(SliceOf(m, plan));
    MergeOptions o;
    o.method = MergeMethod::kGeoMedian;
    o.all_reduce = [&](std::span<double> sums) {
      shared[s].assign(sums.begin(), sums.end());
      sync.arrive_and_wait();
      for (size_t i = 0; i < sums.size(); ++i) sums[i] = shared[0][i] + shared[1][i];
      sync.arrive_and_wait();
      return Status::Ok();
    };
    auto r = MergeRange(plan, slices, in.weights, SliceOf(out, plan), o);
    ASSERT_TRUE(r.ok());
    reports[s] = *r;
  };
  { std::jthread t0(shard, 0), t1(shard, 1); }
  EXPECT_EQ(reports[0].iterations, reports[1].iterations);
  EXPECT_LE(Distance(Flatten(out), whole), 1e-5 * Distance(whole, Flat(whole.size(), 0.0)));
}

// --- errors ---

TEST(MergeTest, SchemaMismatchNamesTheFirstDifferingTensor) {
  Inputs in = MakeInputs(MixedSchema(), 3, true, 15);
  ModelSchema other = MixedSchema();
  other[4].shape = {10, 36};
  in.models[2] = RandomModel(other, 1);
  auto r = MergeModels(in.ptrs(), in.weights, MergeOptions{});
  EXPECT_EQ(
      r.status().message(),
      "schema mismatch at tensor 4: input 0 has 'fc.weight' f16[10,37], input 2 has 'fc.weight' f16[10,36]");
}

TEST(MergeTest, NonFiniteInputsNameInputTensorAndIndex) {
  for (MergeMethod m : {MergeMethod::kMean, MergeMethod::kCoordMedian, MergeMethod::kGeoMedian}) {
    for (double bad : {std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::infinity()}) {
      Inputs in = MakeInputs(MixedSchema(), 3, false, 16);
      SetElement(in.models[2].tensors()[6], 2000, bad);  // head.weight, f64
      SetElement(in.models[1].tensors()[7], 4999, bad);  // head.bias, bf16: later coordinate
      MergeOptions o;
      o.method = m;
      auto r = MergeModels(in.ptrs(), in.weights, o);
      ASSERT_FALSE(r.ok()) << MergeMethodName(m);
      EXPECT_THAT(r.status().message(),
                  HasSubstr(std::string("input 2: tensor 'head.weight' element 2000 (flattened coordinate ") +
                            std::to_string(72 + 8 + 1 + 370 + 10 + 2000) + ") is " +
                            (std::isnan(bad) ? "NaN" : "infinite")))
          << MergeMethodName(m);
    }
  }
}

TEST(MergeTest, BadWeightsAndArgumentsAreRefused) {
  Inputs in = MakeInputs(MixedSchema(), 3, true, 17);
  in.weights = {1, 0, 5};
  EXPECT_EQ(MergeModels(in.ptrs(), in.weights, {}).status().message(),
            "weight of input 1 is 0; expected an integer in 1..100");
  in.weights = {1, 101, 5};
  EXPECT_THAT(MergeModels(in.ptrs(), in.weights, {}).status().message(), HasSubstr("input 1 is 101"));
  in.weights = {1, 2};
  EXPECT_THAT(MergeModels(in.ptrs(), in.weights, {}).status().message(),
              HasSubstr("3 inputs but 2 weights; expected one weight per input"));
  EXPECT_THAT(MergeModels({}, {}, {}).status().message(), HasSubstr("at least one input"));
}

TEST(MergeTest, MethodNamesRoundTrip) {
  for (MergeMethod m : {MergeMethod::kMean, MergeMethod::kCoordMedian, MergeMethod::kGeoMedian}) {
    EXPECT_EQ(ParseMergeMethod(MergeMethodName(m)), m);
  }
  EXPECT_FALSE(ParseMergeMethod("median"));
}

}  // namespace
}  // namespace swarm
