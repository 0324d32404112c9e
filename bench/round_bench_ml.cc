// The ML program of the round benchmark (round_benchmark.cc starts one per SL): a
// synthetic f32 model of RB_MODEL_BYTES in four tensors, no training. It does a warm-up
// sync, RB_ROUNDS timed syncs and the final round (on_train_end), and writes the steady-clock
// start and end of each (nanoseconds, comparable across processes on one machine) to
// RB_OUT as JSON: {"syncs": [[start, end], ...]}, the warm-up first, the final round last,
// with the peak RSS of this program and of its SL (its parent: the SL starts it), in KiB.
//
// Node RB_SEED (1..RB_PEERS) fills its model with seed + (j % 1024) / 1024 and, before
// every sync, sets the first element of each tensor to Marker(seed, sync). Blobs with equal
// digests are not fetched again, so no contribution may equal another one or a merged
// model, in any round: the markers 2^seed + 1000 sync are unique, and their mean over two
// or more seeds is none of them. The merged mean is known, so each sync is checked. The
// final round moves nothing: every node hands in the merged model it already has.

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "client/swarm_callback.h"

namespace {

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

void Check(const swarm::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "round_bench_ml: %s: %s\n", what, s.message().c_str());
  std::exit(3);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

float Bulk(size_t j) { return static_cast<float>(j % 1024) / 1024; }
float Marker(int seed, int sync) { return static_cast<float>((1 << seed) + 1000 * sync); }

// Four tensors of about 1/2, 1/4, 1/4 of the model and a small one, as a model's layers.
std::vector<std::vector<float>> MakeModel(size_t floats, int seed) {
  std::vector<std::vector<float>> t = {std::vector<float>(floats / 2), std::vector<float>(floats / 4),
                                       std::vector<float>(floats - floats / 2 - floats / 4 - 256),
                                       std::vector<float>(256)};
  for (auto& v : t) {
    for (size_t j = 0; j < v.size(); ++j) v[j] = static_cast<float>(seed) + Bulk(j);
  }
  return t;
}

// After sync `sync` every node holds the mean over seeds 1..peers of what they handed in.
void CheckMerged(const std::vector<std::vector<float>>& t, int peers, int sync) {
  double marker = 0;
  for (int s = 1; s <= peers; ++s) marker += Marker(s, sync) / peers;
  const float mean_seed = static_cast<float>(peers + 1) / 2;
  for (const auto& v : t) {
    for (size_t j = 0; j < v.size(); j += 4099) {
      const float want = j == 0 ? static_cast<float>(marker) : mean_seed + Bulk(j);
      if (std::fabs(v[j] - want) > 1e-5f * std::fabs(want)) {
        std::fprintf(stderr, "round_bench_ml: after sync %d element %zu is %f, not the mean %f\n", sync, j,
                     static_cast<double>(v[j]), static_cast<double>(want));
        std::exit(4);
      }
    }
  }
}

// The SL's peak RSS so far (VmHWM of the parent), 0 if the parent is not a `swarm` process.
int64_t ParentPeakRssKib() {
  const std::string proc = "/proc/" + std::to_string(::getppid());
  std::string comm;
  std::getline(std::ifstream(proc + "/comm"), comm);
  if (comm != "swarm") return 0;
  std::ifstream status(proc + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

}  // namespace

int main() {
  const int seed = static_cast<int>(EnvInt("RB_SEED", 1));
  const int peers = static_cast<int>(EnvInt("RB_PEERS", 2));
  const int rounds = static_cast<int>(EnvInt("RB_ROUNDS", 3));
  const size_t floats = static_cast<size_t>(EnvInt("RB_MODEL_BYTES", 1000000)) / sizeof(float);
  const char* out_path = std::getenv("RB_OUT");
  if (!out_path || floats < 1024) {
    std::fprintf(stderr, "round_bench_ml: needs RB_OUT and RB_MODEL_BYTES >= 4096\n");
    return 2;
  }
  std::vector<std::vector<float>> model = MakeModel(floats, seed);
  swarm::SwarmCallbackOptions o;
  o.sync_frequency = 1;
  o.min_peers = peers;
  o.program_name = "bench-" + std::to_string(seed);
  auto cb = swarm::SwarmCallback::Create(o, [&] {
    std::vector<swarm::ParameterView> p;
    for (size_t i = 0; i < model.size(); ++i) {
      p.push_back({"layer" + std::to_string(i), swarm::DType::kF32, {model[i].size()}, model[i].data()});
    }
    return p;
  });
  Check(cb.status(), "SwarmCallback");
  Check((*cb)->on_train_begin(), "on_train_begin");
  std::vector<std::pair<int64_t, int64_t>> syncs;
  for (int sync = 0; sync <= rounds; ++sync) {  // sync 0 is the warm-up
    for (auto& v : model) v[0] = Marker(seed, sync);
    const int64_t start = NowNs();
    Check((*cb)->on_batch_end(), "on_batch_end (sync)");
    syncs.emplace_back(start, NowNs());
    CheckMerged(model, peers, sync);
  }
  const int64_t start = NowNs();
  Check((*cb)->on_train_end(), "on_train_end");
  syncs.emplace_back(start, NowNs());
  std::ofstream out(out_path);
  out << "{\"syncs\": [";
  for (size_t i = 0; i < syncs.size(); ++i) {
    out << (i ? ", " : "") << "[" << syncs[i].first << ", " << syncs[i].second << "]";
  }
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  out << "], \"ml_peak_rss_kib\": " << self.ru_maxrss << ", \"sl_peak_rss_kib\": " << ParentPeakRssKib()
      << "}\n";
  return out.good() ? 0 : 5;
}
