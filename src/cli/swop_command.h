#pragma once

#include <CLI/CLI.hpp>

namespace swarm::cli {

// `swarm swop`: the Swarm Operator node, flags as HPE's run-swop.
void AddSwopCommand(CLI::App& app);

}  // namespace swarm::cli
