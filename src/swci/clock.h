#pragma once

// Time for SWCI's waits (SLEEP, WAIT FOR IP, WAIT FOR TASKRUNNER), behind an interface so
// that tests run them on a fake clock, and a stop flag that ends every wait early: the
// CLI sets it from SIGINT/SIGTERM (Ctrl-C).

#include <atomic>
#include <chrono>

namespace swarm::swci {

// Set from a signal handler: only a lock-free atomic store happens there.
class StopFlag {
 public:
  static_assert(std::atomic<int>::is_always_lock_free);
  void Request(int signal) { signal_.store(signal == 0 ? -1 : signal); }
  bool requested() const { return signal_.load() != 0; }
  // The signal that asked for the stop (-1: asked without one).
  int signal() const { return signal_.load(); }
  void Clear() { signal_.store(0); }

 private:
  std::atomic<int> signal_{0};
};

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() = 0;
  // Waits for `d`, or less when `stop` is requested meanwhile; false then.
  virtual bool Sleep(std::chrono::milliseconds d, const StopFlag& stop) = 0;
};

// The steady clock; sleeps in steps of 50 ms so that a stop is seen within one step
// (a signal handler cannot notify a condition variable).
Clock& SystemClock();

}  // namespace swarm::swci
