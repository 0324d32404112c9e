#include "cli/swci_command.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "snapi/grpc_sn_api.h"
#include "swci/repl.h"
#include "swci/session.h"
#include "swci/web_server.h"

namespace swarm::cli {
namespace {
namespace fs = std::filesystem;

struct SwciArgs {
  pki::TlsFiles tls;
  fs::path usr_dir;
  std::string init_script = "swci-init";
  bool web = false;
  std::string web_host = "0.0.0.0";
  int web_port = 0;  // 0: SWCI_WEB_PORT, else 30306
};

[[noreturn]] void Fail(const std::string& message, int code = 1) {
  std::fprintf(stderr, "swarm: error: %s\n", message.c_str());
  std::exit(code);
}

// The running session's stop flag, for the signal handler (only an atomic store there),
// and the web mode's: the signal that ends it.
swci::StopFlag* g_stop = nullptr;
std::atomic<int> g_web_stop{0};

void OnSignal(int sig) {
  if (g_stop != nullptr) g_stop->Request(sig);
  g_web_stop.store(sig);
}

// Ctrl-C and SIGTERM stop the running wait instead of killing SWCI mid-command. No
// SA_RESTART: a read at the prompt returns, so Ctrl-C there ends the session.
void HandleStopSignals(swci::StopFlag& stop) {
  g_stop = &stop;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

swci::Services MakeServices(const pki::TlsIdentity& identity, const pki::Signer& signer) {
  swci::Services s;
  s.connect = [identity, signer](const snapi::Endpoint& e) {
    snapi::GrpcSnApiOptions o;
    o.endpoints = {e};
    return snapi::MakeGrpcSnApi(identity, signer, o);
  };
  s.getenv = swci::ProcessEnvironment();
  return s;
}

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

// HPE's SWCI_MODE=WEB: runs the init script when there is one, then serves the REST API
// until SIGINT or SIGTERM. Returns the exit status.
int ServeWeb(const SwciArgs& a, swci::Session& session, const pki::TlsIdentity& identity) {
  int port = a.web_port;
  if (port == 0) {
    port = swci::kDefaultWebPort;
    if (auto v = Env("SWCI_WEB_PORT")) {
      char* end = nullptr;
      const long p = std::strtol(v->c_str(), &end, 10);
      if (end == v->c_str() || *end != '\0' || !snapi::CheckPort(p, "SWCI_WEB_PORT").ok()) {
        Fail("SWCI_WEB_PORT '" + *v + "' is not a port; expected a number from 1 to 65535");
      }
      port = static_cast<int>(p);
    }
  }
  if (!a.usr_dir.empty()) {
    const fs::path script = a.usr_dir / a.init_script;
    std::error_code ec;
    if (fs::is_regular_file(script, ec)) {
      std::ifstream in(script);
      if (!in) Fail("cannot read the init script '" + script.string() + "'");
      if (auto code = swci::RunLines(session, in, std::cout, {}); code && *code != 0) return *code;
    }
  }
  http::ServerOptions o;
  o.host = a.web_host;
  o.port = port;
  o.tls = identity;
  auto server = swci::WebServer::Start(session, std::move(o));
  if (!server.ok()) Fail(server.status().message());
  std::cout
      << "SWCI web mode: the SWCI API is at " << (*server)->Url()
      << " (HTTPS; clients need a certificate of role swci from a CA in --capath); GET /v1/commands lists it"
      << std::endl;
  while (g_web_stop.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*server)->Stop();
  std::cout << "SWCI web mode: stopped" << std::endl;
  return 0;
}

void RunSwci(const SwciArgs& a) {
  const SwciIdentity id = LoadSwciIdentity(a.tls, "SWCI");
  std::error_code ec;
  const fs::path start = a.usr_dir.empty() ? fs::current_path(ec) : a.usr_dir;
  swci::Session session(MakeServices(id.tls, id.signer), start);
  HandleStopSignals(session.stop());

  const bool tty = ::isatty(STDIN_FILENO);
  if (a.web) std::exit(ServeWeb(a, session, id.tls));
  // Script mode: the init script's commands, each echoed after the prompt as typed.
  if (!a.usr_dir.empty()) {
    const fs::path script = a.usr_dir / a.init_script;
    if (fs::is_directory(script, ec)) {
      Fail("the init script '" + script.string() + "' is a directory; expected a file of SWCI commands");
    }
    std::ifstream in(script);
    if (!in) Fail("cannot read the init script '" + script.string() + "'");
    if (auto code = swci::RunLines(session, in, std::cout, {})) std::exit(*code);
    if (!tty) std::exit(0);  // no one to talk to: the script was the session
  }
  // From a terminal: a prompt before each line, and Ctrl-C ends only the running command.
  // From a pipe: each line echoed after its prompt, so the transcript reads as a script's.
  swci::ReplOptions o;
  o.echo = !tty;
  o.prompt_before = tty;
  o.interrupt_resumes = tty;
  std::exit(swci::RunLines(session, std::cin, std::cout, o).value_or(0));
}

}  // namespace

SwciIdentity LoadSwciIdentity(const pki::TlsFiles& files, const std::string& who) {
  auto identity = pki::TlsIdentity::Load(files);
  if (!identity.ok()) Fail(identity.status().message());
  if (identity->role() != pki::Role::kSwci) {
    Fail("--cert '" + files.cert.string() + "' has role " + std::string(pki::RoleName(identity->role())) +
         "; " + who + " needs a certificate of role swci");
  }
  auto signer = pki::Signer::Load(files.key, files.cert);
  if (!signer.ok()) Fail(signer.status().message());
  return SwciIdentity{std::move(identity).value(), std::move(signer).value()};
}

void AddSwciCommand(CLI::App& app) {
  auto a = std::make_shared<SwciArgs>();
  CLI::App* swci = app.add_subcommand(
      "swci", "Swarm command interface: contexts, contracts, tasks, taskrunners, nodes (HPE's SWCI)");
  swci->add_option("--key", a->tls.key, "SWCI's private key (PEM)")->required();
  swci->add_option("--cert", a->tls.cert, "SWCI's certificate (PEM, role swci)")->required();
  swci->add_option("--capath", a->tls.capath, "Directory of trusted CA certificates (or one bundle file)")
      ->required();
  swci->add_option(
      "--usr-dir", a->usr_dir,
      "Directory holding the init script; runs it first. SWCI's current directory starts here, and "
      "/platform/swarm/usr in commands stands for it");
  swci->add_option("--init-script-name", a->init_script, "Init script in --usr-dir")->capture_default_str();
  swci->add_flag(
      "--web", a->web,
      "Web mode (also SWCI_MODE=WEB): serve the SWCI commands as a REST API over HTTPS with mutual TLS, "
      "after the init script if there is one; see docs/swci-web.md");
  swci->add_option("--web-host", a->web_host, "Web mode: the address to listen on")->capture_default_str();
  swci->add_option("--web-port", a->web_port, "Web mode: the port (default SWCI_WEB_PORT, else 30306)")
      ->check(CLI::Range(1, 65535));
  swci->callback([a] {
    if (auto mode = Env("SWCI_MODE")) {
      if (swci::Upper(*mode) == "WEB") {
        a->web = true;
      } else if (swci::Upper(*mode) != "CLI") {
        Fail("SWCI_MODE '" + *mode + "' is not a mode; expected WEB, or CLI for the prompt");
      }
    }
    RunSwci(*a);
  });
}

}  // namespace swarm::cli
