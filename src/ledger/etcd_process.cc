#include "ledger/etcd_process.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>
#include <vector>

#include "core/listen_check.h"
#include "pki/cert_gen.h"

namespace swarm::ledger {
namespace fs = std::filesystem;

StatusOr<int> FreeLocalPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Unavailable(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return Unavailable(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string TailOfFile(const fs::path& path, int lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += "\n  " + l;
  return out;
}

std::string EtcdProcess::peer_url() const {
  const bool tls = !options_.peer_cert.empty();
  return std::string(tls ? "https://" : "http://") + options_.peer_host + ":" +
         std::to_string(options_.peer_port);
}

StatusOr<std::unique_ptr<EtcdProcess>> EtcdProcess::Start(const EtcdOptions& o) {
  std::unique_ptr<EtcdProcess> p(new EtcdProcess());
  p->options_ = o;
  ASSIGN_OR_RETURN(p->client_port_, FreeLocalPort());
  std::error_code ec;
  fs::create_directories(o.data_dir, ec);
  if (ec)
    return FailedPrecondition("cannot create etcd data dir '" + o.data_dir.string() + "': " + ec.message());
  fs::create_directories(o.log_file.parent_path(), ec);
  if (ec) {
    return FailedPrecondition("cannot create the directory of etcd's log '" + o.log_file.string() +
                              "': " + ec.message());
  }

  // The client URL takes mutual TLS with keys made now, kept in a 0700 dir, for this SN alone:
  // no other process (another user's, an SL on the host) can read or rewrite the ledger's
  // store behind the SN's back.
  const fs::path tls_dir = o.client_tls_dir.empty()
                               ? o.data_dir.parent_path() / (o.data_dir.filename().string() + "-client-tls")
                               : o.client_tls_dir;
  ASSIGN_OR_RETURN(pki::LocalTlsFiles tls, pki::MakeLocalTls(tls_dir, "etcd"));
  p->client_tls_ = EtcdTls{tls.ca, tls.client_cert, tls.client_key};
  const std::string client_url = "https://127.0.0.1:" + std::to_string(p->client_port_);
  const std::string peer = p->peer_url();
  const std::string listen_peer =
      std::string(o.peer_cert.empty() ? "http://" : "https://") +
      HostPort(o.listen_peer_host.empty() ? o.peer_host : o.listen_peer_host,
               o.listen_peer_port != 0 ? o.listen_peer_port : o.peer_port);
  std::vector<std::string> args = {
      o.etcd_binary,
      "--name",
      o.name,
      "--data-dir",
      o.data_dir.string(),
      "--listen-client-urls",
      client_url,
      "--advertise-client-urls",
      client_url,
      "--listen-peer-urls",
      listen_peer,
      "--initial-advertise-peer-urls",
      peer,
      "--initial-cluster",
      o.initial_cluster.empty() ? o.name + "=" + peer : o.initial_cluster,
      "--initial-cluster-state",
      o.join_existing ? "existing" : "new",
      "--cert-file",
      tls.server_cert.string(),
      "--key-file",
      tls.server_key.string(),
      "--trusted-ca-file",
      tls.ca.string(),
      "--client-cert-auth",
      // Raft timing for loopback and LAN swarms; a lost member is noticed within seconds.
      "--heartbeat-interval",
      "100",
      "--election-timeout",
      "1000",
      // Old revisions of rewritten keys (the head, liveness, progress) are dropped; blocks
      // are written once, so compaction never touches history.
      "--auto-compaction-mode",
      "revision",
      "--auto-compaction-retention",
      "10000",
  };
  if (o.force_new_cluster) args.push_back("--force-new-cluster");
  if (!o.peer_cert.empty()) {
    for (const std::string& a :
         {std::string("--peer-cert-file"), o.peer_cert.string(), std::string("--peer-key-file"),
          o.peer_key.string(), std::string("--peer-trusted-ca-file"), o.peer_trusted_ca.string(),
          std::string("--peer-client-cert-auth")}) {
      args.push_back(a);
    }
  }
  SpawnOptions spawn;
  spawn.argv = std::move(args);
  spawn.log_file = o.log_file;
  spawn.null_stdin = true;
  // In the SN's process group, as the SN's own part; killed with the SN, so a SIGKILLed
  // SN never leaves an orphaned etcd behind.
  spawn.new_process_group = false;
  spawn.die_with_parent = true;
  StatusOr<Subprocess> child = Subprocess::Spawn(spawn);
  if (!child.ok()) {
    if (child.status().code() == StatusCode::kNotFound) {
      return FailedPrecondition("cannot start '" + o.etcd_binary +
                                "' (is the etcd-server package installed?): " + child.status().message());
    }
    return FailedPrecondition("cannot start etcd: " + child.status().message());
  }
  p->child_.emplace(std::move(child).value());
  // Membership changes in a cluster of several SNs can take seconds.
  p->client_ = p->NewClient(std::chrono::seconds(10));

  const auto deadline = std::chrono::steady_clock::now() + o.ready_timeout;
  Status last = Unavailable("not started");
  while (std::chrono::steady_clock::now() < deadline) {
    if (!p->Running()) {
      return Unavailable("etcd exited while starting (" + p->exit_ + "); end of " + o.log_file.string() +
                         ":" + TailOfFile(o.log_file, 8));
    }
    last = p->client_->Health();
    if (last.ok()) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  p->Stop();
  return Unavailable("etcd was not ready within " + std::to_string(o.ready_timeout.count()) + " s (" +
                     last.message() + "); end of " + o.log_file.string() + ":" + TailOfFile(o.log_file, 8));
}

std::unique_ptr<EtcdClient> EtcdProcess::NewClient(std::chrono::milliseconds timeout) const {
  return std::make_unique<EtcdClient>("127.0.0.1", client_port_, timeout, client_tls_);
}

namespace {

// As SnNode reports it: "exit status 1", "killed by signal 9".
std::string Describe(const ExitStatus& s) {
  return s.signal != 0 ? "killed by signal " + std::to_string(s.signal)
                       : "exit status " + std::to_string(s.code);
}

}  // namespace

pid_t EtcdProcess::pid() const { return child_ && !child_->exit_status() ? child_->pid() : -1; }

bool EtcdProcess::Running() {
  if (!child_) return false;
  const std::optional<ExitStatus> s = child_->Poll();
  if (!s) return true;
  exit_ = Describe(*s);
  return false;
}

void EtcdProcess::Stop() {
  if (!Running()) return;
  // SIGTERM lets etcd shut down cleanly; SIGKILL if it has not within 5 s.
  const ExitStatus s = child_->Stop(std::chrono::seconds(5));
  exit_ = s.signal == SIGKILL ? "killed by SIGKILL after SIGTERM" : Describe(s);
}

EtcdProcess::~EtcdProcess() { Stop(); }

}  // namespace swarm::ledger
