#pragma once

// `swarm model ...`: inspect, check and merge model blobs from the command line.

#include <CLI/CLI.hpp>

namespace swarm::cli {

// Adds the `model` sub-command and its own sub-commands to `app`.
void AddModelCommand(CLI::App& app);

}  // namespace swarm::cli
