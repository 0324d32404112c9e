#pragma once

#include <CLI/CLI.hpp>

namespace swarm::cli {

// `swarm swci`: HPE's SWCI command interface, interactive or from a script.
void AddSwciCommand(CLI::App& app);

}  // namespace swarm::cli
