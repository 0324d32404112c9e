#pragma once

// The Swarm Learning node (`swarm sl`): registers with its SN and keeps its liveness,
// serves its file server to other SLs (mutual TLS, SL role only), and serves its ML
// program on a Unix socket; optionally starts that program as a child process (HPE's
// run-sl sidecar flags) and ends with its exit status.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/data_dir.h"
#include "sl/bridge_service.h"
#include "sl/fetch_policy.h"
#include "sl/file_server.h"

namespace swarm::sl {

struct SlOptions {
  std::string host_ip = "127.0.0.1";  // where peers reach the file server
  // Register a loopback host_ip even though other nodes of the network are elsewhere.
  bool allow_loopback = false;
  std::string sn_ip = "127.0.0.1";    // one SN or a list, "host[:port][,host[:port]...]"
  int sn_api_port = snapi::kDefaultSnApiPort;
  int fs_port = 30305;         // the port it listens on (0: any free one)
  int advertised_fs_port = 0;  // the port peers dial, when a mapping makes it another (0: fs_port)
  std::string listen_ip;       // empty: host_ip when it is this host's, else every interface
  // Behind a reverse proxy (HPE's services), FQDN[:port] (default port 443): what peers dial
  // for the file server instead of host_ip and the port, and the SN to use instead of sn_ip.
  std::string fs_service;      // --sl-fs-service
  std::string sn_api_service;  // --sn-api-service
  pki::TlsFiles tls;
  std::filesystem::path data_dir;  // uid, blobs, the socket (unless --ml-socket)
  std::filesystem::path socket;    // the ML program's socket; default DATA_DIR/sl.sock
  // Sidecar: run the ML program as a child with SWARM_SL_SOCKET in its environment.
  std::string ml_entrypoint;
  std::vector<std::string> ml_cmd;
  std::filesystem::path ml_workdir;
  std::vector<std::string> ml_env;  // KEY=VALUE
  std::string ml_name = "ml";
  std::string parent_uid;            // the SWOP that started this SL, if one did (LIST NODES' PARENT UID)
  std::vector<std::string> ml_view;  // TARGET=SOURCE: the program's view of the file system (set by a SWOP)
  RoundOptions rounds;               // deadlines from SL_* environment variables
  // SL_ML_STOP_GRACE_SECONDS: when the SL is asked to stop, how long its ML program has
  // between SIGTERM and SIGKILL.
  std::chrono::milliseconds ml_stop_grace{std::chrono::seconds(5)};
  std::chrono::seconds sn_wait{120};
};

class SlNode {
 public:
  static StatusOr<std::unique_ptr<SlNode>> Start(const SlOptions& options);
  ~SlNode();

  // Runs the ML program if one was given and returns its exit status (1 if it died or the
  // final model was not delivered); otherwise serves until Stop().
  int Run();
  void Stop() { stop_ = true; }
  const std::string& uid() const { return uid_; }

 private:
  SlNode() = default;
  Status Register();
  int RunProgram();
  // After the program failed: stops saying i-am-alive but keeps the file server up until
  // the SN has let this node's lease expire, so that peers can still fetch what it holds
  // (a merged model it led, say). Returns `code`; Stop() cuts the wait short.
  int LingerForPeers(int code);
  // After the final model was delivered: serves peers that still fetch it, for a bounded time.
  void ServeWhilePeersFetch();
  // Keeps the file server up for `most`, or until `quiet` passes without a fetch; Stop()
  // cuts it short.
  void ServeFor(std::chrono::seconds most, std::optional<std::chrono::seconds> quiet);

  std::optional<DirLock> lock_;  // first in, last out: held until everything else is gone
  SlOptions o_;
  std::string uid_;
  std::unique_ptr<pki::TlsIdentity> identity_;
  std::unique_ptr<BlobStore> store_;
  std::unique_ptr<snapi::SnApi> sn_;
  std::unique_ptr<FileServerService> fs_service_;
  std::unique_ptr<PeerFetcher> peers_;
  std::unique_ptr<BridgeService> bridge_;
  std::unique_ptr<FetchPolicy> fetch_policy_;  // the file server's: shut down before it goes
  std::unique_ptr<grpc::Server> fs_server_, bridge_server_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> alive_{true};  // false: no more i-am-alive
  std::thread keepalive_;
};

}  // namespace swarm::sl
