// Throughput of the merge methods at 25M f32 parameters with N = 4 and 16 inputs,
// in input bytes per second, next to the machine's read bandwidth measured by the
// same binary (two threads reading a buffer much larger than the caches).
//
//   build/bench/merge_benchmark                   # all
//   build/bench/merge_benchmark --benchmark_format=json
//
// scripts/bench runs this and the numpy comparison and prints the ratios.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/merge.h"

namespace swarm {
namespace {

constexpr uint64_t kParams = 25'000'000;

// A fast fill (splitmix64): generating 400M values with <random> would dominate setup.
void Fill(float* p, uint64_t n, uint64_t seed, float offset) {
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    p[i] = static_cast<float>(static_cast<double>(z >> 11) * 0x1p-53 * 2.0 - 1.0) + offset;
  }
}

// Inputs are made once per N and shared by the benchmarks that use that N.
struct Fixture {
  ModelSchema schema{{"params", DType::kF32, {kParams}}};
  std::vector<Model> models;
  std::vector<uint32_t> weights;
  Model out{schema};
  RangePlan plan;
  std::vector<ConstSlice> slices;
  MutableSlice out_slice;

  explicit Fixture(int n) {
    for (int i = 0; i < n; ++i) {
      models.emplace_back(schema);
      Fill(models.back().tensors()[0].as<float>(), kParams, i + 1, 0.1f * i);
      // Weights in 60..100: unequal, but no input outweighs the others so much that it
      // is itself the geometric median (which would end geomedian before any iteration).
      weights.push_back(60 + (37 * i) % 41);
    }
    plan = *PlanRange(schema, {0, kParams});
    for (const Model& m : models) slices.push_back(SliceOf(m, plan));
    out_slice = SliceOf(out, plan);
  }
  uint64_t InputBytes() const { return models.size() * kParams * 4; }
};

Fixture& GetFixture(int n) {
  static std::map<int, std::unique_ptr<Fixture>> fixtures;
  if (fixtures.size() > 0 && !fixtures.count(n)) fixtures.clear();  // keep memory to one N at a time
  auto& f = fixtures[n];
  if (!f) f = std::make_unique<Fixture>(n);
  return *f;
}

StatusOr<MergeReport> Run(Fixture& f, MergeOptions o) {
  return MergeRange(f.plan, f.slices, f.weights, f.out_slice, o);
}

void BM_Merge(benchmark::State& state, MergeMethod method) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  MergeOptions o;
  o.method = method;
  for (auto _ : state) {
    auto r = Run(f, o);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.InputBytes()));
  state.counters["inputs"] = static_cast<double>(f.models.size());
}

// One Weiszfeld iteration: the time of a run with K more iterations than a run with
// none (the first pass, the mean plus all pairwise distances, cancels out).
void BM_GeoMedianIteration(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  constexpr int kIterations = 5;
  MergeOptions o;
  o.method = MergeMethod::kGeoMedian;
  o.geomedian_tolerance = 0;
  double first_pass = 0;
  for (auto _ : state) {
    o.geomedian_max_iterations = 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto r0 = Run(f, o);
    const auto t1 = std::chrono::steady_clock::now();
    o.geomedian_max_iterations = kIterations;
    auto r1 = Run(f, o);
    const auto t2 = std::chrono::steady_clock::now();
    if (!r0.ok() || !r1.ok() || r1->iterations != kIterations) {
      state.SkipWithError("geomedian did not run the requested iterations");
      break;
    }
    const double extra = std::chrono::duration<double>((t2 - t1) - (t1 - t0)).count();
    state.SetIterationTime(extra / kIterations);
    first_pass = std::chrono::duration<double, std::milli>(t1 - t0).count();
  }
  state.counters["first_pass_ms"] = first_pass;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.InputBytes()));
  state.counters["inputs"] = static_cast<double>(f.models.size());
}

// The whole geometric median to convergence on this data, for reference.
void BM_GeoMedianFull(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  MergeOptions o;
  o.method = MergeMethod::kGeoMedian;
  int iterations = 0;
  for (auto _ : state) {
    auto r = Run(f, o);
    if (!r.ok())
      state.SkipWithError(r.status().ToString().c_str());
    else
      iterations = r->iterations;
  }
  state.counters["weiszfeld_iterations"] = iterations;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.InputBytes()));
}

// Read bandwidth: threads each read their share of a 1 GiB buffer. The loop must be bound
// by memory, not by its adds: a floating-point sum is one chain of dependent adds per
// vector lane, which read 17 GB/s on one thread of the development VM where this loop
// reads 24 (the merge's `mean` then looked faster than memory). Eight independent integer
// sums, one cache line per step, keep the loads in flight.
uint64_t ReadAll(const uint64_t* p, size_t n) {
  uint64_t s[8] = {};
  for (size_t i = 0; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) s[k] += p[i + k];
  }
  return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

void BM_ReadBandwidth(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  constexpr size_t kBytes = size_t{1} << 30;
  static AlignedBuffer buffer(kBytes);  // zero-filled, so every page is touched
  const auto* p = reinterpret_cast<const uint64_t*>(buffer.data());
  const size_t n = kBytes / 8;
  std::vector<uint64_t> sums(threads);
  for (auto _ : state) {
    {
      std::vector<std::jthread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] { sums[t] = ReadAll(p + n * t / threads, n / threads); });
      }
    }
    benchmark::DoNotOptimize(sums.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBytes));
  state.counters["threads"] = threads;
}

BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK_CAPTURE(BM_Merge, mean, MergeMethod::kMean)
    ->Arg(4)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);
BENCHMARK_CAPTURE(BM_Merge, coordmedian, MergeMethod::kCoordMedian)
    ->Arg(4)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);
BENCHMARK(BM_GeoMedianIteration)
    ->Arg(4)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(3);
BENCHMARK(BM_GeoMedianFull)->Arg(4)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace swarm

BENCHMARK_MAIN();
