#pragma once

// The chain kept in etcd. Blocks go under /swarm/ledger/block/<height, 20 digits>; the
// head key holds the latest height. A block is appended in one etcd transaction that
// also moves the head, on condition that the head has not moved since it was read
// (compare-and-swap), so every SN sees one linear chain. State is never stored: each SN
// replays the chain (verifying every hash and signature) to rebuild it.

#include <mutex>
#include <vector>

#include "ledger/chain.h"
#include "ledger/etcd_client.h"

namespace swarm::ledger {

inline constexpr char kHeadKey[] = "/swarm/ledger/head";
inline constexpr char kBlockPrefix[] = "/swarm/ledger/block/";
std::string BlockKey(uint64_t height);

class LedgerStore {
 public:
  LedgerStore(EtcdClient* etcd, pki::TrustStore trust) : etcd_(etcd), trust_(std::move(trust)) {}

  // Verifies the transactions against the latest state and appends them as one block.
  // An invalid transaction is refused with its reason and nothing is written. Retries
  // when another SN appended first.
  StatusOr<swarm::v1::Block> Submit(const std::vector<swarm::v1::SignedTransaction>& txs);

  // Reads and verifies the blocks this store has not seen yet; returns the state.
  StatusOr<State> Sync();

  // Every block from height 1, as stored (for `swarm sn verify`).
  StatusOr<std::vector<swarm::v1::Block>> LoadChain();

  const pki::TrustStore& trust() const { return trust_; }

 private:
  Status SyncLocked();

  EtcdClient* etcd_;
  pki::TrustStore trust_;
  std::mutex mu_;
  State state_ = State::Genesis();
  Digest head_hash_{};
};

}  // namespace swarm::ledger
