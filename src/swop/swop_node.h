#pragma once

// The Swarm Operator node (`swarm swop`): loads its identity (role swop) and its profile,
// registers with its SN as a SWOP node and keeps its liveness, enrols on the profile's
// taskrunner, and runs the tasks assigned there through its resource manager (agent.h).

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "core/data_dir.h"
#include "swop/agent.h"

namespace swarm::swop {

struct SwopOptions {
  std::vector<std::string> sn_hosts = {"127.0.0.1"};  // --sn-ip, each host or host:port or a list
  int sn_api_port = snapi::kDefaultSnApiPort;
  std::filesystem::path usr_dir;            // --usr-dir: holds the profile
  std::string profile_file_name;            // --profile-file-name
  pki::TlsFiles tls;
  std::string swop_uid;                     // --swop-uid; default: made once, kept in DATA_DIR/uid
  std::string name;                         // its name in LIST NODES; default swop-<groupname>
  std::filesystem::path data_dir;           // default USR_DIR/.swop-data/<profile file name without .yaml>
  std::filesystem::path swarm_bin;          // the `swarm` binary the SLs run
  std::chrono::seconds sn_wait{120};
  std::chrono::milliseconds poll{1000};
  std::chrono::milliseconds stop_grace{std::chrono::seconds(10)};
};

class SwopNode {
 public:
  static StatusOr<std::unique_ptr<SwopNode>> Start(const SwopOptions& options);
  ~SwopNode();

  // Runs tasks until Stop(); stops what the current task started before returning.
  int Run();
  void Stop() { stop_ = true; }

 private:
  SwopNode() = default;
  Status LoadProfile();
  Status Register();

  std::optional<DirLock> lock_;  // first in, last out
  SwopOptions o_;
  SwopProfile profile_;
  std::string uid_;
  std::unique_ptr<pki::TlsIdentity> identity_;
  std::unique_ptr<snapi::SnApi> sn_;
  std::unique_ptr<ResourceManager> manager_;
  std::unique_ptr<Agent> agent_;
  std::atomic<bool> stop_{false};
  std::jthread keepalive_;
};

}  // namespace swarm::swop
