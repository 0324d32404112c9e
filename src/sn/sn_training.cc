// The SN API's training calls: a contract's sync rounds (from the ledger) with its
// members' liveness, and training progress (soft state in etcd, not on the chain).

#include "core/clock.h"
#include "ledger/training.h"
#include "pki/tls.h"
#include "sn/sn_service.h"

namespace swarm::sn {
namespace {

void Fill(const ledger::Round& r, swarm::v1::RoundInfo* out) {
  out->set_number(r.number);
  for (const auto& [uid, c] : r.checkins) *out->add_checkins() = c.checkin;
  out->set_closed(r.closed);
  out->set_final(r.final);
  for (const auto& uid : r.leaders) out->add_leaders(uid);
  if (r.closed) out->set_leader(r.leader());
  out->set_merged_digest(r.merged_digest);
  out->set_merged_endpoint(r.merged_endpoint);
  out->set_merged_by(r.merged_by);
  out->set_required_peers(ledger::RequiredPeers(r));
  out->set_contributors(static_cast<uint32_t>(ledger::Contributors(r)));
}

}  // namespace

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
  const ledger::Training& t = it->second.training;
  out->set_contract(req->contract());
  Fill(t.current, out->mutable_current());
  if (t.last) Fill(*t.last, out->mutable_last());
  for (const auto& [uid, finished] : t.members) {
    auto* m = out->add_members();
    m->set_uid(uid);
    m->set_finished(finished);
    m->set_alive(alive->count(uid) > 0);
  }
  out->set_done(t.done);
  *out->mutable_schema() = t.schema;
  out->set_schema_digest(t.schema_digest);
  out->set_schema_set_by(t.schema_uid);
  out->set_resets(it->second.resets);
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
