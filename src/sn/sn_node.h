#pragma once

// A Swarm Network node (`swarm sn`): supervises its own etcd member, keeps the ledger
// with the other SNs, and serves the SN API with mutual TLS.
//
// Start-up: the sentinel forms a new etcd cluster; any other SN asks the sentinel (SN
// API, SN role only) to add its member, then starts it against the existing cluster. An
// SN whose --data-dir already holds its member resumes. Then the SN registers itself on
// the ledger, keeps itself alive, and serves.

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/data_dir.h"
#include "ledger/etcd_process.h"
#include "ledger/store.h"
#include "pki/tls.h"
#include "sn/health_service.h"
#include "sn/sn_service.h"
#include "snapi/sn_api.h"

namespace swarm::sn {

struct SnOptions {
  bool sentinel = false;
  std::string sentinel_ip;
  // Join with a loopback host_ip even though the sentinel is on another host.
  bool allow_loopback = false;
  int sentinel_api_port = 30304;
  std::string host_ip = "127.0.0.1";  // where peers reach it (an IP or a name)
  std::string listen_ip;              // empty: host_ip when it is this host's, else every interface
  int api_port = 30304;               // the ports it listens on
  int p2p_port = 30303;
  int advertised_api_port = 0;  // the ports peers dial, when a mapping makes them others (0: the above)
  int advertised_p2p_port = 0;
  // Behind a reverse proxy (HPE's services): FQDN[:port] that peers dial instead of host_ip
  // and the ports above; the proxy routes by the TLS server name, which is this FQDN.
  std::string api_service;           // --sn-api-service (default port 443)
  std::string p2p_service;           // --sn-p2p-service (default port 30303)
  std::string sentinel_api_service;  // --sentinel-api-service: the sentinel's, instead of sentinel_ip
  pki::TlsFiles tls;
  std::filesystem::path data_dir;
  std::chrono::seconds join_timeout{120};  // how long to wait for the sentinel
};

class SnNode {
 public:
  static StatusOr<std::unique_ptr<SnNode>> Start(const SnOptions& options);
  ~SnNode();

  // Blocks until Stop() or until etcd dies; returns the process exit status (0 after
  // Stop(), 1 when etcd died).
  int Wait();
  // Thread- and signal-safe: only sets a flag that Wait() polls.
  void Stop() { stop_ = true; }
  const std::string& uid() const { return uid_; }

 private:
  SnNode() = default;
  // Where peers reach this SN and the sentinel (options' services, else host and ports).
  Status ResolveAddresses();
  Status StartEtcd();
  Status RegisterSelf();
  std::filesystem::path SeenHeadFile() const;
  // At start: the store still holds the newest block this SN saw; else why not.
  Status CheckSeenHead();
  // Records the newest block of the cached state in SeenHeadFile().
  Status RememberHead();
  // Asks every other SN on the ledger for its signed head and compares it with this chain;
  // says what disagrees (see below).
  void CompareHeadsWithPeers();

  std::optional<DirLock> lock_;  // first in, last out: held until etcd is gone
  SnOptions options_;
  std::string listen_host_;  // where the API and the ledger member listen (--listen-ip, or derived)
  snapi::Endpoint advertised_api_, advertised_p2p_, sentinel_api_;
  std::unique_ptr<pki::TlsIdentity> identity_;
  std::unique_ptr<ledger::EtcdProcess> etcd_;
  std::unique_ptr<ledger::LedgerStore> store_;
  std::unique_ptr<WriterLink> writer_;  // before service_, which uses it
  std::unique_ptr<SnService> service_;
  HealthService health_;
  std::unique_ptr<grpc::Server> server_;
  std::string uid_;
  uint64_t remembered_height_ = 0;
  std::map<std::string, std::unique_ptr<swarm::v1::SwarmNetwork::Stub>> peers_;  // address -> stub
  size_t next_peer_ = 0;  // where the next CompareHeadsWithPeers starts
  std::atomic<bool> stop_{false};
};

}  // namespace swarm::sn
