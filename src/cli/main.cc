// The `swarm` binary: one entry point, one sub-command per part.

#include <CLI/CLI.hpp>

#include "cli/model_command.h"
#include "core/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Swarm: decentralized, privacy-preserving machine learning (Swarm Learning)", "swarm"};
  app.set_version_flag("--version", std::string("swarm ") + swarm::kVersion);
  app.require_subcommand(1);
  swarm::cli::AddModelCommand(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
