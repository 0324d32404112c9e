#include "core/sim_clock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace swarm {
namespace {

using std::chrono::seconds;

TEST(SimClockTest, TimeJumpsToTheEarliestWakeUpOnlyWhenEveryMemberSleeps) {
  SimClock clock;
  std::vector<std::pair<int, Clock::Duration>> woke;  // (thread, when)
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) clock.Join();  // all take part before any sleeps
  for (int i : {3, 1, 2}) {
    threads.emplace_back([&, i] {
      for (int step = 0; step < 2; ++step) {
        clock.SleepFor(seconds(10 * i));
        std::lock_guard lock(mu);
        woke.emplace_back(i, clock.elapsed());
      }
      clock.Leave();
    });
  }
  for (auto& t : threads) t.join();
  // Each thread wakes at 10·i and 20·i simulated seconds; the order follows those times.
  std::vector<std::pair<int, Clock::Duration>> expected{{1, seconds(10)}, {1, seconds(20)}, {2, seconds(20)},
                                                        {3, seconds(30)}, {2, seconds(40)}, {3, seconds(60)}};
  ASSERT_EQ(woke.size(), expected.size());
  for (size_t k = 0; k < woke.size(); ++k) {
    EXPECT_EQ(woke[k].second, expected[k].second) << k;
    // Threads 1 and 2 both wake at 20 s: either may log first.
    if (expected[k].second != seconds(20)) {
      EXPECT_EQ(woke[k].first, expected[k].first) << k;
    }
  }
}

TEST(SimClockTest, ARunningMemberHoldsTimeStill) {
  SimClock clock;
  SimClock::Member me(clock);
  std::thread sleeper([&] {
    SimClock::Member m(clock);
    clock.SleepFor(seconds(5));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // real time: this member runs
  EXPECT_EQ(clock.elapsed(), Clock::Duration(0));
  clock.SleepFor(seconds(1));  // now both sleep: 1 s passes, then this one runs again
  EXPECT_EQ(clock.elapsed(), seconds(1));
  clock.SleepFor(seconds(10));
  EXPECT_EQ(clock.elapsed(), seconds(11));
  sleeper.join();
}

}  // namespace
}  // namespace swarm
