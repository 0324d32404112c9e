#include "ledger/store.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <random>
#include <thread>

#include "core/clock.h"

namespace swarm::ledger {
namespace {

// Appends race with other SNs'. A loser learns the blocks that beat it from the failed
// transaction itself and retries at once; only after several losses in a row does it pause,
// for a random time that grows with each loss (so writers spread out instead of colliding
// again), until a deadline. (Pausing from the first loss, with a second read to catch up,
// starved the SNs whose etcd member was not Raft's leader: that SN's writes always came first.)
constexpr auto kAppendDeadline = std::chrono::seconds(30);
constexpr int kRetriesWithoutPause = 3;
constexpr auto kTransientGrace = std::chrono::seconds(8);
// After a loss the store expects more for this long: it snapshots its state before each
// block, so that losing rolls back that block alone (instead of to the last reader's snapshot,
// with every block since to replay).
constexpr auto kContention = std::chrono::seconds(5);
// Blocks a failed append reads back to catch up; further behind, it syncs.
constexpr int64_t kCatchUpBlocks = 64;

void Backoff(int losses, std::mt19937& rng) {
  const int cap_ms = std::min(50, 2 << std::min(losses, 5));
  std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, cap_ms)(rng)));
}

}  // namespace

std::string BlockKey(uint64_t height) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(height));
  return kBlockPrefix + std::string(buf);
}

namespace {

// A submitted transaction, opened before the time of its block was known.
struct Prechecked {
  const swarm::v1::SignedTransaction* signed_tx;
  OpenedTransaction opened;
};

}  // namespace

struct LedgerStore::Writer {
  const std::vector<swarm::v1::SignedTransaction>* txs;
  // `txs`, opened in the caller's thread: their signatures are checked there, in parallel
  // and outside the group's critical section, which then checks only that each signer's
  // certificate is valid at the block's time (a cached verdict).
  std::vector<Prechecked> opened;
  size_t bytes = 0;
  StatusOr<Appended> result = Unavailable("not committed");
  bool done = false;
  std::condition_variable cv;
};

namespace {

// The head key's height; a value that is not one is damage to report, not an exception.
StatusOr<uint64_t> ParseHead(const std::optional<KeyValue>& head) {
  if (!head) return 0;
  uint64_t height = 0;
  const std::string& v = head->value;
  const auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), height);
  if (err != std::errc() || end != v.data() + v.size() || v.empty()) {
    return DataLoss("ledger is damaged: its head key '" + std::string(kHeadKey) + "' holds '" +
                    v.substr(0, 40) + "', not a block height");
  }
  return height;
}

}  // namespace

Status LedgerStore::SyncLocked(Landed* landed) {
  ASSIGN_OR_RETURN(std::optional<KeyValue> head, etcd_->Get(kHeadKey));
  ASSIGN_OR_RETURN(const uint64_t height, ParseHead(head));
  if (height < working_.height) {
    // Blocks are only ever added: a shorter chain was truncated or rolled back behind us.
    return DataLoss("ledger is damaged: its head went back from block " + std::to_string(working_.height) +
                    " to block " + std::to_string(height) +
                    " (the store was truncated or rolled back behind this SN)");
  }
  if (height > working_.height) {
    // Replay the new blocks, reading them a batch per request. A block is applied whole or
    // not at all, so on a bad one working_ stays at the last good block.
    published_ = false;
    RETURN_IF_ERROR(Replay(working_, height, landed));
  }
  head_revision_ = head ? head->mod_revision : 0;
  return Status::Ok();
}

Status LedgerStore::Replay(State& state, uint64_t height, Landed* landed) {
  constexpr uint64_t kBatch = 256;
  while (state.height < height) {
    const uint64_t to = std::min(height, state.height + kBatch);
    ASSIGN_OR_RETURN(std::vector<KeyValue> kvs, etcd_->GetRange(BlockKey(state.height + 1), BlockKey(to + 1)));
    RETURN_IF_ERROR(ApplyStored(state, kvs, to, landed));
  }
  return Status::Ok();
}

