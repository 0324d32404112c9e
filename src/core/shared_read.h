#pragma once

// One read for many callers. When hundreds of callers ask an SN the same question at once
// (the ledger's head, the live nodes), each would cost its own etcd round trip; a
// SharedRead runs one read at a time, and a caller that arrives while one is in flight
// waits for the next one and takes its answer. The answer a caller gets was read after the
// caller arrived, so it is as fresh as a read of its own would have been.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <optional>

#include "core/mutex.h"
#include "core/status.h"

namespace swarm {

template <typename T>
class SharedRead {
 public:
  // Returns the result of a `read` that began after this call: this caller's own, or that
  // of a caller who started one while this one waited.
  StatusOr<T> Get(const std::function<StatusOr<T>()>& read) {
    MutexLock lock(mu_);
    const uint64_t ticket = ++arrived_;
    while (running_ && answered_ < ticket) lock.Wait(cv_);
    if (answered_ >= ticket) return *last_;
    running_ = true;
    const uint64_t covers = arrived_;  // everyone here now arrived before this read began
    lock.Unlock();
    StatusOr<T> result = read();
    lock.Lock();
    running_ = false;
    answered_ = covers;
    last_ = result;
    cv_.notify_all();
    return result;
  }

 private:
  Mutex mu_;
  std::condition_variable cv_;
  uint64_t arrived_ SWARM_GUARDED_BY(mu_) = 0;   // callers so far, numbered from 1
  uint64_t answered_ SWARM_GUARDED_BY(mu_) = 0;  // callers up to this one have an answer
  bool running_ SWARM_GUARDED_BY(mu_) = false;
  std::optional<StatusOr<T>> last_ SWARM_GUARDED_BY(mu_);
};

}  // namespace swarm
