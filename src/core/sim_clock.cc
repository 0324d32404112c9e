#include "core/sim_clock.h"

namespace swarm {

Clock::TimePoint SimClock::Now() {
  std::lock_guard lock(mu_);
  return now_;
}

Clock::Duration SimClock::elapsed() {
  std::lock_guard lock(mu_);
  return now_ - TimePoint{};
}

void SimClock::Join() {
  std::lock_guard lock(mu_);
  ++members_;
}

void SimClock::Leave() {
  std::lock_guard lock(mu_);
  --members_;
  AdvanceLocked();
}

void SimClock::SleepFor(Duration d) {
  std::unique_lock lock(mu_);
  const TimePoint wake = now_ + std::max(d, Duration(1));
  auto it = wakeups_.insert(wake);
  AdvanceLocked();
  cv_.wait(lock, [&] { return now_ >= wake; });
  wakeups_.erase(it);
}

// Everyone who takes part sleeps: time moves to the earliest wake-up. A sleeper whose
// wake-up has come counts as running (it is about to), so time cannot run past it.
void SimClock::AdvanceLocked() {
  size_t asleep = 0;
  for (auto it = wakeups_.upper_bound(now_); it != wakeups_.end(); ++it) ++asleep;
  if (asleep == 0 || static_cast<int>(asleep) < members_) return;
  if (*wakeups_.begin() <= now_) return;  // someone woken has not run yet
  now_ = *wakeups_.begin();
  cv_.notify_all();
}

}  // namespace swarm
