#pragma once

// Tells the SN's long polls when what they answer may have changed. A GetTraining that waits
// for a change (an SL between the steps of a sync) would otherwise ask etcd again and again;
// with hundreds of SLs on one SN those reads starve the SLs' own liveness leases. The feed
// instead probes a fingerprint of the ledger's head and the live nodes, one read for all
// waiters, while anyone waits (and at once when poked after a local change), and counts a
// new version whenever the fingerprint differs.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "core/mutex.h"
#include "core/status.h"

namespace swarm::sn {

class ChangeFeed {
 public:
  using Probe = std::function<StatusOr<std::string>()>;

  // Probes `probe` every `every` while a caller waits. A failed probe is not a change.
  ChangeFeed(Probe probe, std::chrono::milliseconds every);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Ends every wait and the probing (the SN stops serving); the destructor does it too.
  void Stop();

  uint64_t version();
  // Probes at once (this SN just changed what the fingerprint covers), if anyone waits.
  void Poke();
  // Waits until the version is past `seen`, `deadline` passes, or `cancelled` says so
  // (asked every 100 ms); returns the version then.
  uint64_t WaitPast(uint64_t seen, std::chrono::steady_clock::time_point deadline,
                    const std::function<bool()>& cancelled);

 private:
  void Run();

  const Probe probe_;
  const std::chrono::milliseconds every_;
  Mutex mu_;
  std::condition_variable changed_;  // the version moved (or the feed stops)
  std::condition_variable wake_;     // the probing thread: a waiter came, a poke, a stop
  uint64_t version_ SWARM_GUARDED_BY(mu_) = 0;
  int waiters_ SWARM_GUARDED_BY(mu_) = 0;
  bool poked_ SWARM_GUARDED_BY(mu_) = false;
  bool stop_ SWARM_GUARDED_BY(mu_) = false;
  std::string fingerprint_;  // the probing thread's own
  std::thread thread_;
};

}  // namespace swarm::sn
