#pragma once

// The task registry (docs/swop.md): HPE's task definitions on the ledger. SWCI creates a
// task with its header (CREATE TASK), sets its body line by line (APPEND TASK BODY), then
// freezes it (FINALIZE TASK) once the body validates against its type's schema
// (taskdef/task_def.h). A finalized task never changes, can be a prereq of later tasks and
// can be assigned to taskrunners; a task not finalized can be deleted (DELETE TASK).
// ROOTTASK exists from the start: finalized, without type or body, only ever a prereq.
// Pure contract code like contracts.h: no clock, no I/O.

#include "core/status.h"
#include "ledger/state.h"
#include "pki/trust_store.h"

namespace swarm::ledger {

// Task names follow the contract name rule, up to 160 characters (the task schema's limit
// on free strings); author and outcome are free strings of 1..160 characters. The type is
// one of taskdef::TaskTypes().
// A body has at most this many lines (so that one small transaction cannot make every
// SN's state huge); each line is shorter than taskdef::kBodyLineLimit (80) characters.
inline constexpr uint32_t kMaxTaskBodyLines = 10000;

Status ApplyCreateTask(State& state, const swarm::v1::CreateTask& c, const pki::PeerIdentity& signer,
                       const TxStamp& at);
// Sets line `idx` (1-based), overwriting it, or extending the body with empty lines up to it.
Status ApplyAppendTaskBody(State& state, const swarm::v1::AppendTaskBody& a, const pki::PeerIdentity& signer);
// Validates the body with the type's schema; refused with the schema's words when it does not.
Status ApplyFinalizeTask(State& state, const swarm::v1::FinalizeTask& f, const pki::PeerIdentity& signer,
                         const TxStamp& at);
Status ApplyDeleteTask(State& state, const swarm::v1::DeleteTask& d, const pki::PeerIdentity& signer);

// The task named `name`, or NotFound saying how to see the tasks there are.
StatusOr<const Task*> FindTask(const State& state, const std::string& name);

}  // namespace swarm::ledger
