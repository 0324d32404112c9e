#pragma once

// The sync-round state machine of a training contract (docs/rounds.md): check-ins, closing
// a round, leader order and failover, the merge record, the end of training. Pure contract
// code like contracts.h: no clock, no I/O. What needs a clock (grace periods, deadlines,
// liveness) is judged by the SL nodes, which then submit the transaction; these rules only
// check that the transaction is valid on the chain's state.

#include "core/status.h"
#include "ledger/round_rules.h"
#include "ledger/state.h"
#include "ledger/transaction.h"
#include "pki/trust_store.h"

namespace swarm::ledger {

Status ApplyCheckIn(State& state, const swarm::v1::CheckIn& c, const pki::PeerIdentity& signer,
                    uint64_t height);
Status ApplyCloseRound(State& state, const swarm::v1::CloseRound& c, const pki::PeerIdentity& signer,
                       uint64_t height);
Status ApplyReplaceLeader(State& state, const swarm::v1::ReplaceLeader& r, const pki::PeerIdentity& signer);
// In a sharded round every participant that has gathered all the shards may record the
// merged model (the first one does; the others find it merged); else only the leader.
Status ApplyRecordMerge(State& state, const swarm::v1::RecordMerge& m, const pki::PeerIdentity& signer,
                        uint64_t height);
// A shard's merge, by its current merger. With left_out, the round stops being sharded.
Status ApplyRecordShard(State& state, const swarm::v1::RecordShard& m, const pki::PeerIdentity& signer);
// Opens the latest merged round again when its merged model is lost (its leader gone, no
// participant serving it): only a participant other than its merger may ask, naming the
// lost digest, and only while no node but the merger contributes to the next round (one
// that does holds the model). The next round's check-ins are dropped; the next leader
// after the one that merged it leads.
Status ApplyRedoRound(State& state, const swarm::v1::RedoRound& r, const pki::PeerIdentity& signer);
Status ApplyFinishTraining(State& state, const swarm::v1::FinishTraining& f, const pki::PeerIdentity& signer);

// The quorum a round needs: the largest minPeers among its check-ins (0 with none). The
// first round of a training needs at least the largest start quorum too (SL_START_QUORUM:
// all the nodes a launcher configured), so that no node that starts a moment late misses
// the start; later rounds close with minPeers.
uint32_t RequiredPeers(const Round& round);
// Whether that quorum is the start quorum's, larger than every minPeers.
bool StartQuorumRules(const Round& round);
// How many check-ins contribute a model.
size_t Contributors(const Round& round);

// How many shards a round that closes now is cut in (1: none, the leader merges). Only when
// every participant merges shards (CheckIn.shard_bytes > 0) and the round's method, its
// first leader's, works coordinate by coordinate (mean, coordmedian): then one shard per
// at least the largest shard_bytes of payload, at most one per participant and kMaxShards.
inline constexpr size_t kMaxShards = 64;
size_t ShardCount(const Training& t, const Round& r, const std::string& method);

// The leader order of round `number` among `uids` (sorted): rotated by the round number,
// so leadership moves around the participants from round to round.
std::vector<std::string> LeaderOrder(std::vector<std::string> uids, uint64_t number);

}  // namespace swarm::ledger