Status LedgerStore::ApplyStored(State& state, const std::vector<KeyValue>& kvs, uint64_t to, Landed* landed) {
  const uint64_t from = state.height + 1;
  for (uint64_t h = from; h <= to; ++h) {
    const size_t i = h - from;
    if (i >= kvs.size() || kvs[i].key != BlockKey(h)) {
      return DataLoss("ledger is damaged: block " + std::to_string(h) + " is missing");
    }
    swarm::v1::Block block;
    if (!block.ParseFromString(kvs[i].value)) {
      return DataLoss("ledger is damaged: block " + std::to_string(h) + " does not parse");
    }
    Status s = ApplyBlock(state, head_hash_, block, trust_);
    if (!s.ok()) return DataLoss("ledger is damaged at height " + std::to_string(h) + ": " + s.message());
    head_hash_ = *Digest::FromBytes(block.hash());  // checked (or made) just above
    if (landed) {
      for (const auto& tx : block.transactions()) (*landed)[tx.signature()] = Appended{h, head_hash_};
    }
  }
  return Status::Ok();
}

Status LedgerStore::CatchUpLocked(const std::vector<std::vector<KeyValue>>& reads, Landed* landed) {
  // reads[0]: the head key; reads[1]: the blocks after working_, at most kCatchUpBlocks.
  if (reads.size() != 2 || reads[0].size() != 1) return SyncLocked(landed);
  ASSIGN_OR_RETURN(const uint64_t height, ParseHead(reads[0][0]));
  if (height < working_.height || height > working_.height + reads[1].size()) return SyncLocked(landed);
  published_ = false;
  RETURN_IF_ERROR(ApplyStored(working_, reads[1], height, landed));
  head_revision_ = reads[0][0].mod_revision;
  return Status::Ok();
}

void LedgerStore::PublishLocked() {
  if (published_) return;
  auto snapshot = std::make_shared<const State>(working_);
  {
    MutexLock lock(snapshot_mu_);
    state_ = std::move(snapshot);
  }
  published_hash_ = head_hash_;
  published_ = true;
}

void LedgerStore::RollBackLocked() {
  working_ = *Cached();
  head_hash_ = published_hash_;
  head_revision_ = -1;  // unknown: the next write must follow a SyncLocked
  published_ = true;
}

std::shared_ptr<const State> LedgerStore::Cached() const {
  MutexLock lock(snapshot_mu_);
  return state_;
}

StatusOr<std::shared_ptr<const State>> LedgerStore::Sync() {
  return sync_read_.Get([this]() -> StatusOr<std::shared_ptr<const State>> {
    MutexLock lock(chain_mu_);
    Status s = SyncLocked();
    PublishLocked();  // up to the last good block, also when a later one is bad
    RETURN_IF_ERROR(s);
    return Cached();
  });
}

