#pragma once

// Test doubles for the round protocol (sl/round_driver_test.cc): one SN in memory running
// the real contract code, and peers' file servers as each other's blob stores. With a
// SimClock, N drivers as threads run a whole training, faults included, in milliseconds.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "ledger/state.h"
#include "sl/blob_store.h"
#include "sl/file_server.h"
#include "snapi/testing/unimplemented_sn_api.h"

namespace swarm::sl::testing {

// An SN in memory: each submission is applied at once as one block through ledger::Apply
// (all of it or none), liveness is what the test says. Thread-safe; the hook runs under
// the SN's (recursive) lock, so that a fault it injects lands before anyone acts on the
// transaction.
class MemorySn {
 public:
  MemorySn();
  // CREATE CONTRACT, as SWCI submits it.
  Status CreateContract(const std::string& name);
  // Registers SL node `uid` (signed by its own certificate) and returns a client acting for
  // it; the node is alive until SetAlive says otherwise.
  std::unique_ptr<snapi::SnApi> AddSl(const std::string& uid);
  void SetAlive(const std::string& uid, bool alive);
  // As a crashed node: no longer alive, and every call of its client fails (Unavailable).
  void Kill(const std::string& uid);
  // Ends a Kill taken as a partition: the node's client reaches the SN again, and it is alive.
  void Heal(const std::string& uid);
  bool killed(const std::string& uid);
  // Called after each accepted transaction, under the SN's lock: tests inject faults here
  // (the hook may call this SN's methods).
  void OnApplied(std::function<void(const swarm::v1::Transaction&)> hook);
  // The contract's training as it stands.
  ledger::Training training(const std::string& contract);
  // How many accepted transactions had `body` (e.g. Transaction::kRedoRound).
  int Count(swarm::v1::Transaction::BodyCase body);

  StatusOr<uint64_t> Submit(const std::string& uid, std::vector<swarm::v1::Transaction> txs);
  StatusOr<swarm::v1::TrainingInfo> GetTraining(const std::string& contract);
  // How many GetTraining calls were answered.
  int reads();
  swarm::v1::ListNodesResponse ListNodes();
  // The certificate node `uid` acts with (role sl, fingerprint "fp-<uid>").
  static pki::PeerIdentity IdentityOf(const std::string& uid);

 private:
  std::recursive_mutex mu_;
  ledger::State state_;
  uint64_t height_ = 0;
  std::set<std::string> alive_, killed_;
  std::map<swarm::v1::Transaction::BodyCase, int> counts_;
  int reads_ = 0;
  std::function<void(const swarm::v1::Transaction&)> on_applied_;
};

// File servers as stores: a fetch from an endpoint copies the blob out of the store
// registered under it (verified on adoption); a stopped endpoint refuses. Thread-safe.
class MemoryPeers final : public PeerFetcher {
 public:
  void Serve(const std::string& endpoint, BlobStore* store);
  void StopServing(const std::string& endpoint);
  Status Fetch(const std::string& endpoint, const Digest& digest, BlobStore* store,
               std::chrono::milliseconds within) override;
  Status FetchRange(const std::string& endpoint, const Digest& digest, uint64_t offset, uint64_t length,
                    const RangeSink& sink, std::chrono::milliseconds within) override;
  // How many FetchRange calls succeeded (a sharded round's merges).
  int range_fetches();
  // A copy in memory is over at once: later fetches are refused.
  void Cancel(std::string reason) override;

 private:
  std::mutex mu_;
  std::map<std::string, BlobStore*> stores_;
  std::set<std::string> stopped_;
  std::string cancelled_;
  int range_fetches_ = 0;
  // The store serving `endpoint`, or why none does.
  StatusOr<BlobStore*> From(const std::string& endpoint, const Digest& digest);
};

}  // namespace swarm::sl::testing
