#include "ledger/store.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <thread>

namespace swarm::ledger {
namespace {

uint64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Appends race with other SNs'; a loser re-reads and retries after a random pause that
// grows with each loss (so writers spread out instead of colliding again), until a deadline.
constexpr auto kAppendDeadline = std::chrono::seconds(30);

void Backoff(int attempt, std::mt19937& rng) {
  const int cap_ms = std::min(200, 2 << std::min(attempt, 7));
  std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, cap_ms)(rng)));
}

}  // namespace

std::string BlockKey(uint64_t height) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(height));
  return kBlockPrefix + std::string(buf);
}

Status LedgerStore::SyncLocked() {
  ASSIGN_OR_RETURN(std::optional<KeyValue> head, etcd_->Get(kHeadKey));
  const uint64_t height = head ? std::stoull(head->value) : 0;
  for (uint64_t h = state_.height + 1; h <= height; ++h) {
    ASSIGN_OR_RETURN(std::optional<KeyValue> kv, etcd_->Get(BlockKey(h)));
    if (!kv) return DataLoss("ledger is damaged: block " + std::to_string(h) + " is missing");
    swarm::v1::Block block;
    if (!block.ParseFromString(kv->value))
      return DataLoss("ledger is damaged: block " + std::to_string(h) + " does not parse");
    Status s = ApplyBlock(state_, head_hash_, block, trust_);
    if (!s.ok()) return DataLoss("ledger is damaged at height " + std::to_string(h) + ": " + s.message());
    head_hash_ = BlockHash(block);
  }
  return Status::Ok();
}

StatusOr<State> LedgerStore::Sync() {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(SyncLocked());
  return state_;
}

StatusOr<swarm::v1::Block> LedgerStore::Submit(const std::vector<swarm::v1::SignedTransaction>& txs) {
  std::lock_guard lock(mu_);
  std::mt19937 rng(std::random_device{}());
  const auto deadline = std::chrono::steady_clock::now() + kAppendDeadline;
  for (int attempt = 0; std::chrono::steady_clock::now() < deadline; ++attempt) {
    if (attempt > 0) Backoff(attempt, rng);
    RETURN_IF_ERROR(SyncLocked());
    ASSIGN_OR_RETURN(std::optional<KeyValue> head, etcd_->Get(kHeadKey));
    const int64_t head_revision = head ? head->mod_revision : 0;
    if ((head ? std::stoull(head->value) : 0) != state_.height) continue;  // moved between the two reads
    swarm::v1::Block block = MakeBlock(state_.height + 1, head_hash_, NowMs(), txs);
    // Each transaction first, for a refusal that names the transaction and not the
    // block; then the whole block exactly as every replay will see it, so a block that
    // would not replay is never written.
    State next = state_;
    const auto at =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(block.timestamp_unix_ms()));
    for (size_t i = 0; i < txs.size(); ++i) {
      const std::string which = txs.size() > 1 ? "transaction " + std::to_string(i) : "";
      auto opened = OpenTransaction(txs[i], trust_, at);
      if (!opened.ok()) return which.empty() ? opened.status() : opened.status().WithContext(which);
      Status s = Apply(next, opened->tx, opened->signer, block.height());
      if (!s.ok()) return which.empty() ? s : s.WithContext(which);
    }
    next = state_;
    RETURN_IF_ERROR(ApplyBlock(next, head_hash_, block, trust_));
    ASSIGN_OR_RETURN(bool appended,
                     etcd_->PutIfModRevision(kHeadKey, head_revision,
                                             {{BlockKey(block.height()), block.SerializeAsString()},
                                              {kHeadKey, std::to_string(block.height())}}));
    if (appended) {
      state_ = std::move(next);
      head_hash_ = BlockHash(block);
      return block;
    }
  }
  return Unavailable("could not append to the ledger within " + std::to_string(kAppendDeadline.count()) +
                     " s: other SNs kept appending first");
}

StatusOr<std::vector<swarm::v1::Block>> LedgerStore::LoadChain() {
  ASSIGN_OR_RETURN(std::vector<KeyValue> kvs, etcd_->GetPrefix(kBlockPrefix));
  std::vector<swarm::v1::Block> blocks;
  for (const KeyValue& kv : kvs) {
    swarm::v1::Block b;
    if (!b.ParseFromString(kv.value)) return DataLoss("ledger block '" + kv.key + "' does not parse");
    blocks.push_back(std::move(b));
  }
  return blocks;
}

}  // namespace swarm::ledger
