#include "swci/clock.h"

#include <algorithm>
#include <thread>

namespace swarm::swci {
namespace {

class SteadyClock final : public Clock {
 public:
  TimePoint Now() override { return std::chrono::steady_clock::now(); }
  bool Sleep(std::chrono::milliseconds d, const StopFlag& stop) override {
    constexpr std::chrono::milliseconds kStep(50);
    const TimePoint end = Now() + d;
    while (!stop.requested()) {
      const TimePoint now = Now();
      if (now >= end) return true;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kStep, end - now));
    }
    return false;
  }
};

}  // namespace

Clock& SystemClock() {
  static SteadyClock clock;
  return clock;
}

}  // namespace swarm::swci
