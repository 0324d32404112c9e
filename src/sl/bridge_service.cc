#include "sl/bridge_service.h"

#include "client/callback_options.h"
#include "core/log.h"
#include "pki/tls.h"
#include "sl/train_end.h"

namespace swarm::sl {
BridgeService::BridgeService(snapi::SnApi* sn, BlobStore* store, const pki::TlsIdentity* identity,
                             std::string uid, RoundOptions defaults, std::vector<ViewMount> ml_view,
                             std::filesystem::path private_dir)
    : sn_(sn),
      store_(store),
      identity_(identity),
      uid_(std::move(uid)),
      defaults_(std::move(defaults)),
      ml_view_(std::move(ml_view)),
      private_dir_(std::move(private_dir)) {}

// A round that failed: the user sees why in <program>_sw.log, the program gets the error.
grpc::Status BridgeService::Failed(const Status& s) {
  NoteError(user_log_.get(), "sync round failed: " + s.message());
  return pki::ToGrpcStatus(s);
}

UserLog* BridgeService::user_log() const {
  std::lock_guard lock(mu_);
  return user_log_.get();
}

bool BridgeService::delivered_final() const {
  std::lock_guard lock(mu_);
  return delivered_final_;
}

StatusOr<RoundDriver*> BridgeService::Driver() {
  if (!driver_) return FailedPrecondition("the ML program must say Hello before it syncs");
  return driver_.get();
}

grpc::Status BridgeService::Hello(grpc::ServerContext*, const swarm::v1::HelloRequest* req,
                                  swarm::v1::HelloResponse* out) {
  std::lock_guard lock(mu_);
  out->set_api_version(kSlApiVersion);
  out->set_uid(uid_);
  out->set_blob_dir((store_->dir() / "incoming").string());
  if (req->api_version() != kSlApiVersion) {
    return pki::ToGrpcStatus(FailedPrecondition("the ML program speaks SL API version " +
                                                std::to_string(req->api_version()) +
                                                ", this SL speaks version " + std::to_string(kSlApiVersion) +
                                                "; use a client of the same Swarm release"));
  }
  if (Status s = ValidateCallbackOptions(req->options()); !s.ok()) return pki::ToGrpcStatus(s);
  std::error_code ec;
  std::filesystem::create_directories(store_->dir() / "incoming", ec);
  options_ = req->options();
  program_ = req->program_name().empty() ? "ml" : req->program_name();
  if (!req->model_dir().empty()) {
    // The program names its model directory as it sees it; the log goes where that is here.
    auto user_log = UserLog::Open(HostPathOf(req->model_dir(), ml_view_, private_dir_), program_);
    if (!user_log.ok()) return pki::ToGrpcStatus(user_log.status());
    user_log_ = std::move(*user_log);
  }
  RoundOptions o = defaults_;
  o.contract = options_.training_contract();
  o.min_peers = static_cast<uint32_t>(options_.min_peers());
  o.weight = static_cast<uint32_t>(options_.node_weightage());
  o.merge_method = options_.merge_method();
  driver_ = std::make_unique<RoundDriver>(sn_, store_, identity_, uid_, o, user_log_.get());
  Note(user_log_.get(), "ML program '" + program_ + "' connected to SL " + uid_ + ": contract " + o.contract +
                            ", minPeers " + std::to_string(o.min_peers) + ", nodeWeightage " +
                            std::to_string(o.weight) + ", mergeMethod " + o.merge_method +
                            ", checkinModelOnTrainEnd " + options_.checkin_model_on_train_end());
  return grpc::Status::OK;
}

grpc::Status BridgeService::Sync(grpc::ServerContext*, const swarm::v1::SyncRequest* req,
                                 swarm::v1::SyncResponse* out) {
  std::lock_guard lock(mu_);
  auto driver = Driver();
  if (!driver.ok()) return pki::ToGrpcStatus(driver.status());
  auto local = store_->Adopt(req->blob_path());
  if (!local.ok()) return pki::ToGrpcStatus(local.status().WithContext("the ML program's model"));
  auto r = (*driver)->Sync(*local, false);
  if (!r.ok()) return Failed(r.status());
  if (r->contributed) ++rounds_done_;
  out->set_blob_path(store_->PathOf(r->merged).string());
  out->set_round(r->round);
  out->set_contributed(r->contributed);
  return grpc::Status::OK;
}

grpc::Status BridgeService::TrainEnd(grpc::ServerContext*, const swarm::v1::TrainEndRequest* req,
                                     swarm::v1::SyncResponse* out) {
  std::lock_guard lock(mu_);
  auto driver = Driver();
  if (!driver.ok()) return pki::ToGrpcStatus(driver.status());
  auto local = store_->Adopt(req->blob_path());
  if (!local.ok()) return pki::ToGrpcStatus(local.status().WithContext("the ML program's final model"));
  if (Status s = (*driver)->Finish(); !s.ok()) return pki::ToGrpcStatus(s);
  const std::string mode = options_.checkin_model_on_train_end();
  Note(user_log_.get(), "local training finished; taking part in the remaining rounds as '" + mode + "'");
  std::optional<Digest> latest_merged;
  while (true) {
    auto r = (*driver)->Sync(TrainEndContribution(mode, *local, latest_merged), true);
    if (!r.ok()) return Failed(r.status());
    latest_merged = r->merged;
    if (r->final) {
      out->set_blob_path(store_->PathOf(r->merged).string());
      out->set_round(r->round);
      out->set_contributed(r->contributed);
      delivered_final_ = true;
      Note(user_log_.get(),
           "final model of round " + std::to_string(r->round) + " delivered to the ML program");
      return grpc::Status::OK;
    }
  }
}

grpc::Status BridgeService::ReportProgress(grpc::ServerContext*, const swarm::v1::ProgressRequest* req,
                                           swarm::v1::ProgressResponse*) {
  swarm::v1::Progress p;
  {
    std::lock_guard lock(mu_);
    p.set_contract(options_.training_contract());
    p.set_total_epochs(static_cast<uint32_t>(options_.total_epochs()));
    p.set_rounds_done(rounds_done_);
  }
  p.set_uid(uid_);
  p.set_loss(req->loss());
  p.set_metric(req->metric());
  p.set_epochs_done(req->epochs_done());
  return pki::ToGrpcStatus(sn_->ReportProgress(p));
}

}  // namespace swarm::sl
