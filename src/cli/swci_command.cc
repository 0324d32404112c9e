#include "cli/swci_command.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "swci/session.h"

namespace swarm::cli {
namespace {
namespace fs = std::filesystem;

struct SwciArgs {
  pki::TlsFiles tls;
  fs::path usr_dir;
  std::string init_script = "swci-init";
};

[[noreturn]] void Fail(const std::string& message, int code = 1) {
  std::fprintf(stderr, "swarm: error: %s\n", message.c_str());
  std::exit(code);
}

void RunSwci(const SwciArgs& a) {
  auto identity = pki::TlsIdentity::Load(a.tls);
  if (!identity.ok()) Fail(identity.status().message());
  if (identity->role() != pki::Role::kSwci) {
    Fail("--cert '" + a.tls.cert.string() + "' has role " + std::string(pki::RoleName(identity->role())) +
         "; SWCI needs a certificate of role swci");
  }
  auto signer = pki::Signer::Load(a.tls.key, a.tls.cert);
  if (!signer.ok()) Fail(signer.status().message());
  swci::Session session(std::move(identity).value(), std::move(signer).value(), std::cout);

  // Script mode: the init script's commands, each echoed after the prompt as typed.
  if (!a.usr_dir.empty()) {
    const fs::path script = a.usr_dir / a.init_script;
    std::ifstream in(script);
    if (!in) Fail("cannot read the init script '" + script.string() + "'");
    for (std::string line; std::getline(in, line);) {
      std::cout << session.Prompt() << line << "\n";
      if (!session.Execute(line)) std::exit(session.failed() ? 1 : 0);
    }
    if (!::isatty(STDIN_FILENO)) std::exit(0);  // no one to talk to: the script was the session
  }
  const bool tty = ::isatty(STDIN_FILENO);
  while (true) {
    if (tty) std::cout << session.Prompt() << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) break;
    if (!tty) std::cout << session.Prompt() << line << "\n";
    if (!session.Execute(line)) std::exit(session.failed() ? 1 : 0);
  }
  std::exit(0);
}

}  // namespace

void AddSwciCommand(CLI::App& app) {
  auto a = std::make_shared<SwciArgs>();
  CLI::App* swci =
      app.add_subcommand("swci", "Swarm command interface: contexts, contracts, nodes (HPE's SWCI)");
  swci->add_option("--key", a->tls.key, "SWCI's private key (PEM)")->required();
  swci->add_option("--cert", a->tls.cert, "SWCI's certificate (PEM, role swci)")->required();
  swci->add_option("--capath", a->tls.capath, "Directory of trusted CA certificates (or one bundle file)")
      ->required();
  swci->add_option("--usr-dir", a->usr_dir, "Directory holding the init script; runs it first");
  swci->add_option("--init-script-name", a->init_script, "Init script in --usr-dir")->capture_default_str();
  swci->callback([a] { RunSwci(*a); });
}

}  // namespace swarm::cli
