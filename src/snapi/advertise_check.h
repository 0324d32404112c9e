#pragma once

// A node registers the address peers must dial to reach it (--host-ip). A loopback address
// works only while every node is on this host: once another node of the network is not on
// loopback, peers there could never reach this one, and the swarm would fail later, far
// from the cause (a round whose leader no one can fetch from). So a node checks before it
// registers, and refuses, naming both addresses, unless told that this is intended.

#include <string>

#include "core/status.h"
#include "swarm/v1/sn.pb.h"

namespace swarm::snapi {

// FailedPrecondition when `host` (what `what` would advertise, e.g. "this SL") is loopback
// while a node of `nodes` is registered at a non-loopback address; names that node and the
// way out (`override_flag`).
Status CheckAdvertisedHost(const std::string& host, const swarm::v1::ListNodesResponse& nodes,
                           const std::string& what, const std::string& override_flag);

}  // namespace swarm::snapi
