#pragma once

// The SWOP's agent: it watches its taskrunner on the ledger and runs each task assigned
// there, one at a time, reporting this SWOP's state (and, for RUN_SWARM, each SL/ML pair's)
// on the taskrunner contract. It restarts nothing by itself; a reset of the taskrunner
// stops what the task started. One thread owns all of its state.

#include <atomic>
#include <memory>

#include "snapi/sn_api.h"
#include "swop/task_run.h"

namespace swarm::swop {

struct AgentOptions {
  std::string taskrunner;
  std::chrono::milliseconds poll{1000};  // how often it reads the taskrunner
};

class Agent {
 public:
  Agent(snapi::SnApi* sn, TaskEnv env, AgentOptions options)
      : sn_(sn), env_(std::move(env)), o_(std::move(options)) {}
  ~Agent();

  // Runs turns until `stop`; then stops the task run, if one is going.
  void Run(const std::atomic<bool>& stop);
  // One turn: reads the taskrunner, then starts, advances or stops the task run.
  void Turn();
  bool running() const { return run_ != nullptr; }

 private:
  void StartRun(const swarm::v1::TaskRunnerInfo& info);
  void StopRun(const std::string& why);
  enum class Sent { kAccepted, kRefused, kUnsent };
  // Submits this SWOP's report on `assignment`. One that did not reach the ledger (no SN
  // answered) is kept and sent again each turn, before anything else: a report is never lost.
  Sent Report(swarm::v1::ReportTaskPeer report, uint64_t assignment);
  void Warn(const std::string& message);

  snapi::SnApi* sn_;
  TaskEnv env_;
  AgentOptions o_;
  std::unique_ptr<TaskRun> run_;
  uint64_t run_assignment_ = 0;  // the assignment run_ belongs to
  uint64_t handled_ = 0;         // the last assignment this SWOP took up (or could not)
  std::optional<swarm::v1::ReportTaskPeer> unsent_;  // the latest report no SN took
  uint64_t declined_ = 0;  // an assignment whose place this SWOP asked for and did not get
  std::string last_warning_;
};

}  // namespace swarm::swop
