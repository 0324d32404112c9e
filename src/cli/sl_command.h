#pragma once

#include <CLI/CLI.hpp>

namespace swarm::cli {

// `swarm sl`: a Swarm Learning node, optionally with its ML program as a sidecar.
void AddSlCommand(CLI::App& app);

}  // namespace swarm::cli
