#pragma once

// The chain kept in etcd. Blocks go under /swarm/ledger/block/<height, 20 digits>; the
// head key holds the latest height. A block is appended in one etcd transaction that
// also moves the head, on condition that the head has not moved since it was read
// (compare-and-swap), so every SN sees one linear chain. State is never stored: each SN
// replays the chain (verifying every hash and signature) to rebuild it.
//
// Concurrent Submits are committed together (group commit, as LevelDB's writers): the
// first waiting Submit becomes the leader, validates every queued submission against the
// latest state, and appends all the valid ones as one block, so one etcd write serves
// many callers. Each caller still gets its own refusal or the block that holds it.
//
// The store keeps one working copy of the state, which blocks are applied to in place, and
// publishes an immutable copy of it only when a reader asks after a change (Sync): copying
// the whole state for every block made an SN's commit rate fall as the ledger grew.

#include <condition_variable>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "core/shared_read.h"
#include "ledger/chain.h"
#include "ledger/etcd_client.h"

namespace swarm::ledger {

inline constexpr char kHeadKey[] = "/swarm/ledger/head";
inline constexpr char kBlockPrefix[] = "/swarm/ledger/block/";
std::string BlockKey(uint64_t height);

// Where a submission was written: the block that holds it.
struct Appended {
  uint64_t height = 0;
  Digest hash;
};

class LedgerStore {
 public:
  // `sn` signs the blocks this store appends (an SN's key); without it the store only reads.
  LedgerStore(EtcdClient* etcd, pki::TrustStore trust, std::optional<pki::Signer> sn = std::nullopt)
      : etcd_(etcd), trust_(std::move(trust)), sn_(std::move(sn)) {}

  // Verifies the transactions against the latest state and appends them to the chain, all
  // in the same block (possibly with other callers' transactions). If one is invalid, the
  // refusal names it and none of them is written. Retries when another SN appended first.
  StatusOr<Appended> Submit(const std::vector<swarm::v1::SignedTransaction>& txs);

  // Limits of one block, below etcd's default request size (1.5 MiB, base64 adds a third).
  static constexpr size_t kMaxBlockTransactions = 512;
  static constexpr size_t kMaxBlockBytes = 768 * 1024;

  // Reads and verifies the blocks this store has not seen yet; returns the state. The
  // snapshot is shared and never changes: later blocks make a new one. Callers at the same
  // time share one read of etcd (core/shared_read.h).
  StatusOr<std::shared_ptr<const State>> Sync();

  // The state as of the last Sync, without asking etcd or waiting for a commit: for facts
  // that never change once on the chain (who registered a uid), so that frequent calls skip
  // the I/O. It may lack the latest blocks: when a fact is missing, ask Sync.
  std::shared_ptr<const State> Cached() const;

  // Every block from height 1, as stored (for `swarm sn verify`).
  StatusOr<std::vector<swarm::v1::Block>> LoadChain();
  // The stored blocks of heights [from, to), in order: one range read.
  StatusOr<std::vector<swarm::v1::Block>> LoadBlocks(uint64_t from, uint64_t to);
  // That the head key names the last of `blocks` stored blocks (for `swarm sn verify`).
  Status CheckHead(uint64_t blocks);
  // The stored hash of block `height` (NotFound past the head).
  StatusOr<Digest> HashAt(uint64_t height);
  // The height and hash of the newest block this store has applied, from memory.
  std::pair<uint64_t, Digest> Head();
  // Head(), signed with the SN's key (FailedPrecondition for a store that only reads).
  StatusOr<swarm::v1::SignedHead> SignedHead();
  // That the store still holds, at this store's head height, the block this store applied
  // there: DataLoss, naming both hashes, if history was rewritten behind it (a live SN
  // stops on it). One read.
  Status CheckHeadInStore();
  // Compares another SN's signed head with this chain: DataLoss, naming the SN, if the
  // chain holds another block at that height. A head above this chain's cannot be judged
  // (this SN may be behind) and passes.
  Status CompareHead(const swarm::v1::SignedHead& theirs);

  const pki::TrustStore& trust() const { return trust_; }
  // The name of the SN that signs this store's blocks (empty when it only reads).
  std::string SignerName() const { return sn_ ? sn_->cert().CommonName() : ""; }

 private:
  struct Writer;
  // Transactions (by signature) seen in blocks read while committing, and where they are.
  using Landed = std::unordered_map<std::string, Appended>;
  Status SyncLocked(Landed* landed = nullptr) SWARM_REQUIRES(chain_mu_);
  void PublishLocked() SWARM_REQUIRES(chain_mu_);  // makes state_ a copy of working_, if it is not already
  // After a block that was validated into working_ could not be written: working_ goes back
  // to the published state, and the next SyncLocked replays what etcd holds since.
  void RollBackLocked() SWARM_REQUIRES(chain_mu_);
  // Applies blocks state.height+1 .. height from etcd to `state`; stops at a bad one.
  Status Replay(State& state, uint64_t height, Landed* landed = nullptr) SWARM_REQUIRES(chain_mu_);
  // Applies blocks state.height+1 .. to from `kvs` (read from etcd, in key order).
  Status ApplyStored(State& state, const std::vector<KeyValue>& kvs, uint64_t to, Landed* landed)
      SWARM_REQUIRES(chain_mu_);
  // After a lost append and RollBackLocked: applies what the failed transaction read (the head
  // key, the blocks after working_), or syncs if that was not all.
  Status CatchUpLocked(const std::vector<std::vector<KeyValue>>& reads, Landed* landed) SWARM_REQUIRES(chain_mu_);
  // Appends the group's valid submissions as one block; sets every writer's result.
  void CommitGroup(const std::vector<Writer*>& group);

  EtcdClient* etcd_;
  pki::TrustStore trust_;
  std::optional<pki::Signer> sn_;

  Mutex queue_mu_;  // never held during I/O
  std::deque<Writer*> queue_ SWARM_GUARDED_BY(queue_mu_);

  Mutex chain_mu_;                                                // guards the replica of the chain below
  State working_ SWARM_GUARDED_BY(chain_mu_) = State::Genesis();  // at block head_hash_
  Digest head_hash_ SWARM_GUARDED_BY(chain_mu_){};
  // mod_revision of the head key at working_ (0: no head yet)
  int64_t head_revision_ SWARM_GUARDED_BY(chain_mu_) = 0;
  bool published_ SWARM_GUARDED_BY(chain_mu_) = true;    // state_ is a copy of working_
  // Until then, other SNs are likely to append first (see kContention).
  std::chrono::steady_clock::time_point contended_until_ SWARM_GUARDED_BY(chain_mu_){};
  Digest published_hash_ SWARM_GUARDED_BY(chain_mu_){};  // the hash of the block state_ is at

  SharedRead<std::shared_ptr<const State>> sync_read_;  // Sync's readers share reads

  mutable Mutex snapshot_mu_;  // held briefly, also without chain_mu_
  std::shared_ptr<const State> state_ SWARM_GUARDED_BY(snapshot_mu_) =
      std::make_shared<const State>(State::Genesis());
};

}  // namespace swarm::ledger
