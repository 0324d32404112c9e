#include "ledger/taskrunners.h"

#include <algorithm>

#include "ledger/contracts.h"
#include "ledger/tasks.h"
#include "taskdef/task_def.h"

namespace swarm::ledger {
namespace {
using swarm::v1::PeerState;

using taskdef::kRunSwarm;

std::string Plural(uint64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

Status NoSuchTaskRunner(const std::string& name) {
  return NotFound("no taskrunner named '" + name +
                  "'; SWCI creates it with CREATE TASKRUNNER (LIST TASKRUNNERS shows them)");
}

StatusOr<TaskRunner*> FindRunner(State& state, const std::string& name) {
  auto it = state.task_runners.find(name);
  if (it == state.task_runners.end()) return NoSuchTaskRunner(name);
  return &it->second;
}

// The uid must be a SWOP node registered by this very certificate: a node acts only for itself.
Status RequireOwnSwop(const State& state, const std::string& uid, const pki::PeerIdentity& signer) {
  if (signer.role != pki::Role::kSwop) {
    return PermissionDenied("only SWOP nodes enrol on taskrunners and report on tasks; " + Who(signer) +
                            " is not a SWOP");
  }
  if (uid.empty()) return InvalidArgument("the transaction names no SWOP uid");
  auto it = state.nodes.find(uid);
  if (it == state.nodes.end() || it->second.record.type() != swarm::v1::NODE_TYPE_SWOP) {
    return NotFound("no SWOP node with uid " + uid + " is registered; a SWOP registers before it enrols");
  }
  return CheckNodeOwner(it->second, uid, signer);
}

bool IsEnrolled(const TaskRunner& tr, const std::string& uid) {
  return std::any_of(tr.swops.begin(), tr.swops.end(), [&](const EnrolledSwop& s) { return s.uid == uid; });
}

bool IsPeerState(PeerState s) {
  return s == swarm::v1::PEER_STATE_RUNNING || s == swarm::v1::PEER_STATE_COMPLETED ||
         s == swarm::v1::PEER_STATE_FAILED;
}

Status CheckReportBody(const Assignment& a, const swarm::v1::ReportTaskPeer& r) {
  if (!IsPeerState(r.state())) {
    return InvalidArgument("SWOP " + r.uid() +
                           "'s report has no state; expected RUNNING, COMPLETED or FAILED");
  }
  if (a.task_type != kRunSwarm) {
    if (r.sl_peers_size() > 0) {
      return InvalidArgument("SWOP " + r.uid() + " lists SL peers for task '" + a.task + "' of type " +
                             a.task_type + "; only RUN_SWARM tasks have SL peers");
    }
    return Status::Ok();
  }
  if (static_cast<uint32_t>(r.sl_peers_size()) > r.sl_peers_planned()) {
    return InvalidArgument("SWOP " + r.uid() + " lists " + std::to_string(r.sl_peers_size()) +
                           " SL peers but plans " + std::to_string(r.sl_peers_planned()) +
                           "; sl_peers_planned counts every SL peer it runs");
  }
  std::set<std::string> seen;
  for (const auto& p : r.sl_peers()) {
    if (p.uid().empty()) return InvalidArgument("SWOP " + r.uid() + " lists an SL peer without a uid");
    if (!seen.insert(p.uid()).second) {
      return InvalidArgument("SWOP " + r.uid() + " lists SL peer " + p.uid() + " twice");
    }
    if (!IsPeerState(p.state())) {
      return InvalidArgument("SL peer " + p.uid() + " of SWOP " + r.uid() +
                             " has no state; expected RUNNING, COMPLETED or FAILED");
    }
  }
  return Status::Ok();
}

// Other task types: exactly peers_needed SWOPs take part. A SWOP holds its place while its
// report is not FAILED.
Status CheckPlace(const Assignment& a, const std::string& uid) {
  auto holds = [](const PeerReport& p) { return p.report.state() != swarm::v1::PEER_STATE_FAILED; };
  if (auto it = a.reports.find(uid); it != a.reports.end() && holds(it->second)) return Status::Ok();
  const auto holders =
      std::count_if(a.reports.begin(), a.reports.end(), [&](const auto& kv) { return holds(kv.second); });
  if (static_cast<uint32_t>(holders) < a.peers_needed) return Status::Ok();
  return FailedPrecondition("task '" + a.task + "' already has its " + std::to_string(a.peers_needed) +
                            " SWOP peers; SWOP " + uid + " does not take part in assignment " +
                            std::to_string(a.number));
}

// The SWOPs of `a` as they count: with `alive` (null: everyone is), a SWOP that stopped
// during the ACTIVE assignment has its RUNNING peers FAILED.
std::vector<SwopView> Views(const TaskRunner& tr, const Assignment* a, const std::set<std::string>* alive) {
  std::vector<SwopView> out;
  for (const EnrolledSwop& s : tr.swops) {
    SwopView v;
    v.swop = &s;
    v.alive = alive == nullptr || alive->count(s.uid) > 0;
    if (a != nullptr) {
      if (auto it = a->reports.find(s.uid); it != a->reports.end()) {
        v.reported = &it->second;
        v.report = it->second.report;
      }
    }
    v.stopped = a != nullptr && a->state == AssignmentState::kActive && !v.alive;
    if (v.stopped && v.reported != nullptr) {
      const std::string lost = "SWOP " + s.uid + " stopped (no i-am-alive): " +
                               (a->task_type == kRunSwarm ? "its SL/ML pairs are lost" : "its task is lost");
      bool any = v.report.state() == swarm::v1::PEER_STATE_RUNNING;
      for (auto& p : *v.report.mutable_sl_peers()) {
        if (p.state() != swarm::v1::PEER_STATE_RUNNING) continue;
        p.set_state(swarm::v1::PEER_STATE_FAILED);
        p.set_description(lost);
        any = true;
      }
      if (any) {
        v.report.set_state(swarm::v1::PEER_STATE_FAILED);
        v.report.set_description(lost);
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

// Adds one SWOP's RUN_SWARM report: its SL peers, and when the SWOP itself FAILED, every
// SL peer it planned and did not complete as failed.
void AddSlPeers(const swarm::v1::ReportTaskPeer& r, PeerTally& t) {
  uint32_t running = 0, completed = 0, failed = 0;
  for (const auto& p : r.sl_peers()) {
    running += p.state() == swarm::v1::PEER_STATE_RUNNING;
    completed += p.state() == swarm::v1::PEER_STATE_COMPLETED;
    failed += p.state() == swarm::v1::PEER_STATE_FAILED;
  }
  const uint32_t planned = std::max<uint32_t>(r.sl_peers_planned(), r.sl_peers_size());
  if (r.state() == swarm::v1::PEER_STATE_FAILED) {
    failed = planned - completed;
    running = 0;
  }
  t.running += running;
  t.completed += completed;
  t.failed += failed;
  t.planned += planned;
}

PeerTally Tally(const Assignment& a, const std::vector<SwopView>& swops) {
  PeerTally t;
  const bool sl = a.task_type == kRunSwarm;
  for (const SwopView& v : swops) {
    if (v.reported == nullptr) {
      if (!v.stopped) ++t.unreported;
      if (!sl && !v.stopped) ++t.planned;  // it may still take part
      continue;
    }
    ++t.reported;
    if (sl) {
      AddSlPeers(v.report, t);
      continue;
    }
    ++t.planned;
    t.running += v.report.state() == swarm::v1::PEER_STATE_RUNNING;
    t.completed += v.report.state() == swarm::v1::PEER_STATE_COMPLETED;
    t.failed += v.report.state() == swarm::v1::PEER_STATE_FAILED;
  }
  return t;
}

AssignmentState Judge(const Assignment& a, const PeerTally& t) {
  if (t.completed >= a.peers_needed) return AssignmentState::kCompleted;
  const bool out_of_reach = uint64_t{t.planned} < uint64_t{t.failed} + a.peers_needed;
  if (t.failed > 0 && t.unreported == 0 && out_of_reach) return AssignmentState::kFailed;
  return AssignmentState::kActive;
}

// The first failure a reader should look at, "uid: description", in swopIndex order.
std::string FirstFailure(const std::vector<SwopView>& swops) {
  for (const SwopView& v : swops) {
    if (v.reported == nullptr) continue;
    for (const auto& p : v.report.sl_peers()) {
      if (p.state() == swarm::v1::PEER_STATE_FAILED) return "SL " + p.uid() + ": " + p.description();
    }
    if (v.report.state() == swarm::v1::PEER_STATE_FAILED) {
      return "SWOP " + v.swop->uid + ": " + v.report.description();
    }
  }
  return "";
}

// What peers_needed counts, in the plural.
std::string PeersNoun(const Assignment& a) { return a.task_type == kRunSwarm ? "SL peers" : "SWOPs"; }

// The peers that may still complete: planned ones that have not failed.
uint64_t CanComplete(const PeerTally& t) { return t.planned - std::min(t.planned, t.failed); }

std::string ActiveReason(const TaskRunner& tr, const Assignment& a, const PeerTally& t) {
  const bool sl = a.task_type == kRunSwarm;
  const std::string peers = PeersNoun(a);
  std::string out = std::to_string(t.completed) + " of " + std::to_string(a.peers_needed) + " " + peers +
                    " completed, " + std::to_string(t.running) + " running, " + std::to_string(t.failed) +
                    " failed; ";
  const size_t enrolled = tr.swops.size();
  if (enrolled == 0) {
    return out + "no SWOP is enrolled on taskrunner '" + tr.name +
           "' yet (a SWOP enrols on the taskrunner of its profile)";
  }
  if (sl) {
    out += enrolled == 1 ? "the 1 enrolled SWOP plans "
                         : "the " + std::to_string(enrolled) + " enrolled SWOPs plan ";
    out += Plural(t.planned, "SL peer", "SL peers");
  } else {
    out += std::to_string(t.reported) + " of the " + Plural(enrolled, "enrolled SWOP", "enrolled SWOPs") +
           " take part";
  }
  const uint64_t can_complete = CanComplete(t);
  if (t.unreported > 0) {
    out += sl ? " so far" : "";
    return out + " (" + Plural(t.unreported, "SWOP has", "SWOPs have") + " not reported yet)";
  }
  if (can_complete < a.peers_needed) {
    out += ": " + std::to_string(a.peers_needed - can_complete) +
           " more needed (enrol another SWOP or lower the peers)";
  }
  return out;
}

std::string Reason(const TaskRunner& tr, const Assignment& a, AssignmentState s, const PeerTally& t,
                   const std::vector<SwopView>& swops) {
  const std::string peers = PeersNoun(a);
  switch (s) {
    case AssignmentState::kActive: return ActiveReason(tr, a, t);
    case AssignmentState::kCompleted:
      return std::to_string(t.completed) + " " + peers + " completed; the task needed " +
             std::to_string(a.peers_needed);
    case AssignmentState::kFailed: {
      const uint64_t can_complete = CanComplete(t);
      std::string out = std::to_string(t.failed) + " of " + std::to_string(t.planned) + " " + peers +
                        " failed, so at most " + std::to_string(can_complete) + " of the " +
                        std::to_string(a.peers_needed) + " needed can complete";
      if (const std::string first = FirstFailure(swops); !first.empty()) out += "; first failure: " + first;
      return out + " (RESET TASKRUNNER " + tr.name + ", then ASSIGN TASK again)";
    }
  }
  return "";
}

}  // namespace

StatusOr<const TaskRunner*> FindTaskRunner(const State& state, const std::string& name) {
  auto it = state.task_runners.find(name);
  if (it == state.task_runners.end()) return NoSuchTaskRunner(name);
  return &it->second;
}

std::string_view AssignmentStateName(AssignmentState s) {
  switch (s) {
    case AssignmentState::kActive: return "ACTIVE";
    case AssignmentState::kCompleted: return "COMPLETED";
    case AssignmentState::kFailed: return "FAILED";
  }
  return "UNKNOWN";
}

std::string_view PeerType(std::string_view task_type) { return task_type == kRunSwarm ? "SL" : "SWOP"; }

Status ApplyCreateTaskRunner(State& state, const swarm::v1::CreateTaskRunner& c,
                             const pki::PeerIdentity& signer, const TxStamp& at) {
  RETURN_IF_ERROR(RequireSwci(signer, "CREATE TASKRUNNER " + c.name()));
  RETURN_IF_ERROR(CheckName("taskrunner", c.name(), 255));
  if (state.task_runners.count(c.name())) {
    return AlreadyExists("taskrunner '" + c.name() +
                         "' already exists; a taskrunner is permanent once created");
  }
  TaskRunner tr;
  tr.name = c.name();
  tr.creator = signer.fingerprint;
  tr.created = at;
  state.task_runners[c.name()] = std::move(tr);
  return Status::Ok();
}

Status ApplyEnrollSwop(State& state, const swarm::v1::EnrollSwop& e, const pki::PeerIdentity& signer,
                       const TxStamp& at) {
  RETURN_IF_ERROR(RequireOwnSwop(state, e.uid(), signer));
  ASSIGN_OR_RETURN(TaskRunner * tr, FindRunner(state, e.taskrunner()));
  if (!IsEnrolled(*tr, e.uid())) tr->swops.push_back(EnrolledSwop{e.uid(), at});
  return Status::Ok();
}

Status ApplyAssignTask(State& state, const swarm::v1::AssignTask& a, const pki::PeerIdentity& signer,
                       const TxStamp& at) {
  RETURN_IF_ERROR(RequireSwci(signer, "ASSIGN TASK " + a.task() + " TO " + a.taskrunner()));
  ASSIGN_OR_RETURN(TaskRunner * tr, FindRunner(state, a.taskrunner()));
  if (a.task() == kRootTask) {
    return InvalidArgument(std::string(kRootTask) +
                           " is the root of every task's prereqs; it cannot be assigned");
  }
  ASSIGN_OR_RETURN(const Task* task, FindTask(state, a.task()));
  if (!task->finalized) {
    return FailedPrecondition("task '" + a.task() + "' is not finalized; FINALIZE TASK " + a.task() +
                              " first");
  }
  if (a.peers_needed() < 1) {
    return InvalidArgument("the peers needed must be at least 1 (ASSIGN TASK " + a.task() + " TO " +
                           a.taskrunner() + " WITH <n> PEERS); got 0");
  }
  if (tr->current && tr->current->state == AssignmentState::kActive) {
    return FailedPrecondition("taskrunner '" + tr->name + "' is running task '" + tr->current->task +
                              "' (ACTIVE); wait for it or RESET TASKRUNNER " + tr->name);
  }
  Assignment next;
  next.number = ++tr->assignments;
  next.task = a.task();
  next.task_type = task->type;
  next.peers_needed = a.peers_needed();
  next.assigned = at;
  tr->current = std::move(next);
  return Status::Ok();
}

Status ApplyReportTaskPeer(State& state, const swarm::v1::ReportTaskPeer& r, const pki::PeerIdentity& signer,
                           const TxStamp& at) {
  RETURN_IF_ERROR(RequireOwnSwop(state, r.uid(), signer));
  ASSIGN_OR_RETURN(TaskRunner * tr, FindRunner(state, r.taskrunner()));
  const std::string report = "report of SWOP " + r.uid() + " on assignment " + std::to_string(r.assignment());
  if (!IsEnrolled(*tr, r.uid())) {
    return FailedPrecondition(report + " refused: the SWOP is not enrolled on taskrunner '" + tr->name +
                              "'; it enrols first");
  }
  if (!tr->current && tr->assignments == 0) {
    return FailedPrecondition(report + " refused: taskrunner '" + tr->name +
                              "' has had no task assigned yet");
  }
  if (!tr->current) {
    return FailedPrecondition(report + " refused: taskrunner '" + tr->name +
                              "' has no task assigned now (it was reset after assignment " +
                              std::to_string(tr->assignments) + ")");
  }
  Assignment& a = *tr->current;
  if (r.assignment() != a.number) {
    return FailedPrecondition(report + " refused: taskrunner '" + tr->name + "' is at assignment " +
                              std::to_string(a.number) + " (task '" + a.task + "')");
  }
  if (a.state != AssignmentState::kActive) {
    return FailedPrecondition(report + " refused: assignment " + std::to_string(a.number) + " (task '" +
                              a.task + "') is " + std::string(AssignmentStateName(a.state)) +
                              " and takes no more reports");
  }
  RETURN_IF_ERROR(CheckReportBody(a, r));
  if (a.task_type != kRunSwarm) RETURN_IF_ERROR(CheckPlace(a, r.uid()));
  a.reports[r.uid()] = PeerReport{r, at};
  a.state = Judge(a, Tally(a, Views(*tr, &a, nullptr)));
  if (a.state != AssignmentState::kActive) a.finished = at;
  return Status::Ok();
}

Status ApplyResetTaskRunner(State& state, const swarm::v1::ResetTaskRunner& r,
                            const pki::PeerIdentity& signer, const TxStamp& at) {
  RETURN_IF_ERROR(RequireSwci(signer, "RESET TASKRUNNER " + r.name()));
  ASSIGN_OR_RETURN(TaskRunner * tr, FindRunner(state, r.name()));
  tr->current.reset();
  ++tr->resets;
  tr->last_reset = at;
  return Status::Ok();
}

TaskRunnerView Summarize(const TaskRunner& tr, const std::set<std::string>& alive_swops) {
  TaskRunnerView out;
  const Assignment* a = tr.current ? &*tr.current : nullptr;
  out.swops = Views(tr, a, &alive_swops);
  if (a == nullptr) {
    out.reason = "no task assigned; ASSIGN TASK <task> TO " + tr.name + " WITH <n> PEERS starts one";
    return out;
  }
  out.tally = Tally(*a, out.swops);
  out.state = a->state == AssignmentState::kActive ? Judge(*a, out.tally) : a->state;
  out.reason = Reason(tr, *a, *out.state, out.tally, out.swops);
  return out;
}

}  // namespace swarm::ledger
