#pragma once

// The SN's API: submit signed transactions to the ledger, read contracts, nodes, tasks and
// taskrunners, keep nodes' liveness, let new SNs join, verify the chain.

#include <map>
#include <mutex>
#include <set>

#include "core/mutex.h"
#include "core/shared_read.h"
#include "ledger/store.h"
#include "pki/access_policy.h"
#include "sn/change_feed.h"
#include "sn/writer_link.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm::sn {

inline constexpr char kAlivePrefix[] = "/swarm/alive/";
inline constexpr std::chrono::seconds kLivenessTtl{10};
inline constexpr char kProgressPrefix[] = "/swarm/progress/";

// Who may call what on an SN (docs/security.md).
pki::AccessPolicy SnAccessPolicy();

class SnService final : public swarm::v1::SwarmNetwork::Service {
 public:
  // With `writer`, Submits go to the SN it names (writer_link.h); without, they are appended here.
  SnService(ledger::LedgerStore* store, ledger::EtcdClient* etcd, WriterLink* writer = nullptr);

  grpc::Status Submit(grpc::ServerContext*, const swarm::v1::SubmitRequest*,
                      swarm::v1::SubmitResponse*) override;
  grpc::Status ListContracts(grpc::ServerContext*, const swarm::v1::ListContractsRequest*,
                             swarm::v1::ListContractsResponse*) override;
  grpc::Status GetContract(grpc::ServerContext*, const swarm::v1::GetContractRequest*,
                           swarm::v1::ContractInfo*) override;
  grpc::Status ListNodes(grpc::ServerContext*, const swarm::v1::ListNodesRequest*,
                         swarm::v1::ListNodesResponse*) override;
  grpc::Status KeepAlive(grpc::ServerContext*, const swarm::v1::KeepAliveRequest*,
                         swarm::v1::KeepAliveResponse*) override;
  grpc::Status Join(grpc::ServerContext*, const swarm::v1::JoinRequest*, swarm::v1::JoinResponse*) override;
  grpc::Status Append(grpc::ServerContext*, const swarm::v1::SubmitRequest*, swarm::v1::SubmitResponse*) override;
  grpc::Status GetHead(grpc::ServerContext*, const swarm::v1::GetHeadRequest*, swarm::v1::SignedHead*) override;
  grpc::Status Verify(grpc::ServerContext*, const swarm::v1::VerifyRequest*,
                      swarm::v1::VerifyResponse*) override;
  grpc::Status ListBlocks(grpc::ServerContext*, const swarm::v1::ListBlocksRequest*,
                          swarm::v1::ListBlocksResponse*) override;

  // Training (sn_training.cc).
  grpc::Status GetTraining(grpc::ServerContext*, const swarm::v1::GetTrainingRequest*,
                           swarm::v1::TrainingInfo*) override;
  grpc::Status ReportProgress(grpc::ServerContext*, const swarm::v1::Progress*,
                              swarm::v1::ReportProgressResponse*) override;
  grpc::Status ListProgress(grpc::ServerContext*, const swarm::v1::ListProgressRequest*,
                            swarm::v1::ListProgressResponse*) override;

  // Tasks, taskrunners and the version (sn_tasks.cc).
  grpc::Status GetTask(grpc::ServerContext*, const swarm::v1::GetTaskRequest*, swarm::v1::TaskInfo*) override;
  grpc::Status ListTasks(grpc::ServerContext*, const swarm::v1::ListTasksRequest*,
                         swarm::v1::ListTasksResponse*) override;
  grpc::Status GetTaskRunner(grpc::ServerContext*, const swarm::v1::GetTaskRunnerRequest*,
                             swarm::v1::TaskRunnerInfo*) override;
  grpc::Status ListTaskRunners(grpc::ServerContext*, const swarm::v1::ListTaskRunnersRequest*,
                               swarm::v1::ListTaskRunnersResponse*) override;
  grpc::Status GetVersion(grpc::ServerContext*, const swarm::v1::GetVersionRequest*,
                          swarm::v1::VersionInfo*) override;

  // Marks `uid` alive now (the SN uses it for itself too).
  Status MarkAlive(const std::string& uid);

 private:
  // The caller's certificate must be the one that registered `uid`. Checked on the cached
  // state first (a uid's owner never changes); the ledger is read only for a uid not seen yet.
  Status RequireOwner(const grpc::ServerContext& ctx, const std::string& uid);
  // Live nodes: uid -> time of the last i-am-alive (ms since the epoch; 0 when the stored
  // time does not read as a number: the lease, not its value, says the node is alive).
  // Callers at the same time share one etcd read (core/shared_read.h).
  StatusOr<std::map<std::string, int64_t>> AliveNodes();
  // What a GetTraining answers may have changed when this changes: the head and the live uids.
  StatusOr<std::string> TrainingFingerprint();
  StatusOr<swarm::v1::TrainingInfo> TrainingOf(const std::string& contract);

  grpc::Status Append(const std::vector<swarm::v1::SignedTransaction>& txs, swarm::v1::SubmitResponse* out);

  // A forwarded Submit waits for the writer's append (30 s at most) and a little more.
  static constexpr std::chrono::seconds kForwardDeadline{35};

  ledger::LedgerStore* store_;
  ledger::EtcdClient* etcd_;
  WriterLink* writer_;
  std::mutex verify_mu_;  // one Verify at a time
  Mutex leases_mu_;  // never held during I/O
  std::map<std::string, int64_t> leases_ SWARM_GUARDED_BY(leases_mu_);  // uid -> etcd lease
  SharedRead<std::map<std::string, int64_t>> alive_read_;
  // The last TrainingInfo built, by the state and live set it was built from: a long poll's
  // waiters all wake on the same change and would each build the same answer.
  struct BuiltTraining {
    std::shared_ptr<const ledger::State> state;
    std::set<std::string> alive;
    swarm::v1::TrainingInfo info;
  };
  Mutex built_mu_;
  std::map<std::string, BuiltTraining> built_ SWARM_GUARDED_BY(built_mu_);  // by contract
  // A GetTraining's long poll waits on this (kProbeEvery: how soon it sees another SN's block
  // or an expired lease; this SN's own appends and new leases poke it at once).
  static constexpr std::chrono::milliseconds kProbeEvery{100};
  static constexpr std::chrono::milliseconds kMaxTrainingWait{5000};
  ChangeFeed feed_;
};

}  // namespace swarm::sn
