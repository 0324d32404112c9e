#include "snapi/advertise_check.h"

#include "core/listen_check.h"

namespace swarm::snapi {

Status CheckAdvertisedHost(const std::string& host, const swarm::v1::ListNodesResponse& nodes,
                           const std::string& what, const std::string& override_flag) {
  if (!IsLoopbackHost(host)) return Status::Ok();
  for (const auto& n : nodes.nodes()) {
    const auto& r = n.record();
    if (r.host().empty() || IsLoopbackHost(r.host())) continue;
    return FailedPrecondition(what + " would advertise " + host + " (its --host-ip) while node '" + r.name() +
                              "' of the network is at " + r.host() + ": nodes on other hosts could not reach it. "
                              "Give --host-ip the address that peers reach this host at, or " + override_flag +
                              " if every node that must reach it is on this host");
  }
  return Status::Ok();
}

}  // namespace swarm::snapi
