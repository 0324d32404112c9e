#pragma once

// What a SWOP starts for one SL/ML pair of a RUN_SWARM task, independent of the resource
// manager that starts it: the `swarm sl` sidecar, and the ML program it runs in a view of
// the file system where the task's contents are mounted where the task says.

#include <filesystem>
#include <string>
#include <vector>

#include "pki/tls.h"

namespace swarm::swop {

// A host path shown to the ML program at `target`.
struct Mount {
  std::filesystem::path source;  // on this host; must exist
  std::filesystem::path target;  // in the program's view
  bool read_only = false;
};

// The ML program's view: the host's file system read-only, a private /tmp, the mounts
// (writable unless read_only), and its working directory.
struct MlView {
  std::vector<Mount> mounts;
  std::filesystem::path working_dir;  // in the program's view
};

struct SlLaunchSpec {
  int idx = 0;                      // the profile's slnodedef idx
  std::filesystem::path swarm_bin;  // the `swarm` binary
  std::string host_ip;              // --host-ip: where peers reach its file server (empty: not given)
  int fs_port = 30305;              // --sl-fs-port
  std::string fs_service;           // --sl-fs-service: FQDN[:port] peers dial instead (empty: none)
  std::string sn_endpoints;         // --sn-ip: host:port[,host:port...]
  std::vector<std::string> dns;     // name servers the SL and its program resolve through (empty: the host's)
  pki::TlsFiles tls;                // --key --cert --capath
  std::filesystem::path data_dir;   // --data-dir: its uid, blobs and socket
  std::string parent_uid;           // the SWOP's uid (LIST NODES' PARENT UID)
  std::string ml_name;              // --ml-name
  std::vector<std::string> sl_env;  // KEY=VALUE for the SL process
  // The ML program.
  std::string entrypoint;               // e.g. python3
  std::vector<std::string> command;     // e.g. model/mnist.py --epochs 2
  std::vector<std::string> ml_env;      // KEY=VALUE
  MlView view;
  std::filesystem::path log_file;  // the SL's output and its program's
};

}  // namespace swarm::swop
