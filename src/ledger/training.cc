#include "ledger/training.h"

#include <algorithm>

#include "core/sha256.h"
#include "ledger/contracts.h"

namespace swarm::ledger {
namespace {

std::string RoundName(const std::string& contract, uint64_t round) {
  return "round " + std::to_string(round) + " of contract '" + contract + "'";
}

// The uid must be an SL node registered by this very certificate: a node acts only for itself.
Status RequireOwnSl(const State& state, const std::string& uid, const pki::PeerIdentity& signer) {
  if (uid.empty()) return InvalidArgument("the transaction names no node uid");
  if (signer.role != pki::Role::kSl) {
    return PermissionDenied("only SL nodes take part in training; '" + signer.common_name + "' has role " +
                            std::string(pki::RoleName(signer.role)));
  }
  auto it = state.nodes.find(uid);
  if (it == state.nodes.end() || it->second.record.type() != swarm::v1::NODE_TYPE_SL) {
    return NotFound("no SL node with uid " + uid + " is registered; an SL registers before it trains");
  }
  return CheckNodeOwner(it->second, uid, signer);
}

StatusOr<Training*> TrainingOf(State& state, const std::string& contract) {
  auto it = state.contracts.find(contract);
  if (it == state.contracts.end()) {
    return NotFound("no contract named '" + contract + "'; SWCI creates it with CREATE CONTRACT");
  }
  if (it->second.training.done) {
    return FailedPrecondition("the training on contract '" + contract +
                              "' has finished; RESET CONTRACT starts a new one");
  }
  return &it->second.training;
}

// The round must be the contract's current one.
Status RequireCurrent(const Training& t, const std::string& contract, uint64_t round) {
  if (round != t.current.number) {
    return FailedPrecondition(RoundName(contract, round) +
                              " is not the current round; the contract is at round " +
                              std::to_string(t.current.number));
  }
  return Status::Ok();
}

// The training whose current round `number` a transaction of SL node `uid` acts on, once
// that round is closed; `unclosed` says why an open round will not do.
StatusOr<Training*> ClosedCurrent(State& state, const std::string& uid, const std::string& contract,
                                  uint64_t number, const pki::PeerIdentity& signer, const std::string& unclosed) {
  RETURN_IF_ERROR(RequireOwnSl(state, uid, signer));
  ASSIGN_OR_RETURN(Training * t, TrainingOf(state, contract));
  RETURN_IF_ERROR(RequireCurrent(*t, contract, number));
  if (!t->current.closed) return FailedPrecondition(RoundName(contract, number) + " is not closed yet: " + unclosed);
  return t;
}

// Shard `index` of sharded round `r` (named `round`), or why there is none.
Status RequireShard(const Round& r, const std::string& round, uint32_t index) {
  if (r.shards.empty()) return FailedPrecondition(round + " is not sharded: its leader merges it whole");
  if (index >= r.shards.size()) {
    return InvalidArgument(round + " has " + std::to_string(r.shards.size()) + " shards; there is no shard " +
                           std::to_string(index));
  }
  return Status::Ok();
}

bool IsDigest(const std::string& d) { return d.size() == 32; }

// Every contribution to a training must have the same model schema: the first fixes it.
Status CheckSchema(Training& t, const swarm::v1::CheckIn& c) {
  if (!IsDigest(c.schema_digest())) {
    return InvalidArgument("a contributing check-in names its model's schema by digest (32 bytes)");
  }
  if (t.schema_digest.empty()) {
    if (c.schema().tensors_size() == 0 || SchemaDigest(c.schema()) != c.schema_digest()) {
      return InvalidArgument(
          "the first contribution to a training must carry its model schema, "
          "matching its schema digest");
    }
    t.schema = c.schema();
    t.schema_digest = c.schema_digest();
    t.schema_uid = c.uid();
    return Status::Ok();
  }
  if (c.schema_digest() != t.schema_digest) {
    return FailedPrecondition("node " + c.uid() +
                              "'s model has another schema than the training's, which node " + t.schema_uid +
                              " set: every node of a training must train the same model");
  }
  return Status::Ok();
}

}  // namespace

uint32_t RequiredPeers(const Round& round) {
  uint32_t need = 0;
  for (const auto& [uid, c] : round.checkins) {
    need = std::max(need, c.checkin.min_peers());
    if (round.number == 1) need = std::max(need, c.checkin.start_quorum());
  }
  return need;
}

bool StartQuorumRules(const Round& round) {
  uint32_t min_peers = 0;
  for (const auto& [uid, c] : round.checkins) min_peers = std::max(min_peers, c.checkin.min_peers());
  return RequiredPeers(round) > min_peers;
}

size_t Contributors(const Round& round) {
  return static_cast<size_t>(std::count_if(round.checkins.begin(), round.checkins.end(), [](const auto& kv) {
    return !kv.second.checkin.model_digest().empty();
  }));
}

std::vector<std::string> LeaderOrder(std::vector<std::string> uids, uint64_t number) {
  std::sort(uids.begin(), uids.end());
  if (!uids.empty())
    std::rotate(uids.begin(), uids.begin() + static_cast<long>((number - 1) % uids.size()), uids.end());
  return uids;
}

namespace {

uint64_t DTypeBytes(swarm::v1::DType dtype) {
  switch (dtype) {
    case swarm::v1::DTYPE_F64: return 8;
    case swarm::v1::DTYPE_F16:
    case swarm::v1::DTYPE_BF16: return 2;
    default: return 4;  // f32
  }
}

uint64_t PayloadBytes(const swarm::v1::ModelSchema& schema) {
  uint64_t total = 0;
  for (const auto& tensor : schema.tensors()) {
    uint64_t n = 1;
    for (uint64_t d : tensor.shape()) n *= d;
    total += n * DTypeBytes(tensor.dtype());
  }
  return total;
}

}  // namespace

size_t ShardCount(const Training& t, const Round& r, const std::string& method) {
  if (method != "mean" && method != "coordmedian") return 1;
  uint64_t piece = 0;
  for (const auto& [uid, c] : r.checkins) {
    if (c.checkin.shard_bytes() == 0) return 1;
    piece = std::max(piece, c.checkin.shard_bytes());
  }
  if (piece == 0) return 1;
  const uint64_t by_size = (PayloadBytes(t.schema) + piece - 1) / piece;
  return static_cast<size_t>(
      std::max<uint64_t>(1, std::min<uint64_t>({by_size, r.checkins.size(), kMaxShards})));
}

namespace {

// Fixes the participants (everyone checked in), the leader order and the shards.
void Close(Training& t, bool final, uint64_t height) {
  Round& r = t.current;
  std::vector<std::string> uids;
  for (const auto& [uid, checkin] : r.checkins) uids.push_back(uid);
  r.leaders = LeaderOrder(std::move(uids), r.number);
  r.leader_index = 0;
  r.closed = true;
  r.final = final;
  r.closed_height = height;
  const std::string& method = r.checkins.at(r.leaders[0]).checkin.merge_method();
  if (const size_t k = ShardCount(t, r, method); k > 1) {
    r.shards.assign(k, Shard{});
    r.merge_method = method;
  }
}

// What a transaction naming `uid` of `round` as a contributor it left out must satisfy.
Status CheckLeftOut(const Round& r, const std::string& round,
                    const google::protobuf::RepeatedPtrField<swarm::v1::LeftOut>& left_out) {
  for (const auto& l : left_out) {
    auto c = r.checkins.find(l.uid());
    if (c == r.checkins.end() || c->second.checkin.model_digest().empty()) {
      return InvalidArgument("the merge of " + round + " says it left out node " + l.uid() +
                             ", which did not contribute to it");
    }
    if (l.reason().size() > 1024) {
      return InvalidArgument("a left-out reason is at most 1024 bytes; got " +
                             std::to_string(l.reason().size()));
    }
  }
  return Status::Ok();
}

// A check-in completes its round when every member of the training is in and the round
// could close: the one that does may close it at once, final if every member has finished.
void CloseIfComplete(Training& t, uint64_t height) {
  Round& r = t.current;
  if (r.checkins.size() < RequiredPeers(r) || Contributors(r) == 0) return;
  bool all_finished = true;
  for (const auto& [uid, finished] : t.members) {
    if (!r.checkins.count(uid)) return;
    all_finished = all_finished && finished;
  }
  Close(t, all_finished, height);
}

}  // namespace

Status ApplyCheckIn(State& state, const swarm::v1::CheckIn& c, const pki::PeerIdentity& signer,
                    uint64_t height) {
  RETURN_IF_ERROR(RequireOwnSl(state, c.uid(), signer));
  ASSIGN_OR_RETURN(Training * t, TrainingOf(state, c.contract()));
  RETURN_IF_ERROR(RequireCurrent(*t, c.contract(), c.round()));
  const std::string round = RoundName(c.contract(), c.round());
  if (t->current.closed) return FailedPrecondition(round + " is closed; wait for the next round");
  if (t->current.checkins.count(c.uid()))
    return AlreadyExists("node " + c.uid() + " has already checked in to " + round);
  if (c.weight() < 1 || c.weight() > 100) {
    return InvalidArgument("nodeWeightage must be 1 to 100; got " + std::to_string(c.weight()));
  }
  if (c.min_peers() < 1)
    return InvalidArgument("minPeers must be at least 1; got " + std::to_string(c.min_peers()));
  if (c.start_quorum() > kMaxStartQuorum) {
    return InvalidArgument("SL_START_QUORUM must be at most " + std::to_string(kMaxStartQuorum) + "; got " +
                           std::to_string(c.start_quorum()));
  }
  if (c.merge_method() != "mean" && c.merge_method() != "coordmedian" && c.merge_method() != "geomedian") {
    return InvalidArgument("mergeMethod '" + c.merge_method() +
                           "' is not one of mean, coordmedian, geomedian");
  }
  if (!c.model_digest().empty()) {
    if (!IsDigest(c.model_digest())) return InvalidArgument("a model digest is 32 bytes (SHA-256)");
    if (c.fs_endpoint().empty())
      return InvalidArgument("a contributing node must name its file server endpoint");
    // A contribution may build on an older merged model than the round's (it came too late
    // for an earlier round): it is merged with a lower weight, up to kMaxStaleness behind.
    if (!MayContribute(c.base_round(), c.round())) {
      return FailedPrecondition(
          "node " + c.uid() + " builds on " +
          (c.base_round() == 0 ? std::string("no merged model")
                               : "the merged model of round " + std::to_string(c.base_round())) +
          ", but " + round + " builds on round " + std::to_string(c.round() - 1) +
          "'s, and a late contribution must build on a merged model at most " +
          std::to_string(kMaxStaleness) + " rounds behind: it must load the latest merged model first");
    }
  }
  if (!c.model_digest().empty()) RETURN_IF_ERROR(CheckSchema(*t, c));
  t->current.checkins[c.uid()] = CheckInRecord{c, height};
  t->members.emplace(c.uid(), false);
  if (c.close_when_complete()) CloseIfComplete(*t, height);
  return Status::Ok();
}

Status ApplyCloseRound(State& state, const swarm::v1::CloseRound& c, const pki::PeerIdentity& signer,
                       uint64_t height) {
  RETURN_IF_ERROR(RequireOwnSl(state, c.uid(), signer));
  ASSIGN_OR_RETURN(Training * t, TrainingOf(state, c.contract()));
  RETURN_IF_ERROR(RequireCurrent(*t, c.contract(), c.round()));
  Round& r = t->current;
  const std::string round = RoundName(c.contract(), c.round());
  if (r.closed) return AlreadyExists(round + " is already closed");
  if (!r.checkins.count(c.uid()))
    return FailedPrecondition("node " + c.uid() + " has not checked in to " + round);
  if (r.checkins.size() < RequiredPeers(r)) {
    return FailedPrecondition(
        round + " has " + std::to_string(r.checkins.size()) + " peers and needs " +
        std::to_string(RequiredPeers(r)) +
        (StartQuorumRules(r) ? " (SL_START_QUORUM: the nodes the training starts with)" : " (minPeers)"));
  }
  if (Contributors(r) == 0) {
    return FailedPrecondition(round + " has no contributing participant: at least one must not be inactive");
  }
  if (c.final()) {
    for (const auto& [uid, checkin] : r.checkins) {
      if (auto m = t->members.find(uid); m == t->members.end() || !m->second)
        return FailedPrecondition(round + " cannot be final: node " + uid + " is still training");
    }
  }
  Close(*t, c.final(), height);
  return Status::Ok();
}

Status ApplyReplaceLeader(State& state, const swarm::v1::ReplaceLeader& rl, const pki::PeerIdentity& signer) {
  ASSIGN_OR_RETURN(Training * t,
                   ClosedCurrent(state, rl.uid(), rl.contract(), rl.round(), signer, "it has no leader"));
  Round& r = t->current;
  const std::string round = RoundName(rl.contract(), rl.round());
  if (!r.checkins.count(rl.uid()))
    return PermissionDenied("node " + rl.uid() + " is not a participant of " + round);
  if (rl.has_shard()) {
    RETURN_IF_ERROR(RequireShard(r, round, rl.shard()));
    if (rl.failed_leader() != r.ShardMerger(rl.shard())) {
      return FailedPrecondition("the merger of shard " + std::to_string(rl.shard()) + " of " + round +
                                " is now " + r.ShardMerger(rl.shard()) + ", not " + rl.failed_leader());
    }
    Shard& shard = r.shards[rl.shard()];
    ++shard.step;
    shard.digest.clear();  // a recorded shard whose merger is gone is merged again
    shard.endpoint.clear();
    shard.merged_by.clear();
    return Status::Ok();
  }
  if (rl.failed_leader() != r.leader()) {
    return FailedPrecondition("the leader of " + round + " is now " + r.leader() + ", not " +
                              rl.failed_leader());
  }
  r.leader_index = (r.leader_index + 1) % r.leaders.size();
  return Status::Ok();
}

Status ApplyRecordMerge(State& state, const swarm::v1::RecordMerge& m, const pki::PeerIdentity& signer,
                        uint64_t height) {
  ASSIGN_OR_RETURN(Training * t,
                   ClosedCurrent(state, m.uid(), m.contract(), m.round(), signer, "nothing to merge"));
  Round& r = t->current;
  const std::string round = RoundName(m.contract(), m.round());
  if (!r.shards.empty()) {
    if (!r.checkins.count(m.uid()))
      return PermissionDenied("node " + m.uid() + " is not a participant of " + round);
    for (size_t i = 0; i < r.shards.size(); ++i) {
      if (r.shards[i].digest.empty()) {
        return FailedPrecondition("shard " + std::to_string(i) + " of " + round + " (merger " +
                                  r.ShardMerger(i) + ") is not recorded yet");
      }
    }
    if (m.left_out_size() > 0)
      return InvalidArgument(
          "a sharded round's merge leaves nothing out: its shards merged every contribution");
  } else if (m.uid() != r.leader()) {
    return PermissionDenied("only the leader of " + round + " (" + r.leader() + ") records its merge, not " +
                            m.uid());
  }
  if (!IsDigest(m.model_digest())) return InvalidArgument("a model digest is 32 bytes (SHA-256)");
  if (m.fs_endpoint().empty())
    return InvalidArgument("the merged model needs the file server that serves it");
  RETURN_IF_ERROR(CheckLeftOut(r, round, m.left_out()));
  r.left_out.assign(m.left_out().begin(), m.left_out().end());
  r.merged_digest = m.model_digest();
  r.merged_endpoint = m.fs_endpoint();
  r.merged_by = m.uid();
  r.merged_height = height;
  t->done = r.final;
  const uint64_t next = r.number + 1;
  t->previous = std::move(t->last);
  t->last = std::move(r);
  t->current = Round{};
  t->current.number = next;
  return Status::Ok();
}

Status ApplyRecordShard(State& state, const swarm::v1::RecordShard& m, const pki::PeerIdentity& signer) {
  ASSIGN_OR_RETURN(Training * t,
                   ClosedCurrent(state, m.uid(), m.contract(), m.round(), signer, "nothing to merge"));
  Round& r = t->current;
  const std::string round = RoundName(m.contract(), m.round());
  RETURN_IF_ERROR(RequireShard(r, round, m.shard()));
  if (m.uid() != r.ShardMerger(m.shard())) {
    return PermissionDenied("only the merger of shard " + std::to_string(m.shard()) + " of " + round + " (" +
                            r.ShardMerger(m.shard()) + ") records it, not " + m.uid());
  }
  Shard& shard = r.shards[m.shard()];
  if (!shard.digest.empty())
    return AlreadyExists("shard " + std::to_string(m.shard()) + " of " + round + " is already recorded");
  if (m.left_out_size() > 0) {
    // Every shard must merge the same contributions: the leader merges the round whole.
    RETURN_IF_ERROR(CheckLeftOut(r, round, m.left_out()));
    r.shards.clear();
    r.merge_method.clear();
    return Status::Ok();
  }
  if (!IsDigest(m.digest())) return InvalidArgument("a shard digest is 32 bytes (SHA-256)");
  if (m.fs_endpoint().empty()) return InvalidArgument("a merged shard needs the file server that serves it");
  shard.digest = m.digest();
  shard.endpoint = m.fs_endpoint();
  shard.merged_by = m.uid();
  return Status::Ok();
}

Status ApplyRedoRound(State& state, const swarm::v1::RedoRound& rr, const pki::PeerIdentity& signer) {
  RETURN_IF_ERROR(RequireOwnSl(state, rr.uid(), signer));
  auto it = state.contracts.find(rr.contract());
  if (it == state.contracts.end()) {
    return NotFound("no contract named '" + rr.contract() + "'; SWCI creates it with CREATE CONTRACT");
  }
  Training& t = it->second.training;  // a lost final model reopens a finished training
  const std::string round = RoundName(rr.contract(), rr.round());
  if (!t.last || t.last->number != rr.round()) {
    return FailedPrecondition(round + " is not the contract's latest merged round" +
                              (t.last ? "; that is round " + std::to_string(t.last->number) : std::string()));
  }
  Round& last = *t.last;
  if (last.merged_digest != rr.lost_digest()) {
    return FailedPrecondition(round + " was merged again meanwhile: its merged model is another one now");
  }
  if (!last.checkins.count(rr.uid())) {
    return PermissionDenied("node " + rr.uid() + " is not a participant of " + round);
  }
  if (rr.uid() == last.merged_by) {
    return FailedPrecondition("node " + rr.uid() + " recorded the merge of " + round +
                              " itself: it holds the model");
  }
  // A node that contributes to the next round builds on the model, so holds it (the
  // merger aside: it is the one gone). Other check-ins there are dropped with the round.
  for (const auto& [uid, c] : t.current.checkins) {
    if (uid != last.merged_by && !c.checkin.model_digest().empty()) {
      return FailedPrecondition("node " + uid + " contributes to round " + std::to_string(t.current.number) +
                                " on the merged model of " + round + ", so holds it: fetch it from there");
    }
  }
  const auto merger = std::find(last.leaders.begin(), last.leaders.end(), last.merged_by);
  last.leader_index = merger == last.leaders.end()
                          ? 0
                          : static_cast<size_t>(merger - last.leaders.begin() + 1) % last.leaders.size();
  last.merged_digest.clear();
  last.merged_endpoint.clear();
  last.merged_by.clear();
  last.merged_height = 0;
  last.left_out.clear();
  last.shards.clear();  // merged again whole, by the next leader
  last.merge_method.clear();
  ++last.redos;
  t.current = std::move(last);
  t.last = std::move(t.previous);
  t.previous.reset();
  t.done = false;
  return Status::Ok();
}

Status ApplyFinishTraining(State& state, const swarm::v1::FinishTraining& f,
                           const pki::PeerIdentity& signer) {
  RETURN_IF_ERROR(RequireOwnSl(state, f.uid(), signer));
  ASSIGN_OR_RETURN(Training * t, TrainingOf(state, f.contract()));
  auto it = t->members.find(f.uid());
  if (it == t->members.end()) {
    return FailedPrecondition("node " + f.uid() + " has never checked in to contract '" + f.contract() +
                              "': there is no training of its to finish");
  }
  it->second = true;  // idempotent: a restarted node may say it again
  return Status::Ok();
}

}  // namespace swarm::ledger
