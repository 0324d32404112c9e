#pragma once

// The PROCESS resource manager: each SL is a `swarm sl` process on this host, and its ML
// program runs in bubblewrap with the task's contents mounted where the task says.
// Builds and image pulls need a container manager.

#include "swop/resource_manager.h"

namespace swarm::swop {

class ProcessManager final : public ResourceManager {
 public:
  // Fails when bubblewrap is not installed.
  static StatusOr<std::unique_ptr<ProcessManager>> Make();

  std::string_view name() const override { return "PROCESS"; }
  Status Supports(std::string_view task_type) const override;
  StatusOr<std::unique_ptr<Workload>> Launch(const SlLaunchSpec& spec) override;

 private:
  explicit ProcessManager(std::filesystem::path bwrap) : bwrap_(std::move(bwrap)) {}
  std::filesystem::path bwrap_;
};

}  // namespace swarm::swop
