#pragma once

// Simulated time for tests that run several threads which wait only by sleeping on the
// clock (a discrete-event simulation): time stands still while any taking-part thread
// runs, and jumps to the earliest wake-up once all of them sleep. So a protocol with 60 s
// deadlines and N peers as threads runs in milliseconds, and the order of events depends
// on the simulated times, not on how the machine schedules threads.
//
// A thread takes part from Join() to Leave() (a SimClock::Member does both). A thread
// blocked on anything but SleepFor (a lock, a future) holds time still until it runs on.

#include <condition_variable>
#include <set>
#include <mutex>

#include "core/clock.h"

namespace swarm {

class SimClock final : public Clock {
 public:
  TimePoint Now() override;
  void SleepFor(Duration d) override;
  void Join();
  void Leave();
  // Simulated time since the clock was made.
  Duration elapsed();

  class Member {
   public:
    explicit Member(SimClock& c) : c_(c) { c_.Join(); }
    ~Member() { c_.Leave(); }
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

   private:
    SimClock& c_;
  };

 private:
  void AdvanceLocked();

  std::mutex mu_;
  std::condition_variable cv_;
  TimePoint now_{};
  int members_ = 0;
  // Every sleeper's wake-up, until it runs again; those after now_ are still asleep.
  std::multiset<TimePoint> wakeups_;
};

}  // namespace swarm
