// RUN_SWARM: one SL/ML pair per node of the profile, started through the resource manager
// with the task's program, environment and contents; each pair's state goes on the
// taskrunner as one SL peer.

#include <unistd.h>

#include "core/log.h"
#include "core/node_uid.h"
#include "swop/run_swarm_spec.h"
#include "swop/task_runs.h"

extern char** environ;

namespace swarm::swop {
namespace fs = std::filesystem;
namespace {
using swarm::v1::PeerState;

constexpr int kLogLines = 5;

struct Pair {
  int idx = 0;
  std::string uid;
  std::unique_ptr<Workload> workload;
  PeerState state = swarm::v1::PEER_STATE_RUNNING;
  std::string description;
  fs::path log;
};

class RunSwarmRun final : public TaskRun {
 public:
  RunSwarmRun(taskdef::RunSwarmBody body, swarm::v1::TaskInfo task, TaskEnv env)
      : body_(std::move(body)), task_(std::move(task)), env_(std::move(env)) {}
  ~RunSwarmRun() override { Stop(); }

  std::optional<swarm::v1::ReportTaskPeer> Step() override {
    if (!started_) {
      started_ = true;
      for (const SlNodeDef& node : env_.profile->nodes) pairs_.push_back(Start(node));
      return Report();
    }
    bool changed = false;
    for (Pair& p : pairs_) {
      if (p.state != swarm::v1::PEER_STATE_RUNNING) continue;
      std::optional<ExitStatus> e = p.workload->Poll();
      if (!e) continue;
      changed = true;
      Ended(p, *e);
    }
    return changed ? std::optional(Report()) : std::nullopt;
  }

  bool done() const override {
    if (!started_) return false;
    for (const Pair& p : pairs_) {
      if (p.state == swarm::v1::PEER_STATE_RUNNING) return false;
    }
    return true;
  }

  void Stop() override {
    for (Pair& p : pairs_) {
      if (p.state != swarm::v1::PEER_STATE_RUNNING) continue;
      p.workload->Stop(env_.stop_grace);
      p.state = swarm::v1::PEER_STATE_FAILED;
      p.description = "stopped by this SWOP";
    }
  }

 private:
  Pair Start(const SlNodeDef& node) {
    Pair p;
    p.idx = static_cast<int>(node.idx);
    // The uid first: even a pair that cannot start is reported under its SL's uid.
    Status s = MakeUid(node, p);
    if (!s.ok()) p.uid = env_.swop_uid + "-node-" + std::to_string(node.idx);  // still reportable
    StatusOr<SlLaunchSpec> spec = s.ok() ? RunSwarmSpec(body_, task_, node, env_, environ) : StatusOr<SlLaunchSpec>(s);
    if (spec.ok()) {
      p.log = spec->log_file;
      StatusOr<std::unique_ptr<Workload>> w = env_.manager->Launch(*spec);
      if (w.ok()) {
        p.workload = std::move(w).value();
        p.description = "SL/ML pair of node " + std::to_string(node.idx) + " started; log " + p.log.string();
        LogInfo("SWOP", "node " + std::to_string(node.idx) + ": started SL " + p.uid + " (log " + p.log.string() + ")");
        return p;
      }
      spec = w.status();
    }
    p.state = swarm::v1::PEER_STATE_FAILED;
    p.description = "node " + std::to_string(node.idx) + " of the profile did not start: " + spec.status().message();
    LogError("SWOP", p.description);
    return p;
  }

  Status MakeUid(const SlNodeDef& node, Pair& p) {
    const fs::path dir = SlDataDir(env_, node);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return FailedPrecondition("cannot make the SL's data dir '" + dir.string() + "': " + ec.message());
    ASSIGN_OR_RETURN(p.uid, LoadOrMakeUid(dir));
    return Status::Ok();
  }

  void Ended(Pair& p, const ExitStatus& e) {
    const std::string who = "SL/ML pair of node " + std::to_string(p.idx);
    if (e.ok()) {
      p.state = swarm::v1::PEER_STATE_COMPLETED;
      p.description = who + " finished training";
    } else {
      p.state = swarm::v1::PEER_STATE_FAILED;
      p.description = who + ": the SL " + e.Describe() + "; the end of " + p.log.string() + ":\n" +
                      p.workload->LogTail(kLogLines);
    }
    LogInfo("SWOP", p.description);
  }

  swarm::v1::ReportTaskPeer Report() const {
    swarm::v1::ReportTaskPeer r;
    int running = 0, completed = 0, failed = 0;
    for (const Pair& p : pairs_) {
      auto* sl = r.add_sl_peers();
      sl->set_uid(p.uid);
      sl->set_state(p.state);
      sl->set_description(p.description);
      running += p.state == swarm::v1::PEER_STATE_RUNNING;
      completed += p.state == swarm::v1::PEER_STATE_COMPLETED;
      failed += p.state == swarm::v1::PEER_STATE_FAILED;
    }
    r.set_sl_peers_planned(static_cast<uint32_t>(pairs_.size()));
    r.set_state(running > 0 ? swarm::v1::PEER_STATE_RUNNING
                : completed > 0 ? swarm::v1::PEER_STATE_COMPLETED
                                : swarm::v1::PEER_STATE_FAILED);
    r.set_description(std::to_string(pairs_.size()) + " SL/ML pairs: " + std::to_string(running) + " running, " +
                      std::to_string(completed) + " completed, " + std::to_string(failed) + " failed");
    return r;
  }

  taskdef::RunSwarmBody body_;
  swarm::v1::TaskInfo task_;
  TaskEnv env_;
  bool started_ = false;
  std::vector<Pair> pairs_;
};

}  // namespace

std::unique_ptr<TaskRun> MakeRunSwarmRun(const taskdef::RunSwarmBody& body, const swarm::v1::TaskInfo& task,
                                         const TaskEnv& env) {
  return std::make_unique<RunSwarmRun>(body, task, env);
}

}  // namespace swarm::swop
