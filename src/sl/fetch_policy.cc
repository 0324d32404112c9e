#include "sl/fetch_policy.h"

#include <algorithm>
#include <optional>

namespace swarm::sl {

FetchPolicy::FetchPolicy(snapi::SnApi* sn, std::function<std::string()> contract)
    : sn_(sn), contract_(std::move(contract)) {}

StatusOr<bool> FetchPolicy::OwnsOneOf(const std::string& fingerprint, const std::vector<std::string>& uids) {
  const auto check = [&]() -> std::optional<bool> {  // nullopt: an owner not known yet
    MutexLock lock(mu_);
    bool all_known = true;
    for (const auto& uid : uids) {
      auto it = owners_.find(uid);
      if (it == owners_.end()) {
        all_known = false;
      } else if (it->second == fingerprint) {
        return true;
      }
    }
    return all_known ? std::optional<bool>(false) : std::nullopt;
  };
  if (std::optional<bool> known = check()) return *known;
  ASSIGN_OR_RETURN(swarm::v1::ListNodesResponse nodes, sn_->ListNodes());
  {
    MutexLock lock(mu_);
    for (const auto& n : nodes.nodes()) {
      if (!n.owner_fingerprint().empty()) owners_[n.record().uid()] = n.owner_fingerprint();
    }
  }
  return check().value_or(false);  // a uid the SN does not list has no owner to match
}

StatusOr<bool> FetchPolicy::TookPart(const pki::PeerIdentity& caller, const swarm::v1::RoundInfo& round) {
  std::vector<std::string> participants;
  for (const auto& c : round.checkins()) participants.push_back(c.uid());
  return OwnsOneOf(caller.fingerprint, participants);
}

void FetchPolicy::Saw(const swarm::v1::TrainingInfo& t) {
  auto copy = std::make_shared<const swarm::v1::TrainingInfo>(t);
  MutexLock lock(mu_);
  // A state that has a record (a merged round, or the round past a shard's) judges it.
  std::erase_if(recorded_, [&](const Record& r) {
    return r.shard ? t.current().number() > r.round : t.has_last() && t.last().number() >= r.round;
  });
  seen_ = std::move(copy);
}

void FetchPolicy::Recorded(const Digest& digest, bool shard, uint64_t round) {
  MutexLock lock(mu_);
  recorded_.push_back({std::string(digest.view()), shard, round});
}

Status FetchPolicy::Allow(const pki::PeerIdentity& caller, const Digest& digest) {
  const std::string contract = contract_();
  if (contract.empty()) {
    return PermissionDenied("this SL takes part in no training yet, so it serves no blob to '" +
                            caller.common_name + "'");
  }
  std::shared_ptr<const swarm::v1::TrainingInfo> seen;
  std::optional<Record> recorded;
  {
    MutexLock lock(mu_);
    if (seen_ && seen_->contract() == contract) seen = seen_;
    for (const Record& r : recorded_) {
      if (r.digest == digest.view()) recorded = r;
    }
  }
  if (recorded && !recorded->shard) return Status::Ok();  // a merged model: every SL's
  if (recorded && seen && seen->current().number() == recorded->round) {
    StatusOr<bool> participant = TookPart(caller, seen->current());
    if (participant.ok() && *participant) return Status::Ok();
  }
  if (seen && Judge(*seen, caller, digest).ok()) return Status::Ok();
  StatusOr<swarm::v1::TrainingInfo> t = sn_->GetTraining(contract);
  if (!t.ok()) {
    return Unavailable("cannot check who may fetch blob " + digest.Hex() + ": reading training '" + contract +
                       "' failed: " + t.status().message());
  }
  Saw(*t);
  return Judge(*t, caller, digest);
}

Status FetchPolicy::Judge(const swarm::v1::TrainingInfo& t, const pki::PeerIdentity& caller,
                          const Digest& digest) {
  const std::string& contract = t.contract();
  const std::string who = "'" + caller.common_name + "'";
  const std::string bytes(digest.view());
  if (t.has_last() && t.last().merged_digest() == bytes) return Status::Ok();
  const auto has_shard = [&](const swarm::v1::RoundInfo& r) {
    return std::any_of(r.shards().begin(), r.shards().end(),
                       [&](const auto& s) { return s.digest() == bytes; });
  };
  const auto has_contribution = [&](const swarm::v1::RoundInfo& r) {
    return std::any_of(r.checkins().begin(), r.checkins().end(),
                       [&](const auto& c) { return c.model_digest() == bytes; });
  };
  // A contribution to the current round, or a merged shard of it or of the round just
  // merged (its participants may still be gathering it): for that round's participants.
  const bool current = has_contribution(t.current()) || has_shard(t.current());
  if (!current && !(t.has_last() && has_shard(t.last()))) {
    return PermissionDenied(
        "blob " + digest.Hex() +
        " is neither a contribution to the current round, nor a merged shard, nor the latest "
        "merged model of training '" +
        contract + "': this file server does not serve it");
  }
  const auto& round = current ? t.current() : t.last();
  ASSIGN_OR_RETURN(const bool participant, TookPart(caller, round));
  if (participant) return Status::Ok();
  return PermissionDenied(who + " registered no participant of round " + std::to_string(round.number()) +
                          " of training '" + contract + "': only they may fetch its contributions");
}

}  // namespace swarm::sl
