#pragma once

// The SWCI command groups; each adds its commands to the registry. A new command goes in
// its group's file and nowhere else.

#include "swci/registry.h"

namespace swarm::swci {

void RegisterContextCommands(CommandRegistry& registry);     // context_commands.cc
void RegisterContractCommands(CommandRegistry& registry);    // contract_commands.cc
void RegisterTaskCommands(CommandRegistry& registry);        // task_commands.cc
void RegisterTaskRunnerCommands(CommandRegistry& registry);  // taskrunner_commands.cc
void RegisterNodeCommands(CommandRegistry& registry);        // node_commands.cc
void RegisterShellCommands(CommandRegistry& registry);       // shell_commands.cc

inline void RegisterAllCommands(CommandRegistry& registry) {
  RegisterContextCommands(registry);
  RegisterContractCommands(registry);
  RegisterTaskCommands(registry);
  RegisterTaskRunnerCommands(registry);
  RegisterNodeCommands(registry);
  RegisterShellCommands(registry);
}

}  // namespace swarm::swci
