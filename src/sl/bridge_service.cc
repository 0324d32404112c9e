#include "sl/bridge_service.h"

#include "client/callback_options.h"
#include "core/log.h"
#include "pki/tls.h"
#include "sl/train_end.h"

namespace swarm::sl {
BridgeService::BridgeService(snapi::SnApi* sn, BlobStore* store, PeerFetcher* peers, std::string uid,
                             RoundOptions defaults, std::vector<ViewMount> ml_view,
                             std::filesystem::path private_dir)
    : sn_(sn),
      store_(store),
      peers_(peers),
      uid_(std::move(uid)),
      defaults_(std::move(defaults)),
      ml_view_(std::move(ml_view)),
      private_dir_(std::move(private_dir)) {}

// A round that failed: the user sees why in <program>_sw.log, the program gets the error.
grpc::Status BridgeService::Failed(const Status& s) {
  NoteError(user_log(), "sync round failed: " + s.message());
  return pki::ToGrpcStatus(s);
}

UserLog* BridgeService::user_log() const {
  MutexLock lock(mu_);
  return user_log_.get();
}

std::string BridgeService::contract() const {
  MutexLock lock(mu_);
  return options_.training_contract();
}

bool BridgeService::delivered_final() const {
  MutexLock lock(mu_);
  return delivered_final_;
}

void BridgeService::Stop(std::string reason) {
  MutexLock lock(mu_);
  if (stop_reason_.empty()) stop_reason_ = std::move(reason);
}

std::string BridgeService::StopReason(grpc::ServerContext* ctx) const {
  if (ctx && ctx->IsCancelled()) return "the ML program no longer waits for it (its call was cancelled)";
  MutexLock lock(mu_);
  return stop_reason_;
}

StatusOr<RoundDriver*> BridgeService::Driver() {
  if (!driver_) return FailedPrecondition("the ML program must say Hello before it syncs");
  return driver_.get();
}

grpc::Status BridgeService::Hello(grpc::ServerContext* ctx, const swarm::v1::HelloRequest* req,
                                  swarm::v1::HelloResponse* out) {
  MutexLock call(call_mu_);
  if (std::string why = StopReason(ctx); !why.empty()) return pki::ToGrpcStatus(Cancelled(why));
  out->set_api_version(kSlApiVersion);
  out->set_uid(uid_);
  out->set_blob_dir(store_->incoming().string());
  if (req->api_version() != kSlApiVersion) {
    return pki::ToGrpcStatus(FailedPrecondition("the ML program speaks SL API version " +
                                                std::to_string(req->api_version()) +
                                                ", this SL speaks version " + std::to_string(kSlApiVersion) +
                                                "; use a client of the same Swarm release"));
  }
  if (Status s = ValidateCallbackOptions(req->options()); !s.ok()) return pki::ToGrpcStatus(s);
  std::error_code ec;
  std::filesystem::create_directories(store_->incoming(), ec);
  const std::string& name = req->program_name();
  if (name.find('/') != std::string::npos || name == "." || name == "..") {
    return pki::ToGrpcStatus(InvalidArgument(
        "program_name '" + name + "' must be a file name without '/' (it names <program>_sw.log)"));
  }
  program_ = name.empty() ? "ml" : name;
  std::unique_ptr<UserLog> user_log;
  if (!req->model_dir().empty()) {
    // The program names its model directory as it sees it; the log goes where that is here.
    auto opened = UserLog::Open(HostPathOf(req->model_dir(), ml_view_, private_dir_), program_);
    if (!opened.ok()) return pki::ToGrpcStatus(opened.status());
    user_log = std::move(*opened);
  }
  const swarm::v1::CallbackOptions& options = req->options();
  RoundOptions o = defaults_;
  o.contract = options.training_contract();
  o.min_peers = static_cast<uint32_t>(options.min_peers());
  o.weight = static_cast<uint32_t>(options.node_weightage());
  o.merge_method = options.merge_method();
  driver_ = std::make_unique<RoundDriver>(sn_, store_, peers_, uid_, o, user_log.get());
  {
    // The file server serves this training's models from now on (sl/fetch_policy.h): peers
    // resuming at the same time may need them from here.
    MutexLock lock(mu_);
    options_ = options;
  }
  if (auto resume = driver_->Resume(kResumeWait)) {
    out->set_resume_blob_path(store_->PathOf(resume->merged).string());
    out->set_resume_round(resume->round);
  }
  Note(user_log.get(), "ML program '" + program_ + "' connected to SL " + uid_ + ": contract " + o.contract +
                           ", minPeers " + std::to_string(o.min_peers) + ", nodeWeightage " +
                           std::to_string(o.weight) + ", mergeMethod " + o.merge_method +
                           ", checkinModelOnTrainEnd " + options.checkin_model_on_train_end());
  MutexLock lock(mu_);
  if (user_log) {
    // A second Hello: the first log stays open, since others may still write to it.
    if (user_log_) retired_logs_.push_back(std::move(user_log_));
    user_log_ = std::move(user_log);
  }
  return grpc::Status::OK;
}

grpc::Status BridgeService::Sync(grpc::ServerContext* ctx, const swarm::v1::SyncRequest* req,
                                 swarm::v1::SyncResponse* out) {
  MutexLock call(call_mu_);
  auto driver = Driver();
  if (!driver.ok()) return pki::ToGrpcStatus(driver.status());
  auto local = store_->AdoptIncoming(req->blob_path());
  if (!local.ok()) return pki::ToGrpcStatus(local.status().WithContext("the ML program's model"));
  auto r = (*driver)->Sync(*local, false, [this, ctx] { return StopReason(ctx); });
  if (!r.ok()) return Failed(r.status());
  if (r->contributed) {
    MutexLock lock(mu_);
    ++rounds_done_;
  }
  out->set_blob_path(store_->PathOf(r->merged).string());
  out->set_round(r->round);
  out->set_contributed(r->contributed);
  return grpc::Status::OK;
}

grpc::Status BridgeService::TrainEnd(grpc::ServerContext* ctx, const swarm::v1::TrainEndRequest* req,
                                     swarm::v1::SyncResponse* out) {
  MutexLock call(call_mu_);
  auto driver = Driver();
  if (!driver.ok()) return pki::ToGrpcStatus(driver.status());
  auto local = store_->AdoptIncoming(req->blob_path());
  if (!local.ok()) return pki::ToGrpcStatus(local.status().WithContext("the ML program's final model"));
  if (Status s = (*driver)->Finish(); !s.ok()) return pki::ToGrpcStatus(s);
  const std::string mode = [this] {
    MutexLock lock(mu_);
    return options_.checkin_model_on_train_end();
  }();
  Note(user_log(), "local training finished; taking part in the remaining rounds as '" + mode + "'");
  std::optional<Digest> latest_merged;
  while (true) {
    auto r = (*driver)->Sync(TrainEndContribution(mode, *local, latest_merged), true,
                             [this, ctx] { return StopReason(ctx); });
    if (!r.ok()) return Failed(r.status());
    latest_merged = r->merged;
    if (r->final) {
      out->set_blob_path(store_->PathOf(r->merged).string());
      out->set_round(r->round);
      out->set_contributed(r->contributed);
      {
        MutexLock lock(mu_);
        delivered_final_ = true;
      }
      Note(user_log(), "final model of round " + std::to_string(r->round) + " delivered to the ML program");
      return grpc::Status::OK;
    }
  }
}

grpc::Status BridgeService::ReportProgress(grpc::ServerContext*, const swarm::v1::ProgressRequest* req,
                                           swarm::v1::ProgressResponse*) {
  swarm::v1::Progress p;
  {
    MutexLock lock(mu_);
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
