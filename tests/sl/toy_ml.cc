// A small ML program for end-to-end tests of the SL: fits y = w . x + b by SGD on data
// that only this node has (its shard: a seed and a bias of the inputs), with a C++
// SwarmCallback. Writes its final parameters to $TOY_OUT as text.
//
// Environment: TOY_SEED, TOY_OUT, TOY_EPOCHS (default 3), TOY_MIN_PEERS (default 2),
// TOY_BATCHES (per epoch, default 20), TOY_SYNC (default 5), TOY_WEIGHT (default 1),
// TOY_EXTRA (1: the model has a third tensor, so its schema differs from the others'),
// TOY_DIE_AFTER (N > 0: the program dies, exit status 9, after its N-th batch),
// TOY_BALLAST_MB (N > 0: the model carries N MiB of zeros more, the same on every node,
// so that moving it takes long enough to kill a node mid-transfer), TOY_BATCH_MS (each
// batch takes that long, as real training would).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client/swarm_callback.h"

namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

int Check(const swarm::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "toy_ml: %s: %s\n", what, s.message().c_str());
    std::exit(3);
  }
  return 0;
}

}  // namespace

int main() {
  constexpr int kDim = 8;
  const int seed = EnvInt("TOY_SEED", 1);
  float w[kDim] = {}, b[1] = {}, extra[2] = {};
  const bool with_extra = EnvInt("TOY_EXTRA", 0) == 1;
  std::vector<float> ballast(static_cast<size_t>(EnvInt("TOY_BALLAST_MB", 0)) * (1 << 20) / sizeof(float));
  swarm::SwarmCallbackOptions o;
  o.sync_frequency = EnvInt("TOY_SYNC", 5);
  o.min_peers = EnvInt("TOY_MIN_PEERS", 2);
  o.node_weightage = EnvInt("TOY_WEIGHT", 1);
  o.total_epochs = EnvInt("TOY_EPOCHS", 3);
  o.program_name = "toy-" + std::to_string(seed);
  auto cb = swarm::SwarmCallback::Create(o, [&] {
    std::vector<swarm::ParameterView> params{{"w", swarm::DType::kF32, {kDim}, w},
                                             {"b", swarm::DType::kF32, {1}, b}};
    if (with_extra) params.push_back({"extra", swarm::DType::kF32, {2}, extra});
    if (!ballast.empty())
      params.push_back(
          {"ballast", swarm::DType::kF32, {static_cast<uint64_t>(ballast.size())}, ballast.data()});
    return params;
  });
  Check(cb.status(), "SwarmCallback");
  Check((*cb)->on_train_begin(), "on_train_begin");
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::normal_distribution<float> noise(0, 1);
  int batches_done = 0;
  for (int epoch = 0; epoch < o.total_epochs; ++epoch) {
    double loss = 0;
    for (int batch = 0; batch < EnvInt("TOY_BATCHES", 20); ++batch) {
      float x[kDim], y = 0.5f;  // the true model: w_i = i / 8, b = 0.5
      for (int i = 0; i < kDim; ++i) {
        x[i] = noise(rng) + static_cast<float>(seed);  // each node sees another region
        y += x[i] * static_cast<float>(i) / kDim;
      }
      float pred = b[0];
      for (int i = 0; i < kDim; ++i) pred += w[i] * x[i];
      const float err = pred - y;
      loss += err * err;
      const float lr = 0.01f / (1 + static_cast<float>(seed * seed));
      for (int i = 0; i < kDim; ++i) w[i] -= lr * err * x[i];
      b[0] -= lr * err;
      if (const int ms = EnvInt("TOY_BATCH_MS", 0); ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      Check((*cb)->on_batch_end(), "on_batch_end");
      if (++batches_done == EnvInt("TOY_DIE_AFTER", 0)) std::_Exit(9);  // no goodbye to the SL
    }
    (*cb)->set_loss(loss, 1.0 / (1.0 + loss));  // a metric that rises as the loss falls
    Check((*cb)->on_epoch_end(epoch), "on_epoch_end");
  }
  Check((*cb)->on_train_end(), "on_train_end");
  std::ofstream out(std::getenv("TOY_OUT") ? std::getenv("TOY_OUT") : "/dev/stdout");
  for (float v : w) out << v << " ";
  out << b[0] << "\n";
  return 0;
}
