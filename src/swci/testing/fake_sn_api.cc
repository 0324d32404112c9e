#include "swci/testing/fake_sn_api.h"

namespace swarm::swci::testing {
namespace {

using swarm::v1::Transaction;

Status Apply(FakeSn& sn, const Transaction& tx) {
  switch (tx.body_case()) {
    case Transaction::kCreateContract: {
      const std::string& n = tx.create_contract().name();
      if (sn.contracts.count(n)) return AlreadyExists("contract '" + n + "' already exists");
      sn.contracts[n].set_name(n);
      sn.contracts[n].set_created_height(sn.submissions.size() + 1);
      sn.trainings[n].set_contract(n);
      return Status::Ok();
    }
    case Transaction::kResetContract: {
      const std::string& n = tx.reset_contract().name();
      if (!sn.contracts.count(n)) return NotFound("no contract '" + n + "'");
      sn.contracts[n].set_resets(sn.contracts[n].resets() + 1);
      return Status::Ok();
    }
    case Transaction::kCreateTask: {
      const auto& c = tx.create_task();
      if (sn.tasks.count(c.name())) return AlreadyExists("task '" + c.name() + "' already exists");
      auto& t = sn.tasks[c.name()];
      t.set_name(c.name());
      t.set_type(c.type());
      t.set_author(c.author());
      t.set_prereq(c.prereq());
      t.set_outcome(c.outcome());
      t.set_created_height(sn.submissions.size() + 1);
      return Status::Ok();
    }
    case Transaction::kAppendTaskBody: {
      const auto& a = tx.append_task_body();
      auto it = sn.tasks.find(a.name());
      if (it == sn.tasks.end()) return NotFound("no task named '" + a.name() + "'");
      if (it->second.finalized()) return FailedPrecondition("task '" + a.name() + "' is finalized");
      while (it->second.body_size() < static_cast<int>(a.idx())) it->second.add_body("");
      it->second.set_body(static_cast<int>(a.idx()) - 1, a.line());
      return Status::Ok();
    }
    case Transaction::kFinalizeTask: {
      auto it = sn.tasks.find(tx.finalize_task().name());
      if (it == sn.tasks.end()) return NotFound("no task named '" + tx.finalize_task().name() + "'");
      it->second.set_finalized(true);
      return Status::Ok();
    }
    case Transaction::kDeleteTask: {
      auto it = sn.tasks.find(tx.delete_task().name());
      if (it == sn.tasks.end()) return NotFound("no task named '" + tx.delete_task().name() + "'");
      if (it->second.finalized()) return FailedPrecondition("task is finalized");
      sn.tasks.erase(it);
      return Status::Ok();
    }
    case Transaction::kCreateTaskRunner: {
      const std::string& n = tx.create_task_runner().name();
      if (sn.task_runners.count(n)) return AlreadyExists("taskrunner '" + n + "' already exists");
      sn.task_runners[n].set_name(n);
      return Status::Ok();
    }
    case Transaction::kAssignTask: {
      const auto& a = tx.assign_task();
      auto tr = sn.task_runners.find(a.taskrunner());
      if (tr == sn.task_runners.end()) return NotFound("no taskrunner named '" + a.taskrunner() + "'");
      auto t = sn.tasks.find(a.task());
      if (t == sn.tasks.end()) return NotFound("no task named '" + a.task() + "'");
      if (!t->second.finalized()) return FailedPrecondition("task '" + a.task() + "' is not finalized");
      if (tr->second.state() == swarm::v1::TASK_STATE_ACTIVE) return FailedPrecondition("taskrunner is busy");
      auto& info = tr->second;
      info.set_task(a.task());
      info.set_task_type(t->second.type());
      info.set_peer_type(t->second.type() == "RUN_SWARM" ? "SL" : "SWOP");
      info.set_peers_needed(a.peers_needed());
      info.set_assignment(info.assignment() + 1);
      info.set_state(swarm::v1::TASK_STATE_ACTIVE);
      info.set_state_reason("0 of " + std::to_string(a.peers_needed()) + " completed");
      return Status::Ok();
    }
    case Transaction::kResetTaskRunner: {
      auto tr = sn.task_runners.find(tx.reset_task_runner().name());
      if (tr == sn.task_runners.end())
        return NotFound("no taskrunner named '" + tx.reset_task_runner().name() + "'");
      auto& info = tr->second;
      info.clear_task();
      info.clear_task_type();
      info.clear_peer_type();
      info.set_state(swarm::v1::TASK_STATE_UNSPECIFIED);
      info.set_resets(info.resets() + 1);
      return Status::Ok();
    }
    default: return Unimplemented("the fake SN does not apply this transaction");
  }
}

template <typename Map>
auto Lookup(const Map& m, const std::string& name, const std::string& what)
    -> StatusOr<typename Map::mapped_type> {
  const auto it = m.find(name);
  if (it == m.end()) return NotFound("no " + what + " named '" + name + "'");
  return it->second;
}

class FakeSnApi final : public snapi::SnApi {
 public:
  FakeSnApi(FakeSn& sn, std::string target) : sn_(sn), target_(std::move(target)) {}
  std::string target() const override { return target_; }
  Status Health() override { return sn_.health; }
  StatusOr<uint64_t> Submit(std::vector<swarm::v1::Transaction> txs) override {
    FakeSn copy = sn_;  // all or nothing
    for (const auto& tx : txs) RETURN_IF_ERROR(Apply(copy, tx));
    copy.submissions.push_back(txs);
    sn_ = std::move(copy);
    return sn_.submissions.size();
  }
  Status KeepAlive(const std::string&) override { return Status::Ok(); }
  StatusOr<swarm::v1::ListNodesResponse> ListNodes() override {
    swarm::v1::ListNodesResponse r;
    for (const auto& n : sn_.nodes) *r.add_nodes() = n;
    return r;
  }
  StatusOr<swarm::v1::VersionInfo> GetVersion() override { return sn_.version; }
  StatusOr<swarm::v1::ListContractsResponse> ListContracts() override {
    swarm::v1::ListContractsResponse r;
    for (const auto& [n, c] : sn_.contracts) *r.add_contracts() = c;
    return r;
  }
  StatusOr<swarm::v1::ContractInfo> GetContract(const std::string& name) override {
    return Lookup(sn_.contracts, name, "contract");
  }
  StatusOr<swarm::v1::TrainingInfo> GetTraining(const std::string& contract) override {
    return Lookup(sn_.trainings, contract, "contract");
  }
  Status ReportProgress(const swarm::v1::Progress& p) override {
    sn_.progress.push_back(p);
    return Status::Ok();
  }
  StatusOr<swarm::v1::ListProgressResponse> ListProgress(const std::string& contract) override {
    swarm::v1::ListProgressResponse r;
    for (const auto& p : sn_.progress) {
      if (contract.empty() || p.contract() == contract) *r.add_progress() = p;
    }
    return r;
  }
  StatusOr<swarm::v1::TaskInfo> GetTask(const std::string& name) override {
    return Lookup(sn_.tasks, name, "task");
  }
  StatusOr<swarm::v1::ListTasksResponse> ListTasks() override {
    swarm::v1::ListTasksResponse r;
    for (const auto& [n, t] : sn_.tasks) {
      auto* out = r.add_tasks();
      *out = t;
      out->clear_body();
    }
    return r;
  }
  StatusOr<swarm::v1::TaskRunnerInfo> GetTaskRunner(const std::string& name) override {
    ++sn_.get_task_runner_calls;
    if (!sn_.next_get_task_runner_error.ok()) {
      Status s = sn_.next_get_task_runner_error;
      sn_.next_get_task_runner_error = Status::Ok();
      return s;
    }
    if (sn_.on_get_task_runner) sn_.on_get_task_runner(sn_);
    return Lookup(sn_.task_runners, name, "taskrunner");
  }
  StatusOr<swarm::v1::ListTaskRunnersResponse> ListTaskRunners() override {
    swarm::v1::ListTaskRunnersResponse r;
    for (const auto& [n, tr] : sn_.task_runners) {
      auto* out = r.add_task_runners();
      *out = tr;
      out->clear_peers();
    }
    return r;
  }
  StatusOr<swarm::v1::JoinResponse> Join(const swarm::v1::JoinRequest&) override {
    return Unimplemented("Join is not for SWCI");
  }
  StatusOr<swarm::v1::VerifyResponse> Verify() override {
    ++sn_.verify_calls;
    return sn_.verify;
  }
  StatusOr<swarm::v1::ListBlocksResponse> ListBlocks(uint32_t limit, uint64_t) override {
    swarm::v1::ListBlocksResponse r;
    r.set_height(sn_.submissions.size());
    for (auto b = sn_.blocks.rbegin(); b != sn_.blocks.rend() && r.blocks_size() < static_cast<int>(limit);
         ++b) {
      *r.add_blocks() = *b;
    }
    return r;
  }

 private:
  FakeSn& sn_;
  std::string target_;
};

}  // namespace

FakeSn::FakeSn() {
  version.set_version("0.1.0");
  version.set_api_version(1);
  contracts["defaultbb.cqdb.sml.hpe"].set_name("defaultbb.cqdb.sml.hpe");
  trainings["defaultbb.cqdb.sml.hpe"].set_contract("defaultbb.cqdb.sml.hpe");
  task_runners["defaulttaskbb.taskdb.sml.hpe"].set_name("defaulttaskbb.taskdb.sml.hpe");
  auto& root = tasks["ROOTTASK"];
  root.set_name("ROOTTASK");
  root.set_finalized(true);
}

std::unique_ptr<snapi::SnApi> MakeFakeSnApi(FakeSn& sn, std::string target) {
  return std::make_unique<FakeSnApi>(sn, std::move(target));
}

}  // namespace swarm::swci::testing
