#pragma once

// Ledger state as the SN API shows it (swarm.v1.TrainingInfo, TaskInfo, TaskRunnerInfo):
// one place for the SN and for test fakes of the SN API.

#include <set>
#include <string>

#include "ledger/state.h"
#include "swarm/v1/sn.pb.h"

namespace swarm::ledger {

// The contract's training: its current and last merged rounds, and its members, each
// alive when its uid is in `alive` (nodes whose liveness lease is current).
swarm::v1::TrainingInfo TrainingInfoOf(const Contract& contract, const std::set<std::string>& alive);

// The task's header and heights; its body lines only `with_body` (LIST TASKS leaves them out).
swarm::v1::TaskInfo TaskInfoOf(const Task& task, bool with_body);

// The taskrunner and its current assignment as ledger::Summarize sees it with `alive_swops`
// (SWOP uids whose liveness lease is current); its enrolled SWOPs only `with_peers`.
swarm::v1::TaskRunnerInfo TaskRunnerInfoOf(const TaskRunner& tr, const std::set<std::string>& alive_swops,
                                           bool with_peers);

}  // namespace swarm::ledger
