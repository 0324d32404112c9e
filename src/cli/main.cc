// The `swarm` binary: one entry point, one sub-command per part.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/cert_command.h"
#include "cli/doctor_command.h"
#include "cli/model_command.h"
#include "cli/proxy_command.h"
#include "cli/sl_command.h"
#include "cli/sn_command.h"
#include "cli/swci_command.h"
#include "cli/swop_command.h"
#include "cli/ui_command.h"
#include "core/version.h"

namespace {

// CLI11 reports an unknown command as "A subcommand is required". Walks the leading
// command words instead and names the first one that is not a command where one is needed
// (e.g. "unknown command 'swarm model frob'; commands of 'swarm model': info, merge").
bool CheckCommandWords(CLI::App& app, int argc, char** argv) {
  CLI::App* current = &app;
  std::string path = "swarm";
  int i = 1;
  for (; i <= argc && current->get_require_subcommand_min() > 0; ++i) {
    CLI::App* next = nullptr;
    std::string names;
    for (CLI::App* sub : current->get_subcommands({})) {
      if (i < argc && sub->check_name(argv[i])) next = sub;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (i == argc) {
      std::fprintf(stderr, "swarm: error: '%s' needs a command: %s\n", path.c_str(), names.c_str());
      return false;
    }
    if (argv[i][0] == '-') break;  // options such as --help come before the command word
    if (next == nullptr) {
      std::fprintf(stderr, "swarm: error: unknown command '%s %s'; commands of '%s': %s\n", path.c_str(),
                   argv[i], path.c_str(), names.c_str());
      return false;
    }
    current = next;
    path += " " + next->get_name();
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Swarm: decentralized, privacy-preserving machine learning (Swarm Learning)", "swarm"};
  app.set_version_flag("--version", std::string("swarm ") + swarm::kVersion);
  app.require_subcommand(1);
  swarm::cli::AddModelCommand(app);
  swarm::cli::AddCertCommands(app);
  swarm::cli::AddSnCommand(app);
  swarm::cli::AddSlCommand(app);
  swarm::cli::AddSwciCommand(app);
  swarm::cli::AddSwopCommand(app);
  swarm::cli::AddUiCommand(app);
  swarm::cli::AddProxyCommand(app);
  swarm::cli::AddDoctorCommand(app);

  if (!CheckCommandWords(app, argc, argv)) return 2;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "swarm: error: %s\nRun with --help for usage.\n", e.what());
    return 2;  // usage errors: 2, as is customary; failures of the command itself: 1
  }
  return 0;
}
