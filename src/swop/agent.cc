#include "swop/agent.h"

#include <thread>

#include "core/log.h"
#include "taskdef/task_def.h"

namespace swarm::swop {
namespace {
using swarm::v1::PeerState;

constexpr char kLog[] = "SWOP";

const swarm::v1::TaskRunnerPeer* FindPeer(const swarm::v1::TaskRunnerInfo& info, const std::string& uid) {
  for (const auto& p : info.peers()) {
    if (p.uid() == uid) return &p;
  }
  return nullptr;
}

}  // namespace

Agent::~Agent() {
  if (run_) StopRun("the SWOP is stopping");
}

void Agent::Run(const std::atomic<bool>& stop) {
  while (!stop) {
    Turn();
    const auto until = std::chrono::steady_clock::now() + o_.poll;
    while (!stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (run_) StopRun("the SWOP is stopping");
}

void Agent::Turn() {
  StatusOr<swarm::v1::TaskRunnerInfo> info = sn_->GetTaskRunner(o_.taskrunner);
  if (!info.ok()) {
    Warn("cannot read taskrunner '" + o_.taskrunner + "' from SN " + sn_->target() + ": " +
         info.status().message());
    return;
  }
  if (last_warning_.rfind("cannot read taskrunner", 0) == 0) last_warning_.clear();  // it answers again
  if (unsent_) {
    const uint64_t assignment = unsent_->assignment();
    if (info->assignment() != assignment) {
      unsent_.reset();  // reset or reassigned: the report has nothing left to say
    } else {
      swarm::v1::ReportTaskPeer r = std::move(*unsent_);
      unsent_.reset();
      if (Report(std::move(r), assignment) == Sent::kUnsent) return;  // in order, or not at all
    }
  }
  if (run_ && info->assignment() != run_assignment_) {
    StopRun("taskrunner '" + o_.taskrunner + "' was reset or given another task");
  }
  if (run_) {
    // A later report may be refused once the assignment has finished (its peers are
    // counted): the pairs still running end as they would; a reset is seen above.
    if (std::optional<swarm::v1::ReportTaskPeer> r = run_->Step()) Report(std::move(*r), run_assignment_);
    if (run_ && run_->done() && !unsent_) {
      LogInfo(kLog, "task of assignment " + std::to_string(run_assignment_) + " has ended on this SWOP");
      run_.reset();
    }
    return;
  }
  if (info->state() == swarm::v1::TASK_STATE_ACTIVE && info->assignment() != handled_) StartRun(*info);
}

void Agent::StartRun(const swarm::v1::TaskRunnerInfo& info) {
  handled_ = info.assignment();
  const std::string what = "task '" + info.task() + "' (assignment " + std::to_string(info.assignment()) +
                           " of taskrunner '" + o_.taskrunner + "')";
  if (const auto* me = FindPeer(info, env_.swop_uid); me && me->reported()) {
    // A previous life of this SWOP took part: what it started died with it.
    if (me->state() == swarm::v1::PEER_STATE_RUNNING) {
      swarm::v1::ReportTaskPeer r;
      r.set_state(swarm::v1::PEER_STATE_FAILED);
      r.set_description("this SWOP restarted while running the task; it restarts nothing by itself, and the "
                        "SL/ML pairs it had started are gone");
      r.set_sl_peers_planned(me->sl_peers_planned());
      for (auto sl : me->sl_peers()) {
        if (sl.state() == swarm::v1::PEER_STATE_RUNNING) {
          sl.set_state(swarm::v1::PEER_STATE_FAILED);
          sl.set_description("its SWOP restarted: this SL/ML pair was stopped");
        }
        *r.add_sl_peers() = sl;
      }
      Report(std::move(r), info.assignment());
    }
    return;
  }
  StatusOr<swarm::v1::TaskInfo> task = sn_->GetTask(info.task());
  if (!task.ok()) {
    Warn("cannot read " + what + ": " + task.status().message());
    handled_ = 0;  // try again next turn
    return;
  }
  if (info.assignment() != declined_) LogInfo(kLog, "taking up " + what + ", type " + task->type());
  TaskEnv env = env_;
  env.sl_peers_needed = info.peers_needed();
  StatusOr<std::unique_ptr<TaskRun>> run = MakeTaskRun(*task, env);
  if (!run.ok()) {
    LogError(kLog, what + " cannot run here: " + run.status().message());
    swarm::v1::ReportTaskPeer r;
    r.set_state(swarm::v1::PEER_STATE_FAILED);
    r.set_description(run.status().message());
    Report(std::move(r), info.assignment());
    return;
  }
  run_ = std::move(run).value();
  run_assignment_ = info.assignment();
  if (std::optional<swarm::v1::ReportTaskPeer> r = run_->Step()) {
    // The first report claims a place. Refused, this SWOP is not needed now; for a task of
    // SWOP peers a place may free up (a peer that failed gives it up), so it asks again.
    if (Report(std::move(*r), run_assignment_) == Sent::kRefused) {
      if (task->type() == taskdef::kRunSwarm) {
        StopRun("its first report was refused");
      } else {
        run_.reset();  // nothing started yet: the claim comes first
        handled_ = 0;
        declined_ = run_assignment_;
      }
    }
  }
}

void Agent::StopRun(const std::string& why) {
  LogInfo(kLog, "stopping what assignment " + std::to_string(run_assignment_) + " started: " + why);
  run_->Stop();
  run_.reset();
}

Agent::Sent Agent::Report(swarm::v1::ReportTaskPeer r, uint64_t assignment) {
  r.set_taskrunner(o_.taskrunner);
  r.set_uid(env_.swop_uid);
  r.set_assignment(assignment);
  const std::string state = swarm::v1::PeerState_Name(r.state()).substr(std::string("PEER_STATE_").size());
  swarm::v1::Transaction tx;
  *tx.mutable_report_task_peer() = r;
  Status s = sn_->Submit(std::move(tx)).status();
  if (snapi::IsTransient(s)) {
    Warn("this SWOP's report (" + state + ") did not reach the ledger; it is sent again: " + s.message());
    unsent_ = std::move(r);
    return Sent::kUnsent;
  }
  if (!s.ok()) {
    Warn("the ledger refused this SWOP's report (" + state + "): " + s.message());
    return Sent::kRefused;
  }
  LogInfo(kLog, "reported " + state + (r.description().empty() ? "" : ": " + r.description()));
  return Sent::kAccepted;
}

void Agent::Warn(const std::string& message) {
  if (message == last_warning_) return;  // once, not every turn
  last_warning_ = message;
  LogWarning(kLog, message);
}

}  // namespace swarm::swop
