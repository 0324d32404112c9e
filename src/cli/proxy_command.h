#pragma once

#include <CLI/CLI.hpp>

namespace swarm::cli {

// `swarm proxy-config nginx|bind9`: the reverse proxy's configuration files.
void AddProxyCommand(CLI::App& app);

}  // namespace swarm::cli
