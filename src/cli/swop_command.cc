#include "cli/swop_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/port_flag.h"
#include "cli/run_node.h"
#include "core/log.h"
#include "snapi/sn_api.h"
#include "swop/swop_node.h"

namespace swarm::cli {
namespace {

struct SwopArgs {
  swop::SwopOptions o;
  std::vector<std::string> env;
  // run-swop's container flags: accepted, with a notice, so HPE command lines run as they are.
  bool detach = false, rm = false;
  std::string network, apls_ip, apls_port;
  std::string sn_api_service;  // instead of --sn-ip
};

void RunSwop(SwopArgs& a) {
  InitLogging();
  const auto notice = [](const std::string& flag) {
    LogInfo("SWOP", flag + " has no effect here: this SWOP runs as a process, not in a container");
  };
  if (a.detach) notice("-d");
  if (a.rm) notice("--rm");
  if (!a.network.empty()) notice("--network");
  if (!a.apls_ip.empty() || !a.apls_port.empty()) {
    LogInfo("SWOP", "--apls-ip/--apls-port have no effect: Swarm needs no license server");
  }
  for (const std::string& kv : a.env) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "swarm: error: -e '%s' is not KEY=VALUE\n", kv.c_str());
      std::exit(2);
    }
    // The SWOP's environment, which the SL processes it starts inherit (as HPE's -e).
    ::setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1);
  }
  if (!a.sn_api_service.empty()) {
    auto sn = snapi::ParseService(a.sn_api_service, snapi::kDefaultServicePort, "--sn-api-service");
    if (!sn.ok()) {
      std::fprintf(stderr, "swarm: error: %s\n", sn.status().message().c_str());
      std::exit(2);
    }
    a.o.sn_hosts = {sn->ToString()};
  }
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  a.o.swarm_bin = n > 0 ? std::string(self, static_cast<size_t>(n)) : "swarm";
  IgnoreBrokenPipes();
  RunUntilSignal(swop::SwopNode::Start(a.o), "SWOP");
}

}  // namespace

void AddSwopCommand(CLI::App& app) {
  auto a = std::make_shared<SwopArgs>();
  CLI::App* swop = app.add_subcommand(
      "swop", "Run a Swarm Operator node: runs the tasks assigned to its taskrunner (HPE's run-swop)");
  swop->add_option("--sn-ip", a->o.sn_hosts,
                   "SN to use: host or host:port; several (repeated, or a comma-separated list) fail over in turn")
      ->capture_default_str();
  swop->add_option("--sn-api-port", a->o.sn_api_port, "API port of the SN (for hosts given without one)")
      ->check(PortNumber())
      ->capture_default_str();
  swop->add_option(
      "--sn-api-service", a->sn_api_service,
      "The SN's API service, FQDN[:PORT] (default port 443), instead of --sn-ip (reverse proxy)");
  swop->add_option("--usr-dir", a->o.usr_dir, "Directory holding the profile")->required();
  swop->add_option("--profile-file-name", a->o.profile_file_name, "The SWOP profile (YAML) in --usr-dir")->required();
  swop->add_option("--key", a->o.tls.key, "This SWOP's private key (PEM)")->required();
  swop->add_option("--cert", a->o.tls.cert, "This SWOP's certificate (PEM, role swop)")->required();
  swop->add_option("--capath", a->o.tls.capath, "Directory of trusted CA certificates (or one bundle file)")
      ->required();
  swop->add_option("--swop-uid", a->o.swop_uid, "This SWOP's uid (default: made once, kept in --data-dir)");
  swop->add_option("--name", a->o.name, "Its name in LIST NODES (default swop-<groupname>)");
  swop->add_option("--data-dir", a->o.data_dir,
                   "Where it keeps its uid, the SL data dirs and logs, and task contents (default USR_DIR/.swop-data/PROFILE)");
  swop->add_option("-e", a->env, "KEY=VALUE in the SWOP's environment, which its SLs inherit (repeatable)")
      ->allow_extra_args(false);
  swop->add_flag("-d,--detach", a->detach, "Accepted for run-swop command lines; no effect");
  swop->add_flag("--rm", a->rm, "Accepted for run-swop command lines; no effect");
  swop->add_option("--network", a->network, "Accepted for run-swop command lines; no effect");
  swop->add_option("--apls-ip", a->apls_ip, "Accepted for run-swop command lines; no effect (no license server)");
  swop->add_option("--apls-port", a->apls_port, "Accepted for run-swop command lines; no effect");
  swop->callback([swop, a] {
    if (!a->sn_api_service.empty() && swop->count("--sn-ip") > 0) {
      std::fprintf(stderr, "swarm: error: give the SN by --sn-ip or by --sn-api-service, not both\n");
      std::exit(2);
    }
    RunSwop(*a);
  });
}

}  // namespace swarm::cli
