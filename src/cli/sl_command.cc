#include "cli/sl_command.h"

#include <malloc.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "cli/port_flag.h"
#include "cli/run_node.h"
#include "core/log.h"
#include "ledger/round_rules.h"
#include "sl/sl_node.h"

namespace swarm::cli {
namespace {

// Knobs named as in HPE's product, read from the environment: seconds, as decimals.
std::chrono::milliseconds EnvSeconds(const char* name, std::chrono::milliseconds fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const double s = std::strtod(v, &end);
  if (*end != '\0' || s < 0) {
    std::fprintf(stderr, "swarm: error: %s='%s' is not a number of seconds\n", name, v);
    std::exit(2);
  }
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

// A count from the environment: a whole number in 0..max.
uint32_t EnvCount(const char* name, uint32_t fallback, uint32_t max) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (*end != '\0' || *v == '-' || errno == ERANGE || n > max) {
    std::fprintf(stderr, "swarm: error: %s='%s' is not a whole number in 0..%u\n", name, v, max);
    std::exit(2);
  }
  return static_cast<uint32_t>(n);
}

void RunSl(sl::SlOptions o) {
  // The file server's and fetches' threads each move 1 MiB chunks; glibc gives every thread
  // an arena of its own and keeps what it frees there, so at 100 MB x 8 an SL peaked at 3.4x
  // its model with the default arenas and at 2.2x with two (same round time). Before any
  // thread starts; MALLOC_ARENA_MAX, if set, decides instead.
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 2);
  if (o.data_dir.empty()) {
    std::fprintf(stderr,
                 "swarm: error: --data-dir is required: the SL keeps its uid and model blobs there\n");
    std::exit(2);
  }
  o.rounds.full_quorum_wait = EnvSeconds("SL_WAIT_FOR_FULL_QUORUM_SECONDS", o.rounds.full_quorum_wait);
  o.rounds.leader_timeout = EnvSeconds("SL_LEADER_FAILURE_BASE_TIMEOUT", o.rounds.leader_timeout);
  o.rounds.sync_wait = EnvSeconds("SL_SYNC_MAX_WAIT_SECONDS", o.rounds.sync_wait);
  o.rounds.start_quorum = EnvCount("SL_START_QUORUM", o.rounds.start_quorum, ledger::kMaxStartQuorum);
  o.ml_stop_grace = EnvSeconds("SL_ML_STOP_GRACE_SECONDS", o.ml_stop_grace);
  // This project's own knob, in MiB: how large a shard of a sharded round's merge is at least.
  o.rounds.shard_bytes =
      uint64_t{EnvCount("SL_SHARD_MIN_MB", static_cast<uint32_t>(o.rounds.shard_bytes >> 20), 1u << 20)}
      << 20;
  IgnoreBrokenPipes();
  InitLogging();
  RunUntilSignal(sl::SlNode::Start(o), "SL");
}

}  // namespace

void AddSlCommand(CLI::App& app) {
  auto o = std::make_shared<sl::SlOptions>();
  CLI::App* sl = app.add_subcommand("sl", "Run a Swarm Learning node (the sidecar of one ML program)");
  sl->add_flag("--allow-loopback", o->allow_loopback,
               "Register a loopback --host-ip even though other nodes of the network are on other hosts");
  sl->add_option("--listen-ip", o->listen_ip,
                 "Address the file server listens on (default: --host-ip when it is this host's, else every "
                 "interface, as behind NAT)");
  sl->add_option(
        "--sl-fs-advertised-port", o->advertised_fs_port,
        "Port peers dial to reach the file server, when a port mapping (NAT, NodePort) makes it another "
        "than --sl-fs-port")
      ->check(PortNumber());
  sl->add_option("--host-ip", o->host_ip,
                 "This host's address (an IP or a name), where peer SLs reach its file server")
      ->capture_default_str();
  sl->add_option("--sn-ip", o->sn_ip,
                 "Address of the SN this SL uses; a list host[:port],host[:port] fails over to the next")
      ->capture_default_str();
  sl->add_option("--sn-api-port", o->sn_api_port, "API port of that SN")
      ->check(PortNumber())
      ->capture_default_str();
  sl->add_option("--sl-fs-service", o->fs_service,
                 "FQDN[:PORT] (default port 443) that peer SLs dial for the file server through a reverse "
                 "proxy, instead of --host-ip and --sl-fs-port");
  sl->add_option(
      "--sn-api-service", o->sn_api_service,
      "The API service of the SN this SL uses, FQDN[:PORT] (default port 443), instead of --sn-ip");
  sl->add_option("--sl-fs-port", o->fs_port, "Port of this SL's file server (0: any free port)")
      ->check(PortNumber(true))
      ->capture_default_str();
  sl->add_option("--key", o->tls.key, "This SL's private key (PEM)")->required();
  sl->add_option("--cert", o->tls.cert, "This SL's certificate (PEM, role sl)")->required();
  sl->add_option("--capath", o->tls.capath, "Directory of trusted CA certificates (or one bundle file)")
      ->required();
  sl->add_option("--data-dir", o->data_dir,
                 "Where this SL keeps its uid and model blobs; a restart with it resumes");
  sl->add_option("--ml-socket", o->socket, "Unix socket for the ML program (default DATA_DIR/sl.sock)");
  sl->add_option("--ml-entrypoint", o->ml_entrypoint, "The ML program to start (e.g. python3)");
  sl->add_option("--ml-cmd", o->ml_cmd, "Its arguments")->allow_extra_args(false);
  sl->add_option("--ml-w", o->ml_workdir, "Its working directory");
  sl->add_option("--ml-e", o->ml_env, "KEY=VALUE for its environment (repeatable)")->allow_extra_args(false);
  sl->add_option("--ml-name", o->ml_name, "Its name (in logs and LIST NODES)")->capture_default_str();
  sl->add_option(
        "--ml-view", o->ml_view,
        "TARGET=SOURCE: the ML program sees host path SOURCE at TARGET (repeatable; set by the SWOP)")
      ->allow_extra_args(false);
  sl->add_option("--parent-uid", o->parent_uid, "Uid of the SWOP that starts this SL (set by the SWOP)");
  sl->add_option("--sn-wait", o->sn_wait, "Seconds to wait for the SN")->capture_default_str();
  sl->callback([sl, o] {
    if (!o->sn_api_service.empty() && sl->count("--sn-ip") > 0) {
      std::fprintf(stderr, "swarm: error: give the SN by --sn-ip or by --sn-api-service, not both\n");
      std::exit(2);
    }
    ListenEverywhereBehindAService(*sl, {"--sl-fs-service"}, o->listen_ip);
    RunSl(*o);
  });
}

}  // namespace swarm::cli
