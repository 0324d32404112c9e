#pragma once

// Adaptive sync (useAdaptiveSync): after each sync round the program measures the merged
// model's loss on its validation data (adsValData), and the interval to the next round
// follows it. While the loss improves on the previous round's, rounds are spent where they
// help little, so the interval grows by half; when it does not, the peers' models drift
// apart, so the interval halves. It stays within [syncFrequency / 4, syncFrequency * 8].
// Comparing with the previous round rather than the best so far matters: one lucky low
// loss would otherwise pin the interval to its minimum for the rest of the training.

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
  // The loss the last Update compared with, if there was one.
  bool has_previous() const { return has_previous_; }
  double previous_loss() const { return previous_; }

 private:
  int frequency_, min_, max_;
  bool has_last_ = false, has_previous_ = false;
  double last_ = 0, previous_ = 0;
};

}  // namespace swarm
