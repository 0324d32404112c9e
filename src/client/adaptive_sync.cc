#include "client/adaptive_sync.h"

#include <algorithm>
#include <cmath>

namespace swarm {
namespace {

// A loss counts as better only by more than this fraction of the best so far, so that
// noise in the validation loss does not stretch the interval.
constexpr double kMinImprovement = 1e-3;

}  // namespace

AdaptiveSync::AdaptiveSync(int initial_frequency)
    : frequency_(std::max(1, initial_frequency)),
      min_(std::max(1, initial_frequency / 4)),
      max_(std::max(1, initial_frequency) * 8) {}

int AdaptiveSync::Update(double validation_loss) {
  if (!std::isfinite(validation_loss)) {
    frequency_ = std::max(min_, frequency_ / 2);
    return frequency_;
  }
  const bool improved = !has_best_ || validation_loss < best_ - kMinImprovement * std::abs(best_);
  if (!has_best_ || validation_loss < best_) best_ = validation_loss;
  const bool first = !has_best_;
  has_best_ = true;
  if (first) return frequency_;  // nothing to compare with yet
  frequency_ =
      improved ? std::min(max_, frequency_ + std::max(1, frequency_ / 2)) : std::max(min_, frequency_ / 2);
  return frequency_;
}

}  // namespace swarm
