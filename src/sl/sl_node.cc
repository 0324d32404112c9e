#include "sl/sl_node.h"

#include "core/listen_check.h"
#include "core/log.h"
#include "core/node_uid.h"
#include "core/subprocess.h"
#include "sl/fetch_policy.h"
#include "sl/file_server.h"
#include "snapi/advertise_check.h"
#include "snapi/grpc_sn_api.h"

namespace swarm::sl {
namespace fs = std::filesystem;
namespace {

constexpr char kLog[] = "SL";

pki::AccessPolicy FileServerPolicy() {
  pki::AccessPolicy p;
  p.Allow("/swarm.v1.FileServer/Fetch", {pki::Role::kSl});
  return p;
}

}  // namespace

StatusOr<std::unique_ptr<SlNode>> SlNode::Start(const SlOptions& options) {
  std::unique_ptr<SlNode> node(new SlNode());
  node->o_ = options;
  // Every path this SL hands its ML program (blob paths, the socket) is absolute: the
  // program may run in another working directory (--ml-w).
  node->o_.data_dir = fs::absolute(options.data_dir).lexically_normal();
  const SlOptions& o = node->o_;
  // Bad flags are refused before this node reaches anything.
  std::vector<ViewMount> view;
  for (const std::string& m : o.ml_view) {
    ASSIGN_OR_RETURN(ViewMount vm, ParseViewMount(m));
    view.push_back(std::move(vm));
  }
  ASSIGN_OR_RETURN(pki::TlsIdentity id, pki::TlsIdentity::Load(o.tls));
  if (id.role() != pki::Role::kSl) {
    return PermissionDenied("--cert '" + o.tls.cert.string() + "' has role " +
                            std::string(pki::RoleName(id.role())) + "; an SL needs a certificate of role sl");
  }
  node->identity_ = std::make_unique<pki::TlsIdentity>(std::move(id));
  ASSIGN_OR_RETURN(pki::Signer signer, pki::Signer::Load(o.tls.key, o.tls.cert));
  std::error_code ec;
  ASSIGN_OR_RETURN(node->lock_, DirLock::Claim(o.data_dir, "SL"));
  ASSIGN_OR_RETURN(node->uid_, LoadOrMakeUid(o.data_dir));
  node->store_ = std::make_unique<BlobStore>(o.data_dir / "blobs");
  RETURN_IF_ERROR(node->store_->Init());

  // The file server first: the endpoint goes on the ledger with the registration.
  std::optional<snapi::Endpoint> fs_service;
  if (!o.fs_service.empty()) {
    ASSIGN_OR_RETURN(fs_service,
                     snapi::ParseService(o.fs_service, snapi::kDefaultServicePort, "--sl-fs-service"));
  }
  std::vector<snapi::Endpoint> sns;
  if (!o.sn_api_service.empty()) {
    ASSIGN_OR_RETURN(snapi::Endpoint sn,
                     snapi::ParseService(o.sn_api_service, snapi::kDefaultServicePort, "--sn-api-service"));
    sns.push_back(std::move(sn));
  } else {
    ASSIGN_OR_RETURN(sns, snapi::ParseEndpoints(o.sn_ip, o.sn_api_port));
  }
  std::string listening;  // where it listens, when that is not what peers dial
  node->fs_service_ = std::make_unique<FileServerService>(node->store_.get());
  {
    grpc::ServerBuilder b;
    int bound = 0;
    // Peers dial host_ip and the advertised port; behind NAT or a port mapping this host
    // listens on other ones.
    const std::string listen = o.listen_ip.empty() ? DefaultListenHost(o.host_ip) : o.listen_ip;
    const std::string address = HostPort(listen, o.fs_port);
    b.AddListeningPort(address, pki::MakeServerCredentials(*node->identity_, FileServerPolicy(), "swarm.SL"),
                       &bound);
    b.RegisterService(node->fs_service_.get());
    b.SetMaxSendMessageSize(8 << 20);
    // gRPC would share a port in use with its holder (SO_REUSEPORT): two servers, one address.
    b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    node->fs_server_ = b.BuildAndStart();
    if (!node->fs_server_ || bound == 0) {
      return Unavailable("cannot serve the file server on " + address + ": " +
                         WhyCannotListen(listen, o.fs_port));
    }
    // From here on o_.host_ip and o_.fs_port are what peers dial.
    node->o_.fs_port = o.advertised_fs_port != 0 ? o.advertised_fs_port : bound;
    if (fs_service) {
      node->o_.host_ip = fs_service->host;
      node->o_.fs_port = fs_service->port;
    }
    if (listen != node->o_.host_ip || node->o_.fs_port != bound) {
      listening = " (listening on " + HostPort(listen, bound) + ")";
    }
  }

  ASSIGN_OR_RETURN(node->sn_, snapi::MakeGrpcSnApi(*node->identity_, std::move(signer), {sns}));
  RETURN_IF_ERROR(snapi::WaitForSn(*node->sn_, o.sn_wait, [&](const Status& s) {
    LogInfo(kLog, "Waiting for the SN at " + node->sn_->target() + " (" + s.message() + ")");
  }));
  RETURN_IF_ERROR(node->Register());

  // The file server serves a blob only to whom the ledger says may have it, judged by the
  // state the syncs read (the bridge exists before any fetch can be served).
  node->fetch_policy_ =
      std::make_unique<FetchPolicy>(node->sn_.get(), [n = node.get()] { return n->bridge_->contract(); });
  RoundOptions rounds = o.rounds;
  rounds.fs_endpoint = HostPort(node->o_.host_ip, node->o_.fs_port);
  rounds.on_read = [p = node->fetch_policy_.get()](const swarm::v1::TrainingInfo& t) { p->Saw(t); };
  rounds.on_record = [p = node->fetch_policy_.get()](const Digest& d, bool shard, uint64_t round) {
    p->Recorded(d, shard, round);
  };
  node->peers_ = MakeTlsFetcher(*node->identity_);
  node->bridge_ =
      std::make_unique<BridgeService>(node->sn_.get(), node->store_.get(), node->peers_.get(), node->uid_,
                                      rounds, std::move(view), o.data_dir / "ml-logs");
  node->fs_service_->SetAuthorizer(
      [p = node->fetch_policy_.get()](const pki::PeerIdentity& caller, const Digest& d) {
        return p->Allow(caller, d);
      });
  node->o_.socket = o.socket.empty() ? o.data_dir / "sl.sock" : fs::absolute(o.socket);
  fs::remove(node->o_.socket, ec);
  {
    grpc::ServerBuilder b;
    b.AddListeningPort("unix:" + fs::absolute(node->o_.socket).string(), grpc::InsecureServerCredentials());
    b.RegisterService(node->bridge_.get());
    node->bridge_server_ = b.BuildAndStart();
    if (!node->bridge_server_)
      return Unavailable("cannot listen on the ML socket '" + node->o_.socket.string() + "'");
  }
  node->keepalive_ = std::thread([n = node.get()] {
    snapi::SayAliveWhile(
        *n->sn_, n->uid_, std::chrono::seconds(3), [n] { return !n->stop_ && n->alive_; }, kLog);
  });
  LogInfo(kLog, "SL node " + node->uid_ + " is up: file server on " + rounds.fs_endpoint + listening +
                    ", ML socket " + node->o_.socket.string() + ", SN " + node->sn_->target());
  return node;
}

SlNode::~SlNode() {
  stop_ = true;
  if (keepalive_.joinable()) keepalive_.join();
  if (bridge_server_) bridge_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  if (fs_server_) fs_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

Status SlNode::Register() {
  if (auto nodes = sn_->ListNodes(); nodes.ok()) {
    if (Status s = snapi::CheckAdvertisedHost(o_.host_ip, *nodes, "this SL", "--allow-loopback"); !s.ok()) {
      if (!o_.allow_loopback) return s;
      LogWarning(kLog, s.message() + " (--allow-loopback: registering it all the same)");
    }
  }
  swarm::v1::Transaction tx;
  auto* n = tx.mutable_register_node()->mutable_node();
  n->set_type(swarm::v1::NODE_TYPE_SL);
  n->set_host(o_.host_ip);
  n->set_port(static_cast<uint32_t>(o_.fs_port));
  n->set_name(o_.ml_name.empty() ? identity_->cert().CommonName() : o_.ml_name);
  n->set_uid(uid_);
  n->set_parent_uid(o_.parent_uid);
  n->set_sn_endpoint(sn_->target());
  RETURN_IF_ERROR(sn_->Submit(tx).status().WithContext("registering this SL with the SN"));
  return sn_->KeepAlive(uid_);
}

int SlNode::Run() {
  if (o_.ml_cmd.empty() && o_.ml_entrypoint.empty()) {
    while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return 0;
  }
  return RunProgram();
}

int SlNode::RunProgram() {
  SpawnOptions spawn;
  if (!o_.ml_entrypoint.empty()) spawn.argv.push_back(o_.ml_entrypoint);
  spawn.argv.insert(spawn.argv.end(), o_.ml_cmd.begin(), o_.ml_cmd.end());
  // --ml-e entries come last, so they may even replace SWARM_SL_SOCKET.
  spawn.env = {"SWARM_SL_SOCKET=" + fs::absolute(o_.socket).string()};
  spawn.env.insert(spawn.env.end(), o_.ml_env.begin(), o_.ml_env.end());
  spawn.workdir = o_.ml_workdir;
  // In the SL's own group: whoever signals the SL's group (a terminal's Ctrl-C, SWOP)
  // reaches the program too. It does not outlive its SL.
  spawn.new_process_group = false;
  spawn.die_with_parent = true;
  StatusOr<Subprocess> program = Subprocess::Spawn(spawn);
  if (!program.ok()) {
    // 127, as a shell reports a command it cannot run.
    NoteError(bridge_->user_log(),
              "cannot start the ML program '" + o_.ml_name + "': " + program.status().message());
    return LingerForPeers(127);
  }
  LogInfo(kLog, "started ML program '" + o_.ml_name + "' (pid " + std::to_string(program->pid()) +
                    "): " + spawn.argv[0]);
  const std::string what = "ML program '" + o_.ml_name + "'";
  std::optional<ExitStatus> exit;
  while (!exit) {
    if (stop_) {
      // SIGTERM or SIGINT to this SL: the program hears it too, and gets a grace period.
      LogInfo(kLog, "stopping: asking " + what + " to end (SIGTERM; SIGKILL after " +
                        std::to_string(o_.ml_stop_grace.count()) + " ms)");
      bridge_->Stop("the SL is stopping (SIGTERM or SIGINT)");
      peers_->Cancel("the SL is stopping (SIGTERM or SIGINT)");
      exit = program->Stop(o_.ml_stop_grace);
      break;
    }
    if (auto done = program->Wait(std::chrono::milliseconds(100)); done.ok()) exit = *done;
  }
  // A sync it left behind ends now, rather than waiting for peers on behalf of no one.
  bridge_->Stop(what + " has ended (" + exit->Describe() + ")");
  peers_->Cancel(what + " has ended");
  UserLog* user = bridge_->user_log();
  if (stop_) {
    Note(user, "stopped on request; " + what + " " + exit->Describe());
    if (!exit->ok()) return exit->ShellCode();
    return bridge_->delivered_final() ? 0 : 1;
  }
  if (exit->signal != 0) {
    NoteError(user, what + " was killed by signal " + std::to_string(exit->signal));
    return LingerForPeers(exit->ShellCode());
  }
  if (exit->code != 0) {
    NoteError(user, what + " exited with status " + std::to_string(exit->code));
    return LingerForPeers(exit->code);
  }
  if (!bridge_->delivered_final()) {
    NoteError(user, what + " ended before the final model was delivered");
    return LingerForPeers(1);
  }
  Note(user, what + " finished; the final model was delivered");
  ServeWhilePeersFetch();
  return 0;
}

void SlNode::ServeWhilePeersFetch() {
  // Peers fetch the final merged model from its leader or from any participant that has
  // it; an SL that left at once could leave them with nobody to fetch from.
  constexpr auto kQuiet = std::chrono::seconds(3), kMost = std::chrono::seconds(11);
  LogInfo(kLog, "serving peers the final model while they fetch it (until " + std::to_string(kQuiet.count()) +
                    " s pass without a fetch, at most " + std::to_string(kMost.count()) + " s)");
  ServeFor(kMost, kQuiet);
}

int SlNode::LingerForPeers(int code) {
  if (stop_) return code;  // asked to stop: the program died with us
  alive_ = false;
  // The SN's liveness lease (kLivenessTtl, 10 s) runs out after the last i-am-alive.
  constexpr auto kLinger = std::chrono::seconds(11);
  LogInfo(kLog, "leaving the swarm: serving peers the blobs this node holds for " +
                    std::to_string(kLinger.count()) + " s more, until the SN counts it gone");
  ServeFor(kLinger, std::nullopt);
  return code;
}

void SlNode::ServeFor(std::chrono::seconds most, std::optional<std::chrono::seconds> quiet) {
  const auto start = std::chrono::steady_clock::now();
  auto last_fetch = start;
  uint64_t fetches = Transfers().served_fetches;
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    if (const uint64_t n = Transfers().served_fetches; n != fetches) {
      fetches = n;
      last_fetch = now;
    }
    if (now - start >= most || (quiet && now - last_fetch >= *quiet)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace swarm::sl
