// Nodes: the live nodes of the network, and waiting for an API server to come up.

#include "swci/command_env.h"
#include "swci/commands/commands.h"
#include "swci/commands/common.h"

namespace swarm::swci {
namespace {

std::string NodeType(swarm::v1::NodeType t) {
  return swarm::v1::NodeType_Name(t).substr(std::string_view("NODE_TYPE_").size());
}

StatusOr<Result> ListNodes(CommandEnv& env, const Args&) {
  ASSIGN_OR_RETURN(snapi::SnApi * api, env.Api());
  ASSIGN_OR_RETURN(swarm::v1::ListNodesResponse resp, api->ListNodes());
  // Fixed widths, as HPE's SWCI lines them up.
  Table t{{{"NODE TYPE", 10},
           {"HOST", 17},
           {"PORT", 7},
           {"NAME", 10},
           {"UID", 34},
           {"PARENT UID", 34},
           {"LAST I-AM-ALIVE"}},
          {}};
  for (const auto& n : resp.nodes()) {
    // Registered but not active, or SWCI itself: not shown, as in HPE's SWCI.
    if (!n.alive() || n.record().type() == swarm::v1::NODE_TYPE_SWCI) continue;
    const auto& r = n.record();
    t.rows.push_back({NodeType(r.type()), r.host(), std::to_string(r.port()), r.name(), r.uid(),
                      r.parent_uid().empty() ? "-" : r.parent_uid(), TimeOfMs(n.last_alive_unix_ms())});
  }
  return Result::Of(std::move(t));
}

// WAIT FOR IP's and WAIT FOR SERVICE's wait: `retries` tries (360 unless given), 5 s apart.
StatusOr<Result> WaitForEndpoint(CommandEnv& env, const snapi::Endpoint& endpoint, const Args& a) {
  long retries = 360;
  if (a.Has("retries")) {
    ASSIGN_OR_RETURN(retries, a.Int("retries", 1, 1000000));
  }
  RETURN_IF_ERROR(WaitUntilUp(env, endpoint, retries, env.services.waits.ip_retry_pause).status());
  return Result::Line(std::string(kApiServerUp));
}

StatusOr<Result> WaitForIp(CommandEnv& env, const Args& a) {
  snapi::Endpoint endpoint{a.String("ip"), kDefaultSnApiPort};
  if (a.Has("port")) {
    ASSIGN_OR_RETURN(long port, a.Int("port", 1, 65535));
    endpoint.port = static_cast<int>(port);
  }
  return WaitForEndpoint(env, endpoint, a);
}

StatusOr<Result> WaitForService(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::Endpoint endpoint,
                   snapi::ParseService(a.String("service"), snapi::kDefaultServicePort, "service"));
  return WaitForEndpoint(env, endpoint, a);
}

}  // namespace

void RegisterNodeCommands(CommandRegistry& r) {
  r.Add("LIST NODES",
        "Lists the live Swarm nodes (SWCI and ML programs are not nodes here): type, host, port, name, uid, "
        "parent uid and when each last said it is alive. A node reached through a reverse proxy shows its "
        "service name as its host: an SN its API service, an SL its file server service, a SWOP its SN's.",
        ListNodes);
  r.Add("WAIT FOR IP <ip:string> [port:string] [retries:string]",
        "Waits until the API server at ip (port 30304 unless given) answers, asking every 5 seconds up to "
        "retries "
        "times (default 360: half an hour). Ctrl-C stops the wait.",
        WaitForIp);
  r.Add("WAIT FOR SERVICE <service:string> [retries:string]",
        "Waits until the SN API service (an FQDN behind a reverse proxy, port 443 unless given as "
        "service:port) answers, asking every 5 seconds up to retries times (default 360: half an hour). "
        "Ctrl-C stops the wait.",
        WaitForService);
}

}  // namespace swarm::swci
