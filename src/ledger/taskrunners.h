#pragma once

// Taskrunner contracts (docs/swop.md): a taskrunner runs one task at a time on the SWOPs
// enrolled on it. SWCI creates taskrunners, assigns a finalized task to one WITH N PEERS
// and resets it; a SWOP enrols on its profile's taskrunner and reports how its part of the
// current assignment goes. The reports decide the assignment's state:
//
//  - Peers are SL/ML pairs for RUN_SWARM (every enrolled SWOP takes part with the SL peers
//    it lists, `sl_peers_planned` of them in all) and SWOPs for the other types (exactly
//    peers_needed SWOPs take part: the first to report; one whose report is FAILED gives
//    its place up, so another SWOP may take it).
//  - A SWOP whose own state is FAILED has lost what it had not completed: for RUN_SWARM
//    every SL peer it planned and did not complete counts FAILED.
//  - COMPLETED when at least peers_needed peers completed; FAILED when at least one peer
//    failed, every enrolled SWOP has reported, and the peers that can still complete
//    (planned minus failed; other types: enrolled SWOPs minus failed) are fewer than
//    peers_needed. Nothing leaves COMPLETED or FAILED but a new assignment or a reset.
//
// Pure contract code like contracts.h: no clock, no I/O. Liveness is not on the chain;
// Summarize folds it in at read time.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "ledger/state.h"
#include "pki/trust_store.h"

namespace swarm::ledger {

Status ApplyCreateTaskRunner(State& state, const swarm::v1::CreateTaskRunner& c,
                             const pki::PeerIdentity& signer, const TxStamp& at);
// Enrolling again is a no-op: the SWOP keeps its place (its swopIndex).
Status ApplyEnrollSwop(State& state, const swarm::v1::EnrollSwop& e, const pki::PeerIdentity& signer,
                       const TxStamp& at);
// Starts assignment number `assignments + 1`; refused while the current one is ACTIVE.
Status ApplyAssignTask(State& state, const swarm::v1::AssignTask& a, const pki::PeerIdentity& signer,
                       const TxStamp& at);
// Replaces the SWOP's report on the current, ACTIVE assignment; a report on any other
// assignment (one before a reset or a reassignment) is refused.
Status ApplyReportTaskPeer(State& state, const swarm::v1::ReportTaskPeer& r, const pki::PeerIdentity& signer,
                           const TxStamp& at);
// Drops the current assignment (SWOPs stop what it started); enrolments stay.
Status ApplyResetTaskRunner(State& state, const swarm::v1::ResetTaskRunner& r,
                            const pki::PeerIdentity& signer, const TxStamp& at);

// The taskrunner named `name`, or NotFound saying how to make one.
StatusOr<const TaskRunner*> FindTaskRunner(const State& state, const std::string& name);

// "ACTIVE", "COMPLETED", "FAILED".
std::string_view AssignmentStateName(AssignmentState s);
// "SL" for RUN_SWARM, "SWOP" for the other task types: what peers_needed counts.
std::string_view PeerType(std::string_view task_type);

// How an assignment's peers stand.
struct PeerTally {
  uint32_t running = 0, completed = 0, failed = 0;
  // RUN_SWARM: the SL peers the reporting SWOPs plan; other types: the SWOPs that may take part.
  uint32_t planned = 0;
  uint32_t reported = 0;    // SWOPs that reported
  uint32_t unreported = 0;  // enrolled SWOPs that have not, not counting stopped ones
};

// One enrolled SWOP as a read sees it.
struct SwopView {
  const EnrolledSwop* swop = nullptr;
  bool alive = false;
  const PeerReport* reported = nullptr;  // its report on the current assignment, if any
  // The report as it counts: for a SWOP that stopped during an ACTIVE assignment, its
  // RUNNING peers are FAILED, described as lost.
  swarm::v1::ReportTaskPeer report;
  bool stopped = false;  // it stopped during the ACTIVE assignment
};

struct TaskRunnerView {
  std::optional<AssignmentState> state;  // none: no task assigned
  PeerTally tally;
  std::string reason;           // why it FAILED, or what an ACTIVE assignment waits for
  std::vector<SwopView> swops;  // in enrolment order (swopIndex)
};

// The taskrunner as a read shows it, with SWOPs not in `alive_swops` (uids whose liveness
// lease is current) stopped: during an ACTIVE assignment their unfinished peers count
// FAILED, and the assignment shows FAILED when that leaves peers_needed out of reach.
// Read time only: the chain keeps the assignment ACTIVE.
TaskRunnerView Summarize(const TaskRunner& tr, const std::set<std::string>& alive_swops);

}  // namespace swarm::ledger
