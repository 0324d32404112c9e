#include "client/adaptive_sync.h"

#include <algorithm>
#include <cmath>

namespace swarm {
namespace {

// A loss counts as better only by more than this fraction of the previous loss, so that
// noise in the validation loss does not stretch the interval.
constexpr double kMinImprovement = 1e-3;

}  // namespace

AdaptiveSync::AdaptiveSync(int initial_frequency)
    : frequency_(std::max(1, initial_frequency)),
      min_(std::max(1, initial_frequency / 4)),
      max_(std::max(1, initial_frequency) * 8) {}

int AdaptiveSync::Update(double validation_loss) {
  has_previous_ = has_last_;
  previous_ = last_;
  if (!std::isfinite(validation_loss)) {
    has_last_ = false;
    frequency_ = std::max(min_, frequency_ / 2);
    return frequency_;  // a diverged loss is no baseline for the next round
  }
  has_last_ = true;
  last_ = validation_loss;
  if (!has_previous_) return frequency_;  // nothing to compare with yet
  const bool improved = validation_loss < previous_ - kMinImprovement * std::abs(previous_);
  frequency_ =
      improved ? std::min(max_, frequency_ + std::max(1, frequency_ / 2)) : std::max(min_, frequency_ / 2);
  return frequency_;
}

}  // namespace swarm
