#include "swop/run_swarm_spec.h"

#include <map>

#include "snapi/sn_api.h"
#include "swop/sl_command_line.h"

namespace swarm::swop {
namespace fs = std::filesystem;
namespace {

std::string NodeName(const SlNodeDef& n) { return "node " + std::to_string(n.idx) + " of the profile"; }

fs::path HostPath(const TaskEnv& env, const std::string& p) {
  const fs::path path(p);
  return path.is_absolute() ? path : env.usr_dir / path;
}

// KEY=VALUE entries of `base`, then each of `layers` in turn: a later value wins, a null
// one removes the variable.
std::vector<std::string> Layered(char** base, const std::vector<const std::vector<taskdef::KeyValue>*>& layers) {
  std::map<std::string, std::string> env;
  std::vector<std::string> order;
  const auto set = [&](const std::string& k, const std::string& v) {
    if (!env.count(k)) order.push_back(k);
    env[k] = v;
  };
  for (char** e = base; e && *e; ++e) {
    const std::string kv(*e);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (const auto* layer : layers) {
    for (const taskdef::KeyValue& kv : *layer) {
      if (kv.is_null) {
        env.erase(kv.key);
      } else {
        set(kv.key, kv.value);
      }
    }
  }
  std::vector<std::string> out;
  for (const std::string& k : order) {
    if (auto it = env.find(k); it != env.end()) out.push_back(k + "=" + it->second);
  }
  return out;
}

Status SetIdentity(const SlNodeDef& node, const TaskEnv& env, pki::TlsFiles& tls) {
  for (const IdentityAttribute& a : node.identity) {
    const fs::path src = HostPath(env, a.src);
    if (a.atype == "KEY") tls.key = src;
    if (a.atype == "CERT") tls.cert = src;
    if (a.atype == "CAPATH" || (a.atype == "CACERT" && tls.capath.empty())) tls.capath = src;
    if (a.atype == "SPIFFE_SOCKETPATH") {
      return Unimplemented(NodeName(node) +
                           " names a SPIFFE_SOCKETPATH identity; this release takes KEY, CERT and CAPATH files");
    }
  }
  const auto need = [&](const fs::path& p, const char* type) -> Status {
    if (!p.empty()) return Status::Ok();
    return InvalidArgument(NodeName(node) + " has no identity attribute of aType " + type +
                           "; the SL needs KEY, CERT and CAPATH (or CACERT)");
  };
  RETURN_IF_ERROR(need(tls.key, "KEY"));
  RETURN_IF_ERROR(need(tls.cert, "CERT"));
  return need(tls.capath, "CAPATH");
}

StatusOr<fs::path> MountSource(const TaskEnv& env, const std::string& src, const std::string& mtype,
                               const std::string& field) {
  fs::path path = HostPath(env, src);
  if (mtype == "VOLUME") {
    ASSIGN_OR_RETURN(path, ContentDir(env, src));
  }
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  if (mtype == "VOLUME") {
    return NotFound(field + " names the content '" + src + "', which this SWOP does not have (no " + path.string() +
                    "); run the MAKE_SWARM_USER_CONTENT task whose Outcome is '" + src + "' first");
  }
  return NotFound(field + " '" + src + "' does not exist on this host (" + path.string() + ")");
}

StatusOr<MlView> View(const taskdef::RunSwarmBody& body, const SlNodeDef& node, const TaskEnv& env) {
  MlView view;
  view.working_dir = body.working_dir;
  if (body.private_content) {
    if (!node.privatedata) {
      return FailedPrecondition("the task mounts private data at '" + *body.private_content + "', but " +
                                NodeName(node) + " has no privatedata");
    }
    ASSIGN_OR_RETURN(fs::path src, MountSource(env, node.privatedata->src, node.privatedata->mtype,
                                               NodeName(node) + " privatedata.src"));
    view.mounts.push_back({src, *body.private_content, false});
  }
  for (size_t i = 0; i < body.shared_content.size(); ++i) {
    const taskdef::Mount& m = body.shared_content[i];
    ASSIGN_OR_RETURN(fs::path src,
                     MountSource(env, m.src, m.mtype, "SharedContent[" + std::to_string(i) + "].Src"));
    view.mounts.push_back({src, m.tgt, false});
  }
  return view;
}

}  // namespace

fs::path SlDataDir(const TaskEnv& env, const SlNodeDef& node) {
  return env.data_dir / env.profile->groupname / ("sl-" + std::to_string(node.idx));
}

StatusOr<SlLaunchSpec> RunSwarmSpec(const taskdef::RunSwarmBody& body, const swarm::v1::TaskInfo& task,
                                    const SlNodeDef& node, const TaskEnv& env, char** environment) {
  const SwopProfile& profile = *env.profile;
  SlLaunchSpec s;
  s.idx = static_cast<int>(node.idx);
  s.swarm_bin = env.swarm_bin;
  // Behind a reverse proxy the SL listens where the proxy forwards to: slhostip if given, else
  // every interface (no --host-ip), as HPE's SL container does.
  s.host_ip = node.slhostip.value_or(node.slfsservice ? "" : "127.0.0.1");
  s.fs_port = static_cast<int>(node.slport.value_or(0));
  if (node.slfsservice) {
    ASSIGN_OR_RETURN(snapi::Endpoint fs, snapi::ParseService(*node.slfsservice, snapi::kDefaultServicePort,
                                                             NodeName(node) + " slfsservice"));
    s.fs_service = fs.ToString();
  }
  s.sn_endpoints = env.sn_endpoints;
  if (profile.apisrv.locator.service) {
    ASSIGN_OR_RETURN(snapi::Endpoint sn,
                     snapi::ParseService(*profile.apisrv.locator.service, snapi::kDefaultServicePort,
                                         "apisrv.locator.service"));
    s.sn_endpoints = sn.ToString();
  } else if (profile.apisrv.locator.host) {
    s.sn_endpoints =
        HostPort(*profile.apisrv.locator.host,
                 static_cast<int>(profile.apisrv.locator.port.value_or(snapi::kDefaultSnApiPort)));
  }
  s.dns = profile.dns;
  RETURN_IF_ERROR(SetIdentity(node, env, s.tls));
  s.data_dir = SlDataDir(env, node);
  s.log_file = s.data_dir / "sl.log";
  s.parent_uid = env.swop_uid;
  s.ml_name = node.usrhostname.value_or(profile.groupname + "-" + std::to_string(node.idx));
  // WITH N PEERS is how many SLs the training is for: its first round waits for them all
  // (without it, a node that starts a little late misses round 1 and only catches up).
  std::vector<taskdef::KeyValue> derived;
  bool quorum_set = false;
  for (char** e = environment; e && *e; ++e) quorum_set |= std::string_view(*e).starts_with("SL_START_QUORUM=");
  if (env.sl_peers_needed > 0 && !quorum_set) {
    derived.push_back({"SL_START_QUORUM", std::to_string(env.sl_peers_needed), false});
  }
  s.sl_env = Layered(environment, {&derived, &profile.envvars, &node.slenvvars});
  s.entrypoint = body.entrypoint;
  ASSIGN_OR_RETURN(s.command, SplitCommand(body.command));
  char* empty[] = {nullptr};
  s.ml_env = Layered(empty, {&body.envvars, &node.usrenvvars});
  ASSIGN_OR_RETURN(s.view, View(body, node, env));
  std::error_code ec;
  fs::create_directories(s.data_dir, ec);
  if (ec) return FailedPrecondition("cannot make the SL's data dir '" + s.data_dir.string() + "': " + ec.message());
  (void)task;  // the task's header does not change the launch (its body does)
  return s;
}

}  // namespace swarm::swop
