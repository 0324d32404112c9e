// Taskrunners: a taskrunner runs one assigned task at a time on the SWOPs enrolled on it.
// SWCI creates them, assigns and resets, shows their state and waits for them.

#include <algorithm>
#include <cctype>

#include "swci/command_env.h"
#include "swci/commands/commands.h"
#include "swci/commands/common.h"
#include "taskdef/task_def.h"

namespace swarm::swci {
namespace {

using swarm::v1::TaskRunnerInfo;
using swarm::v1::TaskRunnerPeer;

constexpr std::string_view kMaxWaitVariable = "SWCI_TASK_MAX_WAIT_TIME";
constexpr double kDefaultMaxWaitMinutes = 120;

std::string StateName(swarm::v1::TaskState s) {
  if (s == swarm::v1::TASK_STATE_UNSPECIFIED) return "-";
  return swarm::v1::TaskState_Name(s).substr(std::string_view("TASK_STATE_").size());
}

std::string PeerStateName(swarm::v1::PeerState s) {
  return swarm::v1::PeerState_Name(s).substr(std::string_view("PEER_STATE_").size());
}

bool Assigned(const TaskRunnerInfo& tr) { return !tr.task().empty(); }

// A SWOP's own state on the current assignment.
std::string PeerStatus(const TaskRunnerInfo& tr, const TaskRunnerPeer& p) {
  if (!Assigned(tr)) return "-";
  if (!p.reported() && p.state() == swarm::v1::PEER_STATE_UNSPECIFIED) return "NOT REPORTED";
  return PeerStateName(p.state());
}

StatusOr<Result> CreateTaskRunner(CommandEnv& env, const Args& a) {
  swarm::v1::Transaction tx;
  tx.mutable_create_task_runner()->set_name(a.String("trName"));
  return env.Submit(std::move(tx), "TASKRUNNER CREATED : " + a.String("trName"));
}

StatusOr<Result> AssignTask(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(long peers, a.Int("peersNeeded", 1, 100000));
  swarm::v1::Transaction tx;
  auto* as = tx.mutable_assign_task();
  as->set_task(a.String("taskName"));
  as->set_taskrunner(a.String("trName"));
  as->set_peers_needed(static_cast<uint32_t>(peers));
  RETURN_IF_ERROR(api->Submit(std::move(tx)).status());
  return Result::Line("TASK ASSIGNED : " + a.String("taskName") + " TO " + a.String("trName") + " WITH " +
                      std::to_string(peers) + " PEERS");
}

StatusOr<Result> ResetTaskRunner(CommandEnv& env, const Args& a) {
  swarm::v1::Transaction tx;
  tx.mutable_reset_task_runner()->set_name(a.String("trName"));
  return env.Submit(std::move(tx), "TASKRUNNER RESET : " + a.String("trName"));
}

StatusOr<Result> GetTaskRunnerInfo(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(TaskRunnerInfo tr, api->GetTaskRunner(a.String("taskRunnerName")));
  const auto alive = std::count_if(tr.peers().begin(), tr.peers().end(), [](auto& p) { return p.alive(); });
  return Result::Of(
      Record()
          .Add("Name", tr.name())
          .Add("Created",
               tr.created_height() == 0 ? BlockOf(0) : BlockAt(tr.created_height(), tr.created_unix_ms()))
          .Add("Creator", tr.creator_fingerprint().empty() ? "-" : tr.creator_fingerprint())
          .Add("Resets",
               std::to_string(tr.resets()) + (tr.resets() ? ", last at " + TimeOfMs(tr.reset_unix_ms()) : ""))
          .Add("Enrolled SWOPs", std::to_string(tr.peers_size()) + " (" + std::to_string(alive) + " alive)")
          .Add("Current task",
               Assigned(tr) ? tr.task() + " (assignment " + std::to_string(tr.assignment()) + ")" : "Empty"));
}

Record StatusRecord(const TaskRunnerInfo& tr) {
  Record r;
  r.Add("TASKRUNNER", tr.name()).Add("TASK NAME", Assigned(tr) ? tr.task() : "Empty");
  if (Assigned(tr)) r.Add("TASK TYPE", tr.task_type());
  r.Add("PEER TYPE", tr.peer_type().empty() ? "-" : tr.peer_type())
      .Add("TASK STATE", StateName(tr.state()))
      .Add("PEERS NEEDED", Assigned(tr) ? std::to_string(tr.peers_needed()) : "-")
      .Add("ACTIVE PEERS", std::to_string(tr.active_peers()))
      .Add("COMPLETED PEERS", std::to_string(tr.completed_peers()))
      .Add("FAILED PEERS", std::to_string(tr.failed_peers()))
      .Add("DETAILS", tr.state_reason().empty() ? "-" : tr.state_reason())
      .Add("ASSIGNED AT", TimeOfMs(tr.assigned_unix_ms()))
      .Add("FINISHED AT", TimeOfMs(tr.finished_unix_ms()))
      .Add("CREATED AT", tr.created_height() == 0 ? BlockOf(0) : TimeOfMs(tr.created_unix_ms()))
      .Add("LAST RESET AT", TimeOfMs(tr.reset_unix_ms()));
  return r;
}

StatusOr<Result> GetTaskRunnerStatus(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(TaskRunnerInfo tr, api->GetTaskRunner(a.String("trName")));
  return Result::Of(StatusRecord(tr));
}

// The peer named by its place in enrolment order (from 0) or by its uid.
StatusOr<int> FindPeer(const TaskRunnerInfo& tr, const std::string& which) {
  const bool index = !which.empty() &&
                     std::all_of(which.begin(), which.end(), [](unsigned char c) { return std::isdigit(c); });
  for (int i = 0; i < tr.peers_size(); ++i) {
    if (tr.peers(i).uid() == which) return i;
  }
  if (!index) {
    return NotFound("no SWOP with uid '" + which + "' is enrolled on taskrunner '" + tr.name() +
                    "'; LIST TASKRUNNER PEERS shows them");
  }
  const unsigned long i = std::stoul(which.size() > 9 ? std::string("999999999") : which);
  if (i >= static_cast<unsigned long>(tr.peers_size())) {
    if (tr.peers_size() == 0) return OutOfRange("no SWOP is enrolled on taskrunner '" + tr.name() + "' yet");
    return OutOfRange("swopIndex " + which + " is not enrolled on taskrunner '" + tr.name() +
                      "'; expected 0 to " + std::to_string(tr.peers_size() - 1) +
                      " (LIST TASKRUNNER PEERS shows them)");
  }
  return static_cast<int>(i);
}

StatusOr<Result> GetTaskRunnerPeerStatus(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(TaskRunnerInfo tr, api->GetTaskRunner(a.String("taskRunnerName")));
  ASSIGN_OR_RETURN(int i, FindPeer(tr, a.String("swopIndex|swopUid")));
  const TaskRunnerPeer& p = tr.peers(i);
  Record r;
  r.Add("SWOP INDEX", std::to_string(i)).Add("SWOP UID", p.uid()).Add("ALIVE", YesNo(p.alive()));
  r.Add("TASK NAME", Assigned(tr) ? tr.task() : "Empty");
  r.Add("STATUS", PeerStatus(tr, p)).Add("DESCRIPTION", p.description().empty() ? "-" : p.description());
  r.Add("UPDATED AT", TimeOfMs(p.updated_unix_ms()));
  const bool run_swarm = tr.task_type() == taskdef::kRunSwarm;
  if (run_swarm) r.Add("SL PEERS", std::to_string(p.sl_peers_planned()));
  Result result = Result::Of(std::move(r));
  if (!run_swarm) return result;
  Table sls{{{"SL UID"}, {"STATUS"}, {"DESCRIPTION"}}, {}};
  for (const auto& sl : p.sl_peers()) {
    sls.rows.push_back(
        {sl.uid(), PeerStateName(sl.state()), sl.description().empty() ? "-" : sl.description()});
  }
  return result.Add(std::move(sls));
}

StatusOr<Result> ListTaskRunners(CommandEnv& env, const Args&) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(swarm::v1::ListTaskRunnersResponse resp, api->ListTaskRunners());
  std::vector<std::string> lines;
  for (const auto& tr : resp.task_runners()) lines.push_back(tr.name());
  return Result::Lines(std::move(lines));
}

StatusOr<Result> ListTaskRunnerPeers(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(TaskRunnerInfo tr, api->GetTaskRunner(a.String("taskRunnerName")));
  Table t{{{"SWOP INDEX"}, {"SWOP UID"}, {"ALIVE"}, {"STATUS"}, {"ENROLLED AT"}}, {}};
  for (int i = 0; i < tr.peers_size(); ++i) {
    const TaskRunnerPeer& p = tr.peers(i);
    t.rows.push_back(
        {std::to_string(i), p.uid(), YesNo(p.alive()), PeerStatus(tr, p), TimeOfMs(p.enrolled_unix_ms())});
  }
  return Result::Of(std::move(t));
}

// The failed peers of the assignment and what they said.
Table FailedPeers(const TaskRunnerInfo& tr) {
  Table t{{{"FAILED PEER"}, {"DESCRIPTION"}}, {}};
  for (const auto& p : tr.peers()) {
    if (p.state() == swarm::v1::PEER_STATE_FAILED) t.rows.push_back({"SWOP " + p.uid(), p.description()});
    for (const auto& sl : p.sl_peers()) {
      if (sl.state() == swarm::v1::PEER_STATE_FAILED) {
        t.rows.push_back({"SL " + sl.uid() + " (SWOP " + p.uid() + ")", sl.description()});
      }
    }
  }
  return t;
}

// SWCI_TASK_MAX_WAIT_TIME: the default context's setting, else the process's, else 120.
StatusOr<double> MaxWaitMinutes(CommandEnv& env) {
  const std::optional<std::string> v = env.Variable(std::string(kMaxWaitVariable));
  if (!v) return kDefaultMaxWaitMinutes;
  return ParseMinutes(*v, kMaxWaitVariable);
}

// Polls the taskrunner until its task is COMPLETED (the status is the result) or FAILED
// (the failure, its reason and the failed peers), showing '#' every tick meanwhile. After
// SWCI_TASK_MAX_WAIT_TIME it warns and fails, saying what the task still waits for. An SN
// that cannot be reached for a while does not end the wait; any other error does.
StatusOr<Result> WaitForTaskRunner(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  const std::string& name = a.String("trName");
  ASSIGN_OR_RETURN(double minutes, MaxWaitMinutes(env));
  ASSIGN_OR_RETURN(TaskRunnerInfo tr, api->GetTaskRunner(name));
  if (!Assigned(tr)) {
    return FailedPrecondition("taskrunner '" + name + "' has no task to wait for; ASSIGN TASK <task> TO " +
                              name + " WITH <n> PEERS starts one");
  }
  const std::string task = tr.task();
  env.progress.Show(Message{
      {"WAITING FOR TASKRUNNER TO COMPLETE - Maximum wait time is : " + Shortest(minutes) + " mins"}});
  Clock& clock = *env.services.clock;
  const auto max_wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(minutes * 60));
  const Clock::TimePoint deadline = clock.Now() + max_wait;
  std::optional<Clock::TimePoint> last_tick;
  while (true) {
    if (tr.state() == swarm::v1::TASK_STATE_COMPLETED) return Result::Of(StatusRecord(tr));
    if (tr.state() == swarm::v1::TASK_STATE_FAILED) {
      env.progress.Show(StatusRecord(tr));
      env.progress.Show(FailedPeers(tr));
      return Status(StatusCode::kAborted,
                    "task '" + task + "' FAILED on taskrunner '" + name + "': " + tr.state_reason());
    }
    if (!Assigned(tr)) {
      return FailedPrecondition("taskrunner '" + name + "' was reset while waiting for task '" + task + "'");
    }
    const Clock::TimePoint now = clock.Now();
    if (now >= deadline) {
      env.progress.Show(Message{{"WARNING - Maximum configured SWCI wait time is over"}});
      return Status(StatusCode::kDeadlineExceeded, "task '" + task + "' on taskrunner '" + name +
                                                       "' did not finish in " + Shortest(minutes) +
                                                       " mins; it still waits for: " + tr.state_reason());
    }
    if (!last_tick || now - *last_tick >= env.services.waits.taskrunner_tick) {
      env.progress.Tick();
      last_tick = now;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    RETURN_IF_ERROR(
        env.Sleep(std::min(env.services.waits.taskrunner_poll, left), "WAIT FOR TASKRUNNER " + name));
    auto next = api->GetTaskRunner(name);
    if (next.ok()) {
      tr = std::move(next).value();
    } else if (!snapi::IsTransient(next.status())) {
      return next.status();
    }
  }
}

}  // namespace

