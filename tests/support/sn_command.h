#pragma once

// The `swarm sn` command line that tests and benchmarks start on loopback: a sentinel
// (sentinel_api_port 0) or an SN joining the sentinel at that port.

#include <filesystem>
#include <string>
#include <vector>

#include "pki/tls.h"

namespace swarm::testing {

inline std::vector<std::string> SnCommand(const std::string& swarm_bin, const pki::TlsFiles& tls,
                                          int api_port, int p2p_port, const std::filesystem::path& data_dir,
                                          int sentinel_api_port = 0) {
  std::vector<std::string> args = {swarm_bin,       "sn",
                                   "--host-ip",     "127.0.0.1",
                                   "--sn-api-port", std::to_string(api_port),
                                   "--sn-p2p-port", std::to_string(p2p_port),
                                   "--key",         tls.key.string(),
                                   "--cert",        tls.cert.string(),
                                   "--capath",      tls.capath.string(),
                                   "--data-dir",    data_dir.string()};
  if (sentinel_api_port == 0) {
    args.push_back("--sentinel");
  } else {
    args.insert(args.end(),
                {"--sentinel-ip", "127.0.0.1", "--sentinel-api-port", std::to_string(sentinel_api_port)});
  }
  return args;
}

}  // namespace swarm::testing
