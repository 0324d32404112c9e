#pragma once

// A mutex that clang's thread-safety analysis understands (-Wthread-safety; preset
// thread-safety): a member says which mutex guards it (SWARM_GUARDED_BY), a function that must
// be called with a lock held says so (SWARM_REQUIRES), and the compiler checks every access.
// libstdc++'s std::mutex carries no such annotations, so the parts that share state between
// threads use swarm::Mutex with MutexLock. With other compilers the annotations are empty
// and Mutex is a std::mutex.

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define SWARM_TSA(x) __attribute__((x))
#else
#define SWARM_TSA(x)
#endif

#define SWARM_CAPABILITY(x) SWARM_TSA(capability(x))
#define SWARM_SCOPED_CAPABILITY SWARM_TSA(scoped_lockable)
#define SWARM_GUARDED_BY(x) SWARM_TSA(guarded_by(x))
#define SWARM_REQUIRES(...) SWARM_TSA(requires_capability(__VA_ARGS__))
#define SWARM_ACQUIRE(...) SWARM_TSA(acquire_capability(__VA_ARGS__))
#define SWARM_RELEASE(...) SWARM_TSA(release_capability(__VA_ARGS__))

namespace swarm {

class SWARM_CAPABILITY("mutex") Mutex {
 public:
  void lock() SWARM_ACQUIRE() { mu_.lock(); }
  void unlock() SWARM_RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// Holds `mu` for its scope. Wait() blocks on a condition variable, releasing the mutex
// meanwhile, and holds it again when it returns.
class SWARM_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) SWARM_ACQUIRE(mu) : lock_(mu.mu_) {}
  ~MutexLock() SWARM_RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Lets go of the mutex for a while (no guarded member may be touched) and takes it again.
  void Unlock() SWARM_RELEASE() { lock_.unlock(); }
  void Lock() SWARM_ACQUIRE() { lock_.lock(); }

  // Loop on the condition in the caller (`while (!done) lock.Wait(cv);`), where the
  // analysis sees the lock held, rather than passing it as a predicate.
  void Wait(std::condition_variable& cv) { cv.wait(lock_); }
  // As Wait, until `deadline` at the latest; false when the deadline passed.
  template <typename Clock, typename Duration>
  bool WaitUntil(std::condition_variable& cv, const std::chrono::time_point<Clock, Duration>& deadline) {
    return cv.wait_until(lock_, deadline) == std::cv_status::no_timeout;
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace swarm
