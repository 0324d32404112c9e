#pragma once

// Port and address flags: a TCP port is 1..65535 (0 where it means "any free port"), checked
// when the command line is read, so 70000 is an error naming the flag instead of port 4464.

#include <CLI/CLI.hpp>
#include <initializer_list>
#include <string>

namespace swarm::cli {

inline CLI::Validator PortNumber(bool zero_picks_any = false) {
  const long low = zero_picks_any ? 0 : 1;
  return CLI::Validator(
      [low, zero_picks_any](std::string& value) -> std::string {
        size_t used = 0;
        long port = -1;
        try {
          port = std::stol(value, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != value.size() || used == 0 || port < low || port > 65535) {
          return "'" + value + "' is not a port: expected a number from " + std::to_string(low) + " to 65535" +
                 (zero_picks_any ? " (0: any free port)" : "");
        }
        return {};
      },
      zero_picks_any ? "PORT (0-65535)" : "PORT (1-65535)");
}

// A node that peers reach through a service (a reverse proxy's FQDN) listens where the
// proxy forwards to: --listen-ip, else its --host-ip when one is given, else every
// interface (as HPE's containers do), not the loopback address --host-ip defaults to.
inline void ListenEverywhereBehindAService(const CLI::App& command,
                                           std::initializer_list<const char*> services,
                                           std::string& listen_ip) {
  if (!listen_ip.empty() || command.count("--host-ip") > 0) return;
  for (const char* flag : services) {
    if (command.count(flag) > 0) {
      listen_ip = "0.0.0.0";
      return;
    }
  }
}

}  // namespace swarm::cli
