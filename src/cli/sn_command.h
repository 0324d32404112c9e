#pragma once

#include <CLI/CLI.hpp>

namespace swarm::cli {

// `swarm sn ...` (a Swarm Network node, flags as HPE's run-sn) and `swarm sn verify`.
void AddSnCommand(CLI::App& app);

}  // namespace swarm::cli
