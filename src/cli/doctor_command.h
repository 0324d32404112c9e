#pragma once

#include <CLI/CLI.hpp>

namespace swarm::cli {

// `swarm doctor`: checks what breaks multi-host setups, each with pass or fail and the fix.
void AddDoctorCommand(CLI::App& app);

}  // namespace swarm::cli
