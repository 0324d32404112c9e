#include "ledger/etcd_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>
#include <vector>

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

  const std::string client_url = "http://127.0.0.1:" + std::to_string(p->client_port_);
  const std::string peer = p->peer_url();
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
      peer,
      "--initial-advertise-peer-urls",
      peer,
      "--initial-cluster",
      o.initial_cluster.empty() ? o.name + "=" + peer : o.initial_cluster,
      "--initial-cluster-state",
      o.join_existing ? "existing" : "new",
      // Raft timing for loopback and LAN swarms; a lost member is noticed within seconds.
      "--heartbeat-interval",
      "100",
      "--election-timeout",
      "1000",
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
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // fork + exec rather than posix_spawn: the child asks to be killed when the SN dies,
  // so a SIGKILLed SN never leaves an orphaned etcd behind.
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Unavailable(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    const int log = ::open(o.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log < 0 || null < 0) ::_exit(126);
    ::dup2(null, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::execvp(o.etcd_binary.c_str(), argv.data());
    const std::string msg = "cannot run " + o.etcd_binary + ": " + std::strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  p->pid_ = pid;
  // Membership changes in a cluster of several SNs can take seconds.
  p->client_ = std::make_unique<EtcdClient>("127.0.0.1", p->client_port_, std::chrono::seconds(10));

  const auto deadline = std::chrono::steady_clock::now() + o.ready_timeout;
  Status last = Unavailable("not started");
  while (std::chrono::steady_clock::now() < deadline) {
    if (!p->Running()) {
      if (p->exit_ == "exit status 127") {  // exec failed; the child wrote why to the log
        return FailedPrecondition("cannot start '" + o.etcd_binary +
                                  "' (is the etcd-server package installed?):" + TailOfFile(o.log_file, 1));
      }
      if (p->exit_ == "exit status 126") {  // the child could not open its log or /dev/null
        return FailedPrecondition("cannot start etcd: its log '" + o.log_file.string() +
                                  "' cannot be opened");
      }
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

bool EtcdProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    exit_ = WIFEXITED(status)     ? "exit status " + std::to_string(WEXITSTATUS(status))
            : WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                  : "stopped";
  }
  pid_ = -1;
  return false;
}

void EtcdProcess::Stop() {
  if (!Running()) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100 && Running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (Running()) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    exit_ = "killed by SIGKILL after SIGTERM";
    pid_ = -1;
  }
}

EtcdProcess::~EtcdProcess() { Stop(); }

}  // namespace swarm::ledger
