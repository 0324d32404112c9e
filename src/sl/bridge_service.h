#pragma once

// The channel between an ML program and its SL: gRPC over a Unix domain socket. The
// program's SwarmCallback says hello (API versions must match), hands over its model as a
// blob file at every sync point, and loads the merged model the SL hands back.

#include <memory>

#include "core/mutex.h"
#include "sl/ml_view.h"
#include "sl/round_driver.h"
#include "swarm/v1/sl.grpc.pb.h"

namespace swarm::sl {

// Bumped on any incompatible change of sl.proto's SwarmLearning service.
inline constexpr uint32_t kSlApiVersion = 1;
// How long Hello tries to fetch the merged model a program resumes from (the client's
// Hello deadline is 60 s).
inline constexpr std::chrono::milliseconds kResumeWait{std::chrono::seconds(30)};

class BridgeService final : public swarm::v1::SwarmLearning::Service {
 public:
  // `defaults` carries what the SL decides (endpoint, deadlines); Hello adds the program's options.
  // `ml_view` maps the program's paths to this host's (ml_view.h); `private_dir` holds its
  // <program>_sw.log when its model directory is private to its view.
  BridgeService(snapi::SnApi* sn, BlobStore* store, PeerFetcher* peers, std::string uid,
                RoundOptions defaults, std::vector<ViewMount> ml_view = {},
                std::filesystem::path private_dir = {});

  grpc::Status Hello(grpc::ServerContext*, const swarm::v1::HelloRequest*,
                     swarm::v1::HelloResponse*) override;
  grpc::Status Sync(grpc::ServerContext*, const swarm::v1::SyncRequest*, swarm::v1::SyncResponse*) override;
  grpc::Status TrainEnd(grpc::ServerContext*, const swarm::v1::TrainEndRequest*,
                        swarm::v1::SyncResponse*) override;
  grpc::Status ReportProgress(grpc::ServerContext*, const swarm::v1::ProgressRequest*,
                              swarm::v1::ProgressResponse*) override;

  // True once the program has received the final model.
  bool delivered_final() const;
  // The training contract the program named in its latest Hello; empty before one.
  std::string contract() const;
  // The program's <program>_sw.log, once it said Hello with a model directory.
  UserLog* user_log() const;
  // Ends a sync in progress, and refuses those to come, with `reason` (the program is gone,
  // the SL stops). Does not wait for the call: its handler returns within a poll interval.
  void Stop(std::string reason);

 private:
  StatusOr<RoundDriver*> Driver() SWARM_REQUIRES(call_mu_);
  grpc::Status Failed(const Status& s);
  // Why the call of `ctx` must end now, or empty.
  std::string StopReason(grpc::ServerContext* ctx) const;

  snapi::SnApi* sn_;
  BlobStore* store_;
  PeerFetcher* peers_;
  std::string uid_;
  RoundOptions defaults_;
  std::vector<ViewMount> ml_view_;
  std::filesystem::path private_dir_;

  // One program, one call at a time: Hello, Sync and TrainEnd hold call_mu_ for the whole
  // call (a sync may wait long); mu_ guards what others read meanwhile, briefly.
  Mutex call_mu_;
  std::unique_ptr<RoundDriver> driver_ SWARM_GUARDED_BY(call_mu_);
  std::string program_ SWARM_GUARDED_BY(call_mu_);
  mutable Mutex mu_;
  // Replaced by a second Hello; the log it replaces stays open (a pointer to it may be in use).
  std::unique_ptr<UserLog> user_log_ SWARM_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<UserLog>> retired_logs_ SWARM_GUARDED_BY(mu_);
  swarm::v1::CallbackOptions options_ SWARM_GUARDED_BY(mu_);
  uint64_t rounds_done_ SWARM_GUARDED_BY(mu_) = 0;
  bool delivered_final_ SWARM_GUARDED_BY(mu_) = false;
  std::string stop_reason_ SWARM_GUARDED_BY(mu_);
};

}  // namespace swarm::sl
