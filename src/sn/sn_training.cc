// The SN API's training calls: a contract's sync rounds (from the ledger) with its
// members' liveness, and training progress (soft state in etcd, not on the chain).

#include "core/clock.h"
#include "ledger/views.h"
#include "pki/tls.h"
#include "sn/sn_service.h"

namespace swarm::sn {

grpc::Status SnService::GetTraining(grpc::ServerContext*, const swarm::v1::GetTrainingRequest* req,
                                    swarm::v1::TrainingInfo* out) {
  auto state = store_->Sync();
  if (!state.ok()) return pki::ToGrpcStatus(state.status());
  auto it = (*state)->contracts.find(req->contract());
  if (it == (*state)->contracts.end()) {
    return pki::ToGrpcStatus(
        NotFound("no contract named '" + req->contract() + "'; SWCI creates it with CREATE CONTRACT"));
  }
  auto alive = AliveNodes();
  if (!alive.ok()) return pki::ToGrpcStatus(alive.status());
  std::set<std::string> alive_uids;
  for (const auto& [uid, since] : *alive) alive_uids.insert(uid);
  *out = ledger::TrainingInfoOf(it->second, alive_uids);
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
