#pragma once

// Adaptive sync (useAdaptiveSync): after each sync round the program measures the merged
// model's loss on its validation data (adsValData), and the interval to the next round
// follows it. While the loss improves, rounds are spent where they help little, so the
// interval grows by half; when it stops improving, the peers' models drift apart, so the
// interval halves. It stays within [syncFrequency / 4, syncFrequency * 8].

#include <cstdint>

namespace swarm {

class AdaptiveSync {
 public:
  explicit AdaptiveSync(int initial_frequency);

  // The number of batches until the next sync round.
  int frequency() const { return frequency_; }
  // Takes the validation loss after a round and returns the next frequency.
  int Update(double validation_loss);

  int min_frequency() const { return min_; }
  int max_frequency() const { return max_; }

 private:
  int frequency_, min_, max_;
  bool has_best_ = false;
  double best_ = 0;
};

}  // namespace swarm
