#pragma once

// An SL's connection to its SN: signed transactions, liveness, training state, progress.
// Every call has a deadline; errors name the SN and the call.

#include <memory>
#include <string>

#include "pki/signer.h"
#include "pki/tls.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm::sl {

class SnClient {
 public:
  SnClient(const pki::TlsIdentity& identity, pki::Signer signer, std::string target);

  const std::string& target() const { return target_; }
  Status Health();
  // Signs `tx` (timestamped now) with the node's key and submits it; returns the block height.
  StatusOr<uint64_t> Submit(swarm::v1::Transaction tx);
  Status KeepAlive(const std::string& uid);
  StatusOr<swarm::v1::TrainingInfo> GetTraining(const std::string& contract);
  Status ReportProgress(const swarm::v1::Progress& p);

 private:
  pki::Signer signer_;
  std::string target_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<swarm::v1::SwarmNetwork::Stub> stub_;
};

}  // namespace swarm::sl
