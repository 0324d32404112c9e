// The SN API's training calls: a contract's sync rounds (from the ledger) with its
// members' liveness, and training progress (soft state in etcd, not on the chain).

#include "core/clock.h"
#include "core/sha256.h"
#include "ledger/views.h"
#include "pki/tls.h"
#include "sn/sn_service.h"

namespace swarm::sn {

StatusOr<swarm::v1::TrainingInfo> SnService::TrainingOf(const std::string& contract) {
  ASSIGN_OR_RETURN(std::shared_ptr<const ledger::State> state, store_->Sync());
  auto it = state->contracts.find(contract);
  if (it == state->contracts.end()) {
    return NotFound("no contract named '" + contract + "'; SWCI creates it with CREATE CONTRACT");
  }
  ASSIGN_OR_RETURN(const auto alive, AliveNodes());
  std::set<std::string> alive_uids;
  for (const auto& [uid, since] : alive) alive_uids.insert(uid);
  {
    MutexLock lock(built_mu_);
    if (auto b = built_.find(contract); b != built_.end() && b->second.state == state && b->second.alive == alive_uids) {
      return b->second.info;
    }
  }
  swarm::v1::TrainingInfo info = ledger::TrainingInfoOf(it->second, alive_uids);
  const std::string bytes = info.SerializeAsString();
  info.set_version(std::string(Sha256::Of(std::as_bytes(std::span(bytes))).view()));
  MutexLock lock(built_mu_);
  if (built_.size() > 64) built_.clear();  // contracts no longer asked for go
  built_[contract] = {std::move(state), std::move(alive_uids), info};
  return info;
}

StatusOr<std::string> SnService::TrainingFingerprint() {
  RETURN_IF_ERROR(store_->Sync().status());
  const auto [height, hash] = store_->Head();
  ASSIGN_OR_RETURN(const auto alive, AliveNodes());
  std::string print = std::to_string(height) + ":" + std::string(hash.view());
  for (const auto& [uid, since] : alive) print += "\n" + uid;
  return print;
}

grpc::Status SnService::GetTraining(grpc::ServerContext* ctx, const swarm::v1::GetTrainingRequest* req,
                                    swarm::v1::TrainingInfo* out) {
  // A long poll reads the feed's version before the training, so that a change after the
  // read moves the version past the one it waits on.
  const bool waits = req->wait_ms() > 0 && !req->unchanged_since().empty();
  uint64_t seen = waits ? feed_.version() : 0;
  auto info = TrainingOf(req->contract());
  if (waits && info.ok() && info->version() == req->unchanged_since()) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::min(std::chrono::milliseconds(req->wait_ms()), kMaxTrainingWait);
    while (true) {
      const uint64_t now = feed_.WaitPast(seen, deadline, [ctx] { return ctx->IsCancelled(); });
      if (now == seen) break;  // the deadline passed (or the caller left): unchanged
      seen = now;
      info = TrainingOf(req->contract());
      if (!info.ok() || info->version() != req->unchanged_since()) break;
    }
  }
  if (!info.ok()) return pki::ToGrpcStatus(info.status());
  *out = std::move(info).value();
  return grpc::Status::OK;
}

grpc::Status SnService::ReportProgress(grpc::ServerContext* ctx, const swarm::v1::Progress* req,
                                       swarm::v1::ReportProgressResponse*) {
  if (Status s = RequireOwner(*ctx, req->uid()); !s.ok()) return pki::ToGrpcStatus(s);
  swarm::v1::Progress p = *req;
  p.set_updated_unix_ms(UnixMillis());
  if (Status s = etcd_->Put(kProgressPrefix + req->uid(), p.SerializeAsString()); !s.ok()) {
    return pki::ToGrpcStatus(s);
  }
  return grpc::Status::OK;
}

grpc::Status SnService::ListProgress(grpc::ServerContext*, const swarm::v1::ListProgressRequest* req,
                                     swarm::v1::ListProgressResponse* out) {
  auto all = etcd_->GetPrefix(kProgressPrefix);
  if (!all.ok()) return pki::ToGrpcStatus(all.status());
  for (const auto& kv : *all) {
    swarm::v1::Progress p;
    if (!p.ParseFromString(kv.value)) continue;
    if (req->contract().empty() || p.contract() == req->contract()) *out->add_progress() = std::move(p);
  }
  return grpc::Status::OK;
}

}  // namespace swarm::sn
