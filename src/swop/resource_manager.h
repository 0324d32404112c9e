#pragma once

// Where a SWOP's SL/ML pairs run: behind one interface, so the SWOP's task code does not
// know whether they are processes (process/, the default), containers or pods.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/subprocess.h"
#include "swop/launch_spec.h"

namespace swarm::swop {

// One running SL/ML pair.
class Workload {
 public:
  virtual ~Workload() = default;
  // Its exit status once it has ended; nullopt while it runs.
  virtual std::optional<ExitStatus> Poll() = 0;
  // Stops it (and its ML program): asks, waits up to `grace`, then kills.
  virtual ExitStatus Stop(std::chrono::milliseconds grace) = 0;
  // The last `lines` lines of its log, for a failure's description.
  virtual std::string LogTail(int lines) const = 0;
};

class ResourceManager {
 public:
  virtual ~ResourceManager() = default;
  // As the profile names it: PROCESS, DOCKER, ...
  virtual std::string_view name() const = 0;
  // OK if this manager can run tasks of `task_type`; otherwise why not.
  virtual Status Supports(std::string_view task_type) const = 0;
  virtual StatusOr<std::unique_ptr<Workload>> Launch(const SlLaunchSpec& spec) = 0;
};

}  // namespace swarm::swop
