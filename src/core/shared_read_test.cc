#include "core/shared_read.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace swarm {
namespace {

TEST(SharedReadTest, ACallerAloneReadsForItself) {
  SharedRead<int> shared;
  int reads = 0;
  for (int i = 1; i <= 3; ++i) {
    StatusOr<int> got = shared.Get([&]() -> StatusOr<int> { return ++reads; });
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, i);  // no answer is reused for a later caller
  }
}

TEST(SharedReadTest, CallersShareReadsAndEachGetsOneBegunAfterItArrived) {
  SharedRead<int> shared;
  std::atomic<int> writes{0}, reads{0};
  std::atomic<bool> stale{false};
  constexpr int kThreads = 16, kCalls = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        const int written = ++writes;  // what this caller must see
        StatusOr<int> got = shared.Get([&]() -> StatusOr<int> {
          ++reads;
          const int seen = writes.load();
          std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a slow store
          return seen;
        });
        if (!got.ok() || *got < written) stale = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(stale);
  EXPECT_LT(reads.load(), kThreads * kCalls / 2);  // callers waited for shared reads
}

TEST(SharedReadTest, AFailedReadIsTheAnswerOfThoseWhoWaitedForIt) {
  SharedRead<int> shared;
  StatusOr<int> got = shared.Get([]() -> StatusOr<int> { return Unavailable("etcd is down"); });
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  got = shared.Get([]() -> StatusOr<int> { return 7; });  // the next caller reads again
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 7);
}

}  // namespace
}  // namespace swarm
