#include "swop/swop_node.h"

#include "core/log.h"
#include "core/node_uid.h"
#include "snapi/grpc_sn_api.h"
#include "swop/process/process_manager.h"

namespace swarm::swop {
namespace fs = std::filesystem;
namespace {

constexpr char kLog[] = "SWOP";

StatusOr<std::unique_ptr<ResourceManager>> MakeManager(const SwopProfile& p) {
  if (p.resourcemgr.mgrtype == "PROCESS") {
    ASSIGN_OR_RETURN(std::unique_ptr<ProcessManager> m, ProcessManager::Make());
    return std::unique_ptr<ResourceManager>(std::move(m));
  }
  return Unimplemented("resourcemgr mgrtype " + p.resourcemgr.mgrtype +
                       " needs the container resource manager, which this release does not have yet; use "
                       "mgrtype PROCESS (the default when resourcemgr is left out) to run SL and ML programs as "
                       "processes on this host");
}

}  // namespace

StatusOr<std::unique_ptr<SwopNode>> SwopNode::Start(const SwopOptions& o) {
  std::unique_ptr<SwopNode> node(new SwopNode());
  node->o_ = o;
  // One per profile: HPE's layouts keep several SWOPs' profiles in one usr-dir.
  if (node->o_.data_dir.empty()) {
    node->o_.data_dir = o.usr_dir / ".swop-data" / fs::path(o.profile_file_name).stem();
  }
  node->o_.data_dir = fs::absolute(node->o_.data_dir);
  node->o_.usr_dir = fs::absolute(o.usr_dir);
  ASSIGN_OR_RETURN(pki::TlsIdentity id, pki::TlsIdentity::Load(o.tls));
  if (id.role() != pki::Role::kSwop) {
    return PermissionDenied("--cert '" + o.tls.cert.string() + "' has role " + std::string(pki::RoleName(id.role())) +
                            "; a SWOP needs a certificate of role swop");
  }
  node->identity_ = std::make_unique<pki::TlsIdentity>(std::move(id));
  RETURN_IF_ERROR(node->LoadProfile());
  ASSIGN_OR_RETURN(node->manager_, MakeManager(node->profile_));
  ASSIGN_OR_RETURN(node->lock_, DirLock::Claim(node->o_.data_dir, "SWOP"));
  if (o.swop_uid.empty()) {
    ASSIGN_OR_RETURN(node->uid_, LoadOrMakeUid(node->o_.data_dir));
  } else {
    node->uid_ = o.swop_uid;
  }

  ASSIGN_OR_RETURN(pki::Signer signer, pki::Signer::Load(o.tls.key, o.tls.cert));
  ASSIGN_OR_RETURN(std::vector<snapi::Endpoint> sns, snapi::EndpointsFromFlags(o.sn_hosts, o.sn_api_port));
  std::string endpoints;
  for (const auto& e : sns) endpoints += (endpoints.empty() ? "" : ",") + e.ToString();
  ASSIGN_OR_RETURN(node->sn_, snapi::MakeGrpcSnApi(*node->identity_, std::move(signer), {sns}));
  RETURN_IF_ERROR(snapi::WaitForSn(*node->sn_, o.sn_wait, [&](const Status& s) {
    LogInfo(kLog, "Waiting for the SN at " + endpoints + " (" + s.message() + ")");
  }));
  RETURN_IF_ERROR(node->Register());
  node->keepalive_ = std::jthread([n = node.get()](std::stop_token stop) {
    snapi::SayAliveWhile(*n->sn_, n->uid_, std::chrono::seconds(3), [&stop] { return !stop.stop_requested(); },
                         kLog);
  });

  TaskEnv env;
  env.profile = &node->profile_;
  env.manager = node->manager_.get();
  env.swop_uid = node->uid_;
  env.usr_dir = node->o_.usr_dir;
  env.data_dir = node->o_.data_dir;
  env.swarm_bin = o.swarm_bin;
  env.sn_endpoints = endpoints;
  env.stop_grace = o.stop_grace;
  node->agent_ = std::make_unique<Agent>(node->sn_.get(), env, AgentOptions{node->profile_.taskrunner, o.poll});
  LogInfo(kLog, "SWOP " + node->uid_ + " is up: group '" + node->profile_.groupname + "', " +
                    std::to_string(node->profile_.nodes.size()) + " SL node(s), taskrunner '" +
                    node->profile_.taskrunner + "', resource manager " + std::string(node->manager_->name()) +
                    ", SN " + node->sn_->target() + ", data " + node->o_.data_dir.string());
  return node;
}

Status SwopNode::LoadProfile() {
  const fs::path file = o_.usr_dir / o_.profile_file_name;
  ASSIGN_OR_RETURN(profile_, ParseProfileFile(file));
  const std::vector<std::string> unused = ContainerOnlyFieldsSet(profile_);
  if (!unused.empty() && profile_.resourcemgr.mgrtype == "PROCESS") {
    std::string list;
    for (const auto& f : unused) list += (list.empty() ? "" : ", ") + f;
    LogInfo(kLog, "profile " + file.string() + ": these fields mean something only to containers and are not "
                  "used by the PROCESS resource manager: " + list);
  }
  // Read, and not acted on by this release: said once, so nobody relies on them silently.
  if (profile_.policyuri) LogInfo(kLog, "policyuri is not used: this SWOP accepts every task of its taskrunner");
  if (profile_.apls) LogInfo(kLog, "apls is not used: Swarm needs no license server");
  return Status::Ok();
}

Status SwopNode::Register() {
  swarm::v1::Transaction tx;
  auto* n = tx.mutable_register_node()->mutable_node();
  n->set_type(swarm::v1::NODE_TYPE_SWOP);
  // As HPE shows it: a SWOP's address in LIST NODES is that of its SN's API.
  ASSIGN_OR_RETURN(std::vector<snapi::Endpoint> sn, snapi::ParseEndpoints(sn_->target(), o_.sn_api_port));
  n->set_host(sn[0].host);
  n->set_port(static_cast<uint32_t>(sn[0].port));
  n->set_name(o_.name.empty() ? "swop-" + profile_.groupname : o_.name);
  n->set_uid(uid_);
  n->set_sn_endpoint(sn_->target());
  RETURN_IF_ERROR(sn_->Submit(tx).status().WithContext("registering this SWOP with the SN"));
  RETURN_IF_ERROR(sn_->KeepAlive(uid_));
  swarm::v1::Transaction enroll;
  enroll.mutable_enroll_swop()->set_taskrunner(profile_.taskrunner);
  enroll.mutable_enroll_swop()->set_uid(uid_);
  return sn_->Submit(enroll).status().WithContext("enrolling on taskrunner '" + profile_.taskrunner + "'");
}

int SwopNode::Run() {
  agent_->Run(stop_);
  LogInfo(kLog, "Stopping the SWOP");
  return 0;
}

SwopNode::~SwopNode() {
  agent_.reset();  // stops what the current task started
  keepalive_ = {};
}

}  // namespace swarm::swop
