#pragma once

// Time. UnixMillis is wall-clock time as the ledger and the APIs carry it. Clock is the
// monotonic time that protocol code waits on, behind an interface so that tests run it on
// simulated time (core/sim_clock.h): a 60 s deadline then passes in microseconds.

#include <chrono>
#include <cstdint>

namespace swarm {

inline int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual TimePoint Now() = 0;
  virtual void SleepFor(Duration d) = 0;
};

// std::chrono::steady_clock and std::this_thread::sleep_for.
Clock& SteadyClock();

}  // namespace swarm
