#include "sl/fetch_policy.h"

namespace swarm::sl {

FetchPolicy::FetchPolicy(snapi::SnApi* sn, std::function<std::string()> contract)
    : sn_(sn), contract_(std::move(contract)) {}

StatusOr<std::string> FetchPolicy::OwnerOf(const std::string& uid) {
  {
    MutexLock lock(mu_);
    if (auto it = owners_.find(uid); it != owners_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(swarm::v1::ListNodesResponse nodes, sn_->ListNodes());
  MutexLock lock(mu_);
  for (const auto& n : nodes.nodes()) {
    if (!n.owner_fingerprint().empty()) owners_[n.record().uid()] = n.owner_fingerprint();
  }
  auto it = owners_.find(uid);
  return it == owners_.end() ? std::string() : it->second;
}

Status FetchPolicy::Allow(const pki::PeerIdentity& caller, const Digest& digest) {
  const std::string contract = contract_();
  const std::string who = "'" + caller.common_name + "'";
  if (contract.empty()) {
    return PermissionDenied("this SL takes part in no training yet, so it serves no blob to " + who);
  }
  StatusOr<swarm::v1::TrainingInfo> t = sn_->GetTraining(contract);
  if (!t.ok()) {
    return Unavailable("cannot check who may fetch blob " + digest.Hex() + ": reading training '" + contract +
                       "' failed: " + t.status().message());
  }
  const std::string bytes(digest.view());
  if (t->has_last() && t->last().merged_digest() == bytes) return Status::Ok();
  const auto& round = t->current();
  const bool contribution = std::any_of(round.checkins().begin(), round.checkins().end(),
                                        [&](const auto& c) { return c.model_digest() == bytes; });
  if (!contribution) {
    return PermissionDenied("blob " + digest.Hex() +
                            " is neither a contribution to the current round nor the latest merged model of "
                            "training '" +
                            contract + "': this file server does not serve it");
  }
  for (const auto& c : round.checkins()) {
    ASSIGN_OR_RETURN(std::string owner, OwnerOf(c.uid()));
    if (!owner.empty() && owner == caller.fingerprint) return Status::Ok();
  }
  return PermissionDenied(who + " registered no participant of round " + std::to_string(round.number()) +
                          " of training '" + contract + "': only they may fetch its contributions");
}

}  // namespace swarm::sl
