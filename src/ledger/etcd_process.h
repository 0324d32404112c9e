#pragma once

// An etcd member run as a child process: each SN supervises its own. The client URL is
// on 127.0.0.1 at a free port (never exposed); the peer URL is where other SNs' members
// reach this one, with mutual TLS when certificates are given. etcd's output goes to a
// log file. If the child dies, Running() turns false and the owner must stop.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/subprocess.h"
#include "ledger/etcd_client.h"

namespace swarm::ledger {

struct EtcdOptions {
  std::string name;                // unique in the cluster
  std::filesystem::path data_dir;  // etcd's own data; a restart with it resumes
  std::filesystem::path log_file;
  std::string peer_host = "127.0.0.1";  // where the other members reach this one
  int peer_port = 0;
  // Where it listens for them, when NAT or a port mapping makes that another (empty, 0: the above).
  std::string listen_peer_host;
  int listen_peer_port = 0;
  // Peer mutual TLS: this node's certificate and key, and one file with every trusted CA.
  std::filesystem::path peer_cert, peer_key, peer_trusted_ca;
  // "name=url,..." of the cluster to form (empty: a new one-member cluster) and whether
  // this member joins an existing cluster.
  std::string initial_cluster;
  bool join_existing = false;
  // Start from the data dir as a one-member cluster (etcd's --force-new-cluster): used on
  // a copy of a member's data to read the chain offline (`swarm sn verify`).
  bool force_new_cluster = false;
  // Where the throwaway TLS material of the client link goes (pki::MakeLocalTls); empty:
  // beside data_dir, in DATA_DIR-client-tls. The member's client URL takes mutual TLS only.
  std::filesystem::path client_tls_dir;
  std::string etcd_binary = "etcd";
  std::chrono::seconds ready_timeout{30};
};

class EtcdProcess {
 public:
  // Starts etcd and waits until it answers its health check; on failure the error quotes
  // the end of etcd's log.
  static StatusOr<std::unique_ptr<EtcdProcess>> Start(const EtcdOptions& options);
  ~EtcdProcess();

  EtcdClient& client() { return *client_; }
  // Another client of this member (the same TLS), e.g. for a second thread.
  std::unique_ptr<EtcdClient> NewClient(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  int client_port() const { return client_port_; }
  const EtcdTls& client_tls() const { return client_tls_; }
  std::string peer_url() const;
  const std::filesystem::path& log_file() const { return options_.log_file; }
  pid_t pid() const;  // -1 once it has exited
  // False once the child has exited; ExitDescription() then says how.
  bool Running();
  std::string ExitDescription() const { return exit_; }
  // SIGTERM, then SIGKILL after a grace period.
  void Stop();

 private:
  EtcdProcess() = default;
  EtcdOptions options_;
  std::optional<Subprocess> child_;
  int client_port_ = 0;
  EtcdTls client_tls_;
  std::string exit_;
  std::unique_ptr<EtcdClient> client_;
};

// A TCP port on 127.0.0.1 that is free now.
StatusOr<int> FreeLocalPort();

// The last `lines` lines of a text file, for error messages.
std::string TailOfFile(const std::filesystem::path& path, int lines);

}  // namespace swarm::ledger
