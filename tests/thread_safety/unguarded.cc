// Must NOT compile under clang's -Wthread-safety -Werror=thread-safety: it reads and writes
// a guarded member without its mutex. The CTest check thread_safety.analysis_is_on compiles
// it and expects the error, so that a preset whose analysis silently does nothing fails.
#include "core/mutex.h"

namespace {

class Counter {
 public:
  void Bump() { ++n_; }  // no lock: the analysis must refuse this
  int Get() {
    swarm::MutexLock lock(mu_);
    return n_;
  }

 private:
  swarm::Mutex mu_;
  int n_ SWARM_GUARDED_BY(mu_) = 0;
};

}  // namespace

int main() {
  Counter c;
  c.Bump();
  return c.Get();
}