void RegisterTaskRunnerCommands(CommandRegistry& r) {
  r.Add("CREATE TASKRUNNER <trName : string>",
        "Registers a new taskrunner in the network. SWOPs enrol on the taskrunner their profile names; "
        "defaulttaskbb.taskdb.sml.hpe exists from the start.",
        CreateTaskRunner);
  r.Add(
      "ASSIGN TASK <taskName : string> TO <trName : string> WITH <peersNeeded> PEERS",
      "Gives a finalized task to a taskrunner, whose SWOPs then run it. peersNeeded (1 or more) is how many "
      "peers must complete it: SL/ML pairs for RUN_SWARM, SWOPs for the other types. Refused while the "
      "taskrunner's current task is still ACTIVE.",
      AssignTask);
  r.Add(
      "GET TASKRUNNER INFO <taskRunnerName : string>",
      "Shows a taskrunner's facts: when it was created, its resets, its enrolled SWOPs and its current task.",
      GetTaskRunnerInfo);
  r.Add("GET TASKRUNNER STATUS <trName : string>",
        "Shows how the taskrunner's current task goes: its name (Empty when none), the peer type (SL for "
        "RUN_SWARM, "
        "SWOP otherwise), its state, the active, completed and failed peers, what it waits for or why it "
        "failed, "
        "and when it was assigned and finished.",
        GetTaskRunnerStatus);
  r.Add("GET TASKRUNNER PEER STATUS <taskRunnerName : string> <swopIndex|swopUid>",
        "Shows one enrolled SWOP, named by its index (from 0, as LIST TASKRUNNER PEERS numbers them) or its "
        "uid: "
        "its state on the current task and, for RUN_SWARM, the SL peers it runs with their state and "
        "description.",
        GetTaskRunnerPeerStatus);
  r.Add("LIST TASKRUNNERS", "Lists the taskrunners registered in the network.", ListTaskRunners);
  r.Add("LIST TASKRUNNER PEERS <taskRunnerName:string>",
        "Lists the SWOPs enrolled on a taskrunner, by index, with their uid, liveness and state.",
        ListTaskRunnerPeers);
  r.Add("RESET TASKRUNNER <trName : string>",
        "Ends the taskrunner's current task: its SWOPs stop what it started (SL and ML included); enrolments "
        "stay. "
        "It cannot be undone; give the ML programs time to save first (SLEEP).",
        ResetTaskRunner);
  r.Add("WAIT FOR TASKRUNNER <trName : string>",
        "Waits until the taskrunner's current task completes, printing # now and then, and shows its final "
        "state. It fails when the task fails, or after SWCI_TASK_MAX_WAIT_TIME minutes (default 120; SET "
        "CONTEXT "
        "ENV or the environment sets it), saying what the task still waits for. Ctrl-C stops the wait.",
        WaitForTaskRunner);
}

}  // namespace swarm::swci
