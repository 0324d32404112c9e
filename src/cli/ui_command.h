#pragma once

#include <CLI/CLI.hpp>

namespace swarm::cli {

// `swarm ui`: the web UI (src/ui/), on 127.0.0.1:30307 unless told otherwise.
void AddUiCommand(CLI::App& app);

}  // namespace swarm::cli
