#pragma once

#include <CLI/CLI.hpp>

namespace swarm::cli {

// `swarm gen-cert -e EXAMPLE -i HOST_INDEX ...` and `swarm cert show FILE`.
void AddCertCommands(CLI::App& app);

}  // namespace swarm::cli