StatusOr<Appended> LedgerStore::Submit(const std::vector<swarm::v1::SignedTransaction>& txs) {
  Writer w;
  w.txs = &txs;
  const auto now = std::chrono::system_clock::now();
  for (size_t i = 0; i < txs.size(); ++i) {
    StatusOr<OpenedTransaction> opened = OpenTransaction(txs[i], trust_, now);
    if (!opened.ok()) {  // as the group would refuse it (ApplyOpened's context)
      return txs.size() == 1 ? opened.status()
                             : opened.status().WithContext("transaction " + std::to_string(i));
    }
    w.opened.push_back({&txs[i], std::move(opened).value()});
    w.bytes += txs[i].ByteSizeLong();
  }
  MutexLock lock(queue_mu_);
  queue_.push_back(&w);
  while (!w.done && queue_.front() != &w) lock.Wait(w.cv);
  if (w.done) return std::move(w.result);

  // The leader: take what is queued, up to a block's limits (always at least itself).
  std::vector<Writer*> group;
  size_t count = 0, bytes = 0;
  for (Writer* x : queue_) {
    if (!group.empty() &&
        (count + x->txs->size() > kMaxBlockTransactions || bytes + x->bytes > kMaxBlockBytes)) {
      break;
    }
    group.push_back(x);
    count += x->txs->size();
    bytes += x->bytes;
  }
  lock.Unlock();
  CommitGroup(group);
  lock.Lock();
  for (Writer* x : group) {
    queue_.pop_front();
    x->done = true;
    if (x != &w) x->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();  // the next leader
  return std::move(w.result);
}

void LedgerStore::CommitGroup(const std::vector<Writer*>& group) {
  MutexLock lock(chain_mu_);
  if (!sn_) {
    for (Writer* w : group)
      w->result = FailedPrecondition("this ledger store only reads: it has no SN key to sign blocks");
    return;
  }
  std::mt19937 rng(std::random_device{}());
  const auto deadline = std::chrono::steady_clock::now() + kAppendDeadline;
  std::vector<Writer*> pending = group;  // not yet appended or refused for good
  // Transactions found in blocks read while retrying: a write that failed ambiguously (a
  // timeout during an etcd election) may have landed, and its callers are told where.
  Landed landed;
  const auto settle = [&] {
    std::erase_if(pending, [&](Writer* w) {
      std::optional<Appended> where;
      for (const auto& tx : *w->txs) {
        auto it = landed.find(tx.signature());
        if (it == landed.end() || (where && where->height != it->second.height)) return false;
        where = it->second;
      }
      if (where) w->result = *where;
      return where.has_value();
    });
  };
  std::optional<std::chrono::steady_clock::time_point> give_up;  // after a transient failure
  // A failure that may pass (etcd electing a leader): retried for kTransientGrace, then told.
  const auto transient = [&](const Status& s) {
    const auto now = std::chrono::steady_clock::now();
    if (!give_up) give_up = now + kTransientGrace;
    if (s.code() == StatusCode::kUnavailable && now < *give_up) return true;
    for (Writer* w : pending) w->result = s;
    return false;
  };
  for (int attempt = 0; std::chrono::steady_clock::now() < deadline; ++attempt) {
    if (attempt >= kRetriesWithoutPause) Backoff(attempt - kRetriesWithoutPause, rng);
    if (head_revision_ < 0) {
      if (Status s = SyncLocked(&landed); !s.ok()) {
        if (transient(s)) continue;
        return;
      }
      settle();
      if (pending.empty()) return;
    }
    if (std::chrono::steady_clock::now() < contended_until_) PublishLocked();
    // Validate each submission on top of those before it, exactly as every replay of the
    // block will apply them, so a block that would not replay is never written. They are
    // applied to working_ in place (each submission whole or not at all) and rolled back if
    // the block is not written. (The first attempt trusts the cached head: if another SN
    // appended, the compare-and-swap fails and the next attempt syncs.) Signatures were
    // checked in Submit; what depends on the block's time, the signers' certificates, is
    // checked here at that time.
    const auto timestamp = static_cast<uint64_t>(UnixMillis());
    const uint64_t height = working_.height + 1;
    const auto at = BlockTime(timestamp);
    std::vector<swarm::v1::SignedTransaction> accepted;
    std::vector<Writer*> members;
    const auto recheck = [&](const Prechecked& p) -> StatusOr<OpenedTransaction> {
      RETURN_IF_ERROR(pki::VerifySigner(trust_, p.signed_tx->signer_cert_pem(), at).status());
      return p.opened;
    };
    for (Writer* w : pending) {
      const auto& txs = *w->txs;
      if (Status s = ApplyOpened(working_, w->opened, recheck, height, ""); !s.ok()) {
        w->result = s;
        continue;
      }
      accepted.insert(accepted.end(), txs.begin(), txs.end());
      members.push_back(w);
    }
    if (members.empty()) return;  // nothing was applied
    published_ = false;
    StatusOr<swarm::v1::Block> made = MakeBlock(height, head_hash_, timestamp, std::move(accepted), *sn_);
    if (!made.ok()) {
      RollBackLocked();
      for (Writer* w : members) w->result = made.status();
      return;
    }
    swarm::v1::Block block = std::move(made).value();
    // Never write a block a replay would refuse: with this SN's certificate expired (by its
    // own clock) every SN would stop at it.
    if (Status own = CheckBlockSignature(block, trust_); !own.ok()) {
      RollBackLocked();
      for (Writer* w : members) {
        w->result =
            FailedPrecondition("this SN cannot sign blocks: " + own.message() + "; nothing was written");
      }
      return;
    }
    // Should another SN have appended first, the failed transaction reads what this store
    // will need after rolling back: the head, and the blocks since the published state.
    const uint64_t rollback_height = Cached()->height;
    auto written = etcd_->PutIfModRevision(
        kHeadKey, head_revision_, {{BlockKey(height), block.SerializeAsString()}, {kHeadKey, std::to_string(height)}},
        {{kHeadKey, ""}, {BlockKey(rollback_height + 1), PrefixEnd(kBlockPrefix), kCatchUpBlocks}});
    if (!written.ok()) {  // it may still have been written: sync (and see) before a retry
      RollBackLocked();
      if (transient(written.status())) continue;
      return;
    }
    if (!written->revision) {  // another SN appended first: catch up and validate again
      RollBackLocked();
      contended_until_ = std::chrono::steady_clock::now() + kContention;
      if (Status s = CatchUpLocked(written->reads, &landed); !s.ok()) {
        if (transient(s)) continue;
        return;
      }
      settle();
      if (pending.empty()) return;
      continue;
    }
    working_.height = height;
    head_hash_ = *Digest::FromBytes(block.hash());  // checked (or made) just above
    head_revision_ = *written->revision;
    for (Writer* w : members) w->result = Appended{height, head_hash_};
    return;
  }
  for (Writer* w : pending) {
    w->result = Unavailable("could not append to the ledger within " +
                            std::to_string(kAppendDeadline.count()) + " s: other SNs kept appending first");
  }
}

Status LedgerStore::CheckHead(uint64_t blocks) {
  ASSIGN_OR_RETURN(std::optional<KeyValue> head, etcd_->Get(kHeadKey));
  ASSIGN_OR_RETURN(const uint64_t height, ParseHead(head));
  if (height != blocks) {
    return DataLoss("ledger is damaged: its head key names block " + std::to_string(height) + " but " +
                    std::to_string(blocks) + " blocks are stored");
  }
  return Status::Ok();
}

std::pair<uint64_t, Digest> LedgerStore::Head() {
  MutexLock lock(chain_mu_);
  return {working_.height, head_hash_};
}

StatusOr<swarm::v1::SignedHead> LedgerStore::SignedHead() {
  if (!sn_) return FailedPrecondition("this ledger store only reads: it has no SN key to sign its head");
  const auto [height, hash] = Head();
  return MakeSignedHead(height, hash, *sn_);
}

Status LedgerStore::CheckHeadInStore() {
  const auto [height, hash] = Head();
  if (height == 0) return Status::Ok();
  ASSIGN_OR_RETURN(const Digest stored, HashAt(height));
  if (stored == hash) return Status::Ok();
  return DataLoss("ledger is damaged: block " + std::to_string(height) + " in the store (hash " +
                  stored.Hex().substr(0, 16) + "…) is not the block this SN applied there (hash " +
                  hash.Hex().substr(0, 16) + "…): history was rewritten behind this SN");
}

Status LedgerStore::CompareHead(const swarm::v1::SignedHead& theirs) {
  ASSIGN_OR_RETURN(const pki::PeerIdentity who, CheckSignedHead(theirs, trust_));
  if (theirs.height() == 0 || theirs.height() > Head().first) return Status::Ok();
  ASSIGN_OR_RETURN(const Digest ours, HashAt(theirs.height()));
  const Digest their_hash = *Digest::FromBytes(theirs.hash());  // CheckSignedHead checked its size
  if (ours == their_hash) return Status::Ok();
  return DataLoss("the ledgers diverged: SN '" + who.common_name + "' vouches for block " +
                  std::to_string(theirs.height()) + " with hash " + their_hash.Hex().substr(0, 16) +
                  "…, this SN's ledger holds hash " + ours.Hex().substr(0, 16) + "… there");
}

StatusOr<Digest> LedgerStore::HashAt(uint64_t height) {
  ASSIGN_OR_RETURN(std::optional<KeyValue> kv, etcd_->Get(BlockKey(height)));
  if (!kv) return NotFound("the ledger has no block " + std::to_string(height));
  swarm::v1::Block b;
  std::optional<Digest> d;
  if (b.ParseFromString(kv->value)) d = Digest::FromBytes(b.hash());
  if (!d) return DataLoss("ledger is damaged: block " + std::to_string(height) + " does not parse");
  return *d;
}

namespace {

StatusOr<std::vector<swarm::v1::Block>> ParseBlocks(const std::vector<KeyValue>& kvs) {
  std::vector<swarm::v1::Block> blocks;
  for (const KeyValue& kv : kvs) {
    swarm::v1::Block b;
    if (!b.ParseFromString(kv.value)) return DataLoss("ledger block '" + kv.key + "' does not parse");
    blocks.push_back(std::move(b));
  }
  return blocks;
}

}  // namespace

StatusOr<std::vector<swarm::v1::Block>> LedgerStore::LoadChain() {
  ASSIGN_OR_RETURN(std::vector<KeyValue> kvs, etcd_->GetPrefix(kBlockPrefix));
  return ParseBlocks(kvs);
}

StatusOr<std::vector<swarm::v1::Block>> LedgerStore::LoadBlocks(uint64_t from, uint64_t to) {
  if (from >= to) return std::vector<swarm::v1::Block>();
  ASSIGN_OR_RETURN(std::vector<KeyValue> kvs, etcd_->GetRange(BlockKey(from), BlockKey(to)));
  return ParseBlocks(kvs);
}

}  // namespace swarm::ledger
