// The SN API's task calls: the task registry and the taskrunners as the ledger has them,
// with the enrolled SWOPs' liveness (soft state in etcd, not on the chain), and the SN's
// version.

#include "core/clock.h"
#include "core/version.h"
#include "ledger/views.h"
#include "ledger/taskrunners.h"
#include "ledger/tasks.h"
#include "pki/tls.h"
#include "sn/sn_service.h"

namespace swarm::sn {
namespace {

constexpr uint32_t kApiVersion = 1;

std::set<std::string> Uids(const std::map<std::string, int64_t>& alive) {
  std::set<std::string> out;
  for (const auto& [uid, ms] : alive) out.insert(uid);
  return out;
}

}  // namespace

grpc::Status SnService::GetTask(grpc::ServerContext*, const swarm::v1::GetTaskRequest* req,
                                swarm::v1::TaskInfo* out) {
  auto state = store_->Sync();
  if (!state.ok()) return pki::ToGrpcStatus(state.status());
  auto task = ledger::FindTask(**state, req->name());
  if (!task.ok()) return pki::ToGrpcStatus(task.status());
  *out = ledger::TaskInfoOf(**task, /*with_body=*/true);
  return grpc::Status::OK;
}

grpc::Status SnService::ListTasks(grpc::ServerContext*, const swarm::v1::ListTasksRequest*,
                                  swarm::v1::ListTasksResponse* out) {
  auto state = store_->Sync();
  if (!state.ok()) return pki::ToGrpcStatus(state.status());
  for (const auto& [name, task] : (*state)->tasks) *out->add_tasks() = ledger::TaskInfoOf(task, false);
  return grpc::Status::OK;
}

grpc::Status SnService::GetTaskRunner(grpc::ServerContext*, const swarm::v1::GetTaskRunnerRequest* req,
                                      swarm::v1::TaskRunnerInfo* out) {
  auto state = store_->Sync();
  if (!state.ok()) return pki::ToGrpcStatus(state.status());
  auto tr = ledger::FindTaskRunner(**state, req->name());
  if (!tr.ok()) return pki::ToGrpcStatus(tr.status());
  auto alive = AliveNodes();
  if (!alive.ok()) return pki::ToGrpcStatus(alive.status());
  *out = ledger::TaskRunnerInfoOf(**tr, Uids(*alive), /*with_peers=*/true);
  return grpc::Status::OK;
}

grpc::Status SnService::ListTaskRunners(grpc::ServerContext*, const swarm::v1::ListTaskRunnersRequest*,
                                        swarm::v1::ListTaskRunnersResponse* out) {
  auto state = store_->Sync();
  if (!state.ok()) return pki::ToGrpcStatus(state.status());
  // The states shown fold liveness in, as GetTaskRunner's do.
  auto alive = AliveNodes();
  if (!alive.ok()) return pki::ToGrpcStatus(alive.status());
  const std::set<std::string> uids = Uids(*alive);
  for (const auto& [name, tr] : (*state)->task_runners) {
    *out->add_task_runners() = ledger::TaskRunnerInfoOf(tr, uids, /*with_peers=*/false);
  }
  return grpc::Status::OK;
}

grpc::Status SnService::GetVersion(grpc::ServerContext*, const swarm::v1::GetVersionRequest*,
                                   swarm::v1::VersionInfo* out) {
  out->set_version(kVersion);
  out->set_api_version(kApiVersion);
  out->set_now_unix_ms(UnixMillis());
  return grpc::Status::OK;
}

}  // namespace swarm::sn
