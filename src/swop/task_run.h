#pragma once

// One task as a SWOP runs it: started by the agent when an assignment arrives, advanced by
// the agent's loop, stopped when the taskrunner is reset. One implementation per task type
// (run_swarm_task.cc, content_task.cc); the agent knows only this interface.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "swarm/v1/ledger.pb.h"
#include "swarm/v1/sn.pb.h"
#include "swop/profile.h"
#include "swop/resource_manager.h"

namespace swarm::swop {

// What a task run may use.
struct TaskEnv {
  const SwopProfile* profile = nullptr;
  ResourceManager* manager = nullptr;
  std::string swop_uid;
  std::filesystem::path usr_dir;    // relative paths of the profile resolve against it
  std::filesystem::path data_dir;   // the SWOP's own: SL data dirs, content dirs
  std::filesystem::path swarm_bin;  // the `swarm` binary, for `swarm sl`
  std::string sn_endpoints;         // the SWOP's SNs, host:port[,...], when the profile names none
  std::chrono::milliseconds stop_grace{std::chrono::seconds(10)};
  // RUN_SWARM: the assignment's WITH N PEERS, the SL peers the task needs. Its SLs get it as
  // SL_START_QUORUM (the nodes a training's first round waits for), unless the SWOP's own
  // environment or the profile sets that. 0: not set.
  uint32_t sl_peers_needed = 0;
};

// The directory holding the content a MAKE_SWARM_USER_CONTENT task with Outcome `name` made;
// refused for a name that is absolute or climbs out with "..".
StatusOr<std::filesystem::path> ContentDir(const TaskEnv& env, const std::string& name);

class TaskRun {
 public:
  virtual ~TaskRun() = default;
  // Advances the run; returns this SWOP's report (state, description, SL peers) when it
  // changed since the last call, nullopt otherwise. The first call starts the work.
  virtual std::optional<swarm::v1::ReportTaskPeer> Step() = 0;
  // True once everything it started has ended (its last report says how).
  virtual bool done() const = 0;
  // Stops everything it started: asks, waits up to the grace, kills.
  virtual void Stop() = 0;
};

// The run of `task` (body already validated by the ledger) with `env`; an error when the
// task cannot even start here (its type needs another resource manager, its body does
// not parse): the agent reports that as this SWOP's failure.
StatusOr<std::unique_ptr<TaskRun>> MakeTaskRun(const swarm::v1::TaskInfo& task, const TaskEnv& env);

}  // namespace swarm::swop
