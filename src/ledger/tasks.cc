#include "ledger/tasks.h"

#include "ledger/contracts.h"
#include "taskdef/body_lines.h"
#include "taskdef/task_def.h"

namespace swarm::ledger {
namespace {

Status NoSuchTask(const std::string& name) {
  return NotFound("no task named '" + name + "'; LIST TASKS shows the tasks there are");
}

// The prereq is a task that never changes again: a finalized one, or ROOTTASK.
Status CheckPrereq(const State& state, const swarm::v1::CreateTask& c) {
  if (c.prereq().empty()) {
    return InvalidArgument("task '" + c.name() + "' needs a prereq: a finalized task, or " + kRootTask);
  }
  auto it = state.tasks.find(c.prereq());
  if (it == state.tasks.end()) {
    return NotFound("prereq '" + c.prereq() + "' of task '" + c.name() + "' is not a task; expected a " +
                    "finalized task or " + kRootTask);
  }
  if (!it->second.finalized) {
    return FailedPrecondition("prereq '" + c.prereq() + "' of task '" + c.name() +
                              "' is not finalized; FINALIZE TASK " + c.prereq() + " first");
  }
  return Status::Ok();
}

// The task `name`, which must still be open to changes.
StatusOr<Task*> ModifiableTask(State& state, const std::string& name, std::string_view change) {
  auto it = state.tasks.find(name);
  if (it == state.tasks.end()) return NoSuchTask(name);
  if (it->second.finalized) {
    return FailedPrecondition("task '" + name + "' is finalized; a finalized task cannot be " +
                              std::string(change));
  }
  return &it->second;
}

}  // namespace

StatusOr<const Task*> FindTask(const State& state, const std::string& name) {
  auto it = state.tasks.find(name);
  if (it == state.tasks.end()) return NoSuchTask(name);
  return &it->second;
}

Status ApplyCreateTask(State& state, const swarm::v1::CreateTask& c, const pki::PeerIdentity& signer,
                       const TxStamp& at) {
  RETURN_IF_ERROR(RequireSwci(signer, "CREATE TASK " + c.name()));
  RETURN_IF_ERROR(CheckName("task", c.name(), taskdef::kMaxFreeString));
  if (state.tasks.count(c.name())) {
    return AlreadyExists("task '" + c.name() + "' already exists; task names are unique (DELETE TASK " +
                         "removes one that is not finalized)");
  }
  RETURN_IF_ERROR(taskdef::CheckTaskType(c.type()));
  RETURN_IF_ERROR(taskdef::CheckFreeString("task author", c.author()));
  RETURN_IF_ERROR(taskdef::CheckFreeString("task outcome", c.outcome()));
  RETURN_IF_ERROR(CheckPrereq(state, c));
  Task t;
  t.name = c.name();
  t.type = c.type();
  t.author = c.author();
  t.prereq = c.prereq();
  t.outcome = c.outcome();
  t.creator = signer.fingerprint;
  t.created = at;
  state.tasks[c.name()] = std::move(t);
  return Status::Ok();
}

Status ApplyAppendTaskBody(State& state, const swarm::v1::AppendTaskBody& a,
                           const pki::PeerIdentity& signer) {
  RETURN_IF_ERROR(RequireSwci(signer, "APPEND TASK BODY " + a.name()));
  ASSIGN_OR_RETURN(Task * t, ModifiableTask(state, a.name(), "modified"));
  if (a.idx() < 1 || a.idx() > kMaxTaskBodyLines) {
    return InvalidArgument("body line number must be 1 to " + std::to_string(kMaxTaskBodyLines) + "; got " +
                           std::to_string(a.idx()));
  }
  if (Status s = taskdef::CheckBodyLine(a.line()); !s.ok()) {
    return Status(s.code(), "APPEND TASK BODY " + a.name() + " " + std::to_string(a.idx()) +
                                " refused: the " + s.message());
  }
  if (t->body.size() < a.idx()) t->body.resize(a.idx());
  t->body[a.idx() - 1] = a.line();
  return Status::Ok();
}

Status ApplyFinalizeTask(State& state, const swarm::v1::FinalizeTask& f, const pki::PeerIdentity& signer,
                         const TxStamp& at) {
  RETURN_IF_ERROR(RequireSwci(signer, "FINALIZE TASK " + f.name()));
  ASSIGN_OR_RETURN(Task * t, ModifiableTask(state, f.name(), "finalized again"));
  // The schema's own words, naming the line: "task 'x', line 3: Body.MType is 'COPY'; ...".
  if (auto body = taskdef::ParseBody(t->type, t->body, "task '" + f.name() + "'"); !body.ok()) {
    return body.status();
  }
  t->finalized = true;
  t->finalized_at = at;
  return Status::Ok();
}

Status ApplyDeleteTask(State& state, const swarm::v1::DeleteTask& d, const pki::PeerIdentity& signer) {
  RETURN_IF_ERROR(RequireSwci(signer, "DELETE TASK " + d.name()));
  ASSIGN_OR_RETURN(Task * t, ModifiableTask(state, d.name(), "deleted"));
  state.tasks.erase(t->name);
  return Status::Ok();
}

}  // namespace swarm::ledger
