#pragma once

// Blocks and the chain: hashing, signing transactions, and replaying a chain with every
// hash and signature checked (what `swarm sn verify` runs).

#include <optional>
#include <string_view>
#include <vector>

#include "core/sha256.h"
#include "ledger/contracts.h"
#include "ledger/transaction.h"
#include "pki/signer.h"

namespace swarm::ledger {

// SHA-256 over the block's height, prev_hash, timestamp and every transaction's bytes,
// certificate and signature, each length-prefixed: independent of protobuf's encoding.
Digest BlockHash(const swarm::v1::Block& block);

// A block of `transactions` after `prev_hash`, its hash signed by `sn` (an SN's key).
StatusOr<swarm::v1::Block> MakeBlock(uint64_t height, const Digest& prev_hash, uint64_t timestamp_unix_ms,
                                     std::vector<swarm::v1::SignedTransaction> transactions,
                                     const pki::Signer& sn);

// Applies `txs` (any range) in order, each opened by `open` (giving a
// StatusOr<OpenedTransaction>), all or none: on error `state` is unchanged and the status
// names the transaction as `where` + "transaction I" (without `where`, only when there are
// several). Copies the state only when there are several.
template <typename Transactions, typename Open>
Status ApplyOpened(State& state, const Transactions& txs, Open&& open, uint64_t height,
                   std::string_view where) {
  const auto context = [&](size_t i) { return std::string(where) + "transaction " + std::to_string(i); };
  const auto apply = [&](State& s, const auto& tx) -> Status {
    ASSIGN_OR_RETURN(OpenedTransaction opened, open(tx));
    return Apply(s, opened.tx, opened.signer, height);
  };
  if (txs.size() == 0) return Status::Ok();
  if (txs.size() == 1) {  // Apply leaves the state as it was on error: no copy needed
    Status s = apply(state, *txs.begin());
    return s.ok() || where.empty() ? s : s.WithContext(context(0));
  }
  State next = state;
  size_t i = 0;
  for (const auto& tx : txs) RETURN_IF_ERROR(apply(next, tx).WithContext(context(i++)));
  state = std::move(next);
  return Status::Ok();
}

// ApplyOpened for signed transactions, each opened (signature and certificate checked) at `at`.
template <typename Transactions>
Status ApplyTransactions(State& state, const Transactions& txs, const pki::TrustStore& trust,
                         std::chrono::system_clock::time_point at, uint64_t height, std::string_view where) {
  const auto open = [&](const swarm::v1::SignedTransaction& tx) { return OpenTransaction(tx, trust, at); };
  return ApplyOpened(state, txs, open, height, where);
}

// The time a block was made, at which its transactions' certificates are judged.
inline std::chrono::system_clock::time_point BlockTime(uint64_t timestamp_unix_ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(timestamp_unix_ms));
}

// That the block's hash is signed by a trusted SN (role sn) at the block's time.
Status CheckBlockSignature(const swarm::v1::Block& block, const pki::TrustStore& trust);

// Applies the block on top of `state` if it is the next one (height, prev_hash), its hash
// is right and signed by an SN the capath trusts, and every transaction verifies and
// applies; otherwise `state` is unchanged and the status says what is wrong.
Status ApplyBlock(State& state, const Digest& head_hash, const swarm::v1::Block& block,
                  const pki::TrustStore& trust);

// What an SN signs to vouch for its head: SHA-256 over a label, the height and the hash.
Digest HeadDigest(uint64_t height, const Digest& hash);
StatusOr<swarm::v1::SignedHead> MakeSignedHead(uint64_t height, const Digest& hash, const pki::Signer& sn);
// That `head` is signed by a trusted SN (role sn, valid now); returns that SN.
StatusOr<pki::PeerIdentity> CheckSignedHead(const swarm::v1::SignedHead& head, const pki::TrustStore& trust);

struct ChainReport {
  uint64_t blocks = 0;  // blocks that verified
  std::optional<uint64_t> first_bad_height;
  std::string reason;  // why that block is bad
  State state;         // as of the last good block
};

// Replays `blocks` (in order, from height 1) from the genesis state.
ChainReport VerifyChain(const std::vector<swarm::v1::Block>& blocks, const pki::TrustStore& trust);

}  // namespace swarm::ledger
