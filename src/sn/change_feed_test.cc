#include "sn/change_feed.h"

#include <gtest/gtest.h>

#include <atomic>

namespace swarm::sn {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A probe that reads `value` and counts its reads.
struct FakeStore {
  Mutex mu;
  std::string value SWARM_GUARDED_BY(mu) = "a";
  bool failing SWARM_GUARDED_BY(mu) = false;
  std::atomic<int> reads{0};
  ChangeFeed::Probe Probe() {
    return [this]() -> StatusOr<std::string> {
      ++reads;
      MutexLock lock(mu);
      if (failing) return Unavailable("etcd is down");
      return value;
    };
  }
  void Set(std::string v) {
    MutexLock lock(mu);
    value = std::move(v);
  }
  void Fail(bool f) {
    MutexLock lock(mu);
    failing = f;
  }
};

TEST(ChangeFeedTest, AWaiterSeesAChangeAndOnlyAChange) {
  FakeStore store;
  ChangeFeed feed(store.Probe(), milliseconds(5));
  const auto far = steady_clock::now() + std::chrono::seconds(30);
  uint64_t v = feed.WaitPast(0, far, {});
  ASSERT_EQ(v, 1u);
  // Nothing changes: the wait runs out at its deadline with the version as it was.
  EXPECT_EQ(feed.WaitPast(v, steady_clock::now() + milliseconds(50), {}), v);
  // A failed probe is not a change either.
  store.Fail(true);
  EXPECT_EQ(feed.WaitPast(v, steady_clock::now() + milliseconds(50), {}), v);
  store.Fail(false);
  store.Set("b");
  EXPECT_EQ(feed.WaitPast(v, far, {}), v + 1);
}

// A poke probes at once, however long the feed's own pause between probes.
TEST(ChangeFeedTest, APokeWhileSomeoneWaitsProbesAtOnce) {
  FakeStore store;
  ChangeFeed feed(store.Probe(), std::chrono::hours(1));
  const auto far = steady_clock::now() + std::chrono::seconds(30);
  const uint64_t v = feed.WaitPast(0, far, {});  // the first probe
  store.Set("b");
  std::atomic<bool> seen{false};
  std::thread poker([&] {  // until the waiter is in and has been told: a poke with nobody waiting is dropped
    while (!seen) {
      feed.Poke();
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  EXPECT_EQ(feed.WaitPast(v, far, {}), v + 1);
  seen = true;
  poker.join();
}

TEST(ChangeFeedTest, NobodyWaitingMeansNoReads) {
  FakeStore store;
  ChangeFeed feed(store.Probe(), milliseconds(1));
  feed.Poke();  // nobody waits: no probe either
  EXPECT_EQ(feed.version(), 0u);
  feed.WaitPast(0, steady_clock::now() + std::chrono::seconds(30), {});
  std::this_thread::sleep_for(milliseconds(20));  // let a probe in flight end
  const int before = store.reads.load();
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(store.reads.load(), before);
}

TEST(ChangeFeedTest, ACancelledWaitEndsBeforeItsDeadline) {
  FakeStore store;
  ChangeFeed feed(store.Probe(), milliseconds(5));
  const uint64_t v = feed.WaitPast(0, steady_clock::now() + std::chrono::seconds(30), {});
  const auto start = steady_clock::now();
  EXPECT_EQ(feed.WaitPast(v, start + std::chrono::seconds(30), [] { return true; }), v);
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ChangeFeedTest, AFeedThatStopsReleasesItsWaiters) {
  FakeStore store;
  ChangeFeed feed(store.Probe(), milliseconds(5));
  const auto start = steady_clock::now();
  std::thread waiter([&] { feed.WaitPast(100, start + std::chrono::seconds(30), {}); });
  std::this_thread::sleep_for(milliseconds(20));
  feed.Stop();
  waiter.join();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace swarm::sn
