#include "sn/sn_node.h"

#include <fstream>
#include <random>

#include "core/listen_check.h"
#include "core/log.h"
#include "core/node_uid.h"
#include "pki/signer.h"
#include "snapi/advertise_check.h"
#include "snapi/grpc_sn_api.h"

namespace swarm::sn {
namespace fs = std::filesystem;
namespace {

constexpr char kLog[] = "blCnt";

}  // namespace

StatusOr<std::unique_ptr<SnNode>> SnNode::Start(const SnOptions& o) {
  std::unique_ptr<SnNode> node(new SnNode());
  node->options_ = o;
  ASSIGN_OR_RETURN(pki::TlsIdentity id, pki::TlsIdentity::Load(o.tls));
  if (id.role() != pki::Role::kSn) {
    return PermissionDenied("--cert '" + o.tls.cert.string() + "' has role " +
                            std::string(pki::RoleName(id.role())) + "; an SN needs a certificate of role sn");
  }
  node->identity_ = std::make_unique<pki::TlsIdentity>(std::move(id));
  ASSIGN_OR_RETURN(node->lock_, DirLock::Claim(o.data_dir, "SN"));
  ASSIGN_OR_RETURN(node->uid_, LoadOrMakeUid(o.data_dir));

  // Checked before the etcd member starts: a joining SN that failed later would leave a
  // member in the cluster that never comes up.
  RETURN_IF_ERROR(node->ResolveAddresses());
  node->listen_host_ = o.listen_ip.empty() ? DefaultListenHost(o.host_ip) : o.listen_ip;
  const std::string& listen = node->listen_host_;
  if (const std::string why = ListenProblem(listen, o.api_port); !why.empty()) {
    return Unavailable("cannot serve the SN API on " + listen + ":" + std::to_string(o.api_port) + ": " +
                       why);
  }
  RETURN_IF_ERROR(node->StartEtcd());
  ASSIGN_OR_RETURN(pki::Signer block_signer, pki::Signer::Load(o.tls.key, o.tls.cert));
  node->store_ = std::make_unique<ledger::LedgerStore>(&node->etcd_->client(), node->identity_->trust(),
                                                       std::move(block_signer));
  node->writer_ = std::make_unique<WriterLink>(&node->etcd_->client(), node->identity_.get(),
                                               node->advertised_api_.ToString());
  node->service_ =
      std::make_unique<SnService>(node->store_.get(), &node->etcd_->client(), node->writer_.get());
  RETURN_IF_ERROR(node->CheckSeenHead());
  RETURN_IF_ERROR(node->RegisterSelf());
  RETURN_IF_ERROR(node->service_->MarkAlive(node->uid_));

  constexpr int kMaxIdleHandlerThreads = 32;
  grpc::ServerBuilder builder;
  const std::string address = HostPort(listen, o.api_port);
  int bound = 0;
  builder.AddListeningPort(
      address, pki::MakeServerCredentials(*node->identity_, SnAccessPolicy(), "swarm.blCnt"), &bound);
  builder.RegisterService(node->service_.get());
  builder.RegisterService(&node->health_);
  // gRPC would share a port in use with its holder (SO_REUSEPORT): two ledgers, one address.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Submits wait for their block in the handler thread. With gRPC's default of at most two
  // idle pollers, every thread that ends such a call exits and the next call starts a new one;
  // keeping more threads saves a thread start per transaction under load.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kMaxIdleHandlerThreads);
  node->server_ = builder.BuildAndStart();
  if (!node->server_ || bound == 0) {
    return Unavailable("cannot serve the SN API on " + address + ": " + WhyCannotListen(listen, o.api_port));
  }
  const snapi::Endpoint& api = node->advertised_api_;
  LogInfo(kLog, "Starting SWARM-API-SERVER on port: " + std::to_string(bound) +
                    (listen != api.host || api.port != bound
                         ? " (peers reach it at " + api.ToString() + ", it listens on " + address + ")"
                         : ""));
  return node;
}

Status SnNode::ResolveAddresses() {
  const SnOptions& o = options_;
  if (!o.api_service.empty()) {
    ASSIGN_OR_RETURN(advertised_api_,
                     snapi::ParseService(o.api_service, snapi::kDefaultServicePort, "--sn-api-service"));
  } else {
    advertised_api_ = {o.host_ip, o.advertised_api_port != 0 ? o.advertised_api_port : o.api_port};
  }
  if (!o.p2p_service.empty()) {
    ASSIGN_OR_RETURN(advertised_p2p_,
                     snapi::ParseService(o.p2p_service, snapi::kDefaultP2pServicePort, "--sn-p2p-service"));
  } else {
    advertised_p2p_ = {o.host_ip, o.advertised_p2p_port != 0 ? o.advertised_p2p_port : o.p2p_port};
  }
  if (!o.sentinel_api_service.empty()) {
    ASSIGN_OR_RETURN(sentinel_api_, snapi::ParseService(o.sentinel_api_service, snapi::kDefaultServicePort,
                                                        "--sentinel-api-service"));
  } else {
    sentinel_api_ = {o.sentinel_ip, o.sentinel_api_port};
  }
  return Status::Ok();
}

Status SnNode::StartEtcd() {
  const SnOptions& o = options_;
  ledger::EtcdOptions e;
  e.name = "sn-" + advertised_p2p_.host + "-" + std::to_string(o.p2p_port);
  e.data_dir = o.data_dir / "etcd";
  e.log_file = o.data_dir / "etcd.log";
  e.peer_host = advertised_p2p_.host;
  e.peer_port = advertised_p2p_.port;
  e.listen_peer_host = listen_host_;
  e.listen_peer_port = o.p2p_port;
  // Peers' etcd members talk mutual TLS with the SN's own certificate; etcd wants the
  // trusted CAs in one file.
  e.peer_cert = fs::absolute(o.tls.cert);
  e.peer_key = fs::absolute(o.tls.key);
  e.peer_trusted_ca = fs::absolute(o.data_dir / "peer-ca.pem");
  {
    std::ofstream ca(e.peer_trusted_ca);
    ca << identity_->trust().RootsPem();
    if (!ca) return FailedPrecondition("cannot write '" + e.peer_trusted_ca.string() + "'");
  }
  const bool resume = fs::exists(e.data_dir / "member");
  if (resume) {
    LogInfo(kLog, "Resuming the ledger member in " + e.data_dir.string());
    e.join_existing = true;
  } else if (!o.sentinel) {
    // The sentinel is a node of the network: if it is elsewhere, so must this SN's address be.
    swarm::v1::ListNodesResponse sentinel_node;
    sentinel_node.add_nodes()->mutable_record()->set_host(sentinel_api_.host);
    sentinel_node.mutable_nodes(0)->mutable_record()->set_name("the sentinel");
    if (Status s =
            snapi::CheckAdvertisedHost(advertised_api_.host, sentinel_node, "this SN", "--allow-loopback");
        !s.ok()) {
      if (!o.allow_loopback) return s;
      LogWarning(kLog, s.message() + " (--allow-loopback: joining all the same)");
    }
    // Ask the sentinel to add our member; wait for it as long as join_timeout allows.
    const std::string target = sentinel_api_.ToString();
    snapi::GrpcSnApiOptions api;
    api.endpoints = {sentinel_api_};
    api.call_deadline = std::chrono::seconds(5);
    ASSIGN_OR_RETURN(std::unique_ptr<snapi::SnApi> sentinel,
                     snapi::MakeGrpcSnApi(*identity_, std::nullopt, api));
    const auto deadline = std::chrono::steady_clock::now() + o.join_timeout;
    while (true) {
      swarm::v1::JoinRequest req;
      req.set_name(e.name);
      req.set_peer_url("https://" + advertised_p2p_.ToString());
      StatusOr<swarm::v1::JoinResponse> resp = sentinel->Join(req);
      Status s = resp.status();
      if (s.ok()) {
        e.initial_cluster = resp->initial_cluster();
        e.join_existing = true;
        break;
      }
      if (s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kUnauthenticated ||
          std::chrono::steady_clock::now() > deadline) {
        return s.WithContext("joining the SN network through the sentinel at " + target);
      }
      LogInfo(kLog, "Waiting for the sentinel SN at " + target + " (" + s.message() + ")");
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  auto etcd = ledger::EtcdProcess::Start(e);
  if (!etcd.ok()) return etcd.status().WithContext("starting this SN's etcd member");
  etcd_ = std::move(etcd).value();
  LogInfo(kLog, "Ledger member " + e.name + " is up (peer " + etcd_->peer_url() + ", log " +
                    e.log_file.string() + ")");
  return Status::Ok();
}

Status SnNode::RegisterSelf() {
  swarm::v1::Transaction tx;
  auto* n = tx.mutable_register_node()->mutable_node();
  n->set_type(options_.sentinel ? swarm::v1::NODE_TYPE_SENTINEL : swarm::v1::NODE_TYPE_SN);
  n->set_host(advertised_api_.host);
  n->set_port(advertised_api_.port);
  n->set_name(identity_->cert().CommonName());
  n->set_uid(uid_);
  ASSIGN_OR_RETURN(std::shared_ptr<const ledger::State> state, store_->Sync());
  if (auto it = state->nodes.find(uid_);
      it != state->nodes.end() && it->second.record.SerializeAsString() == n->SerializeAsString()) {
    return Status::Ok();  // already registered as it is
  }
  ASSIGN_OR_RETURN(pki::Signer signer, pki::Signer::Load(options_.tls.key, options_.tls.cert));
  ASSIGN_OR_RETURN(swarm::v1::SignedTransaction signed_tx, ledger::SignTransaction(tx, signer));
  return store_->Submit({signed_tx}).status().WithContext("registering this SN on the ledger");
}

// DIR/ledger-head: "HEIGHT HASH" of the newest block this SN has seen. Blocks are only ever
// added, so a store whose chain is shorter, or holds another block at that height, was
// truncated or rolled back (on disk, or by a restore) while this SN was away.
fs::path SnNode::SeenHeadFile() const { return options_.data_dir / "ledger-head"; }

Status SnNode::CheckSeenHead() {
  ASSIGN_OR_RETURN(std::shared_ptr<const ledger::State> state, store_->Sync());
  std::ifstream in(SeenHeadFile());
  uint64_t height = 0;
  std::string hex;
  if (!(in >> height >> hex)) return RememberHead();  // first start, or nothing recorded yet
  const std::string fix = "; restore " + (options_.data_dir / "etcd").string() +
                          " from a backup, or start this SN on an empty --data-dir so it takes the chain "
                          "from the other SNs";
  if (state->height < height) {
    return DataLoss("the ledger in " + (options_.data_dir / "etcd").string() + " ends at block " +
                    std::to_string(state->height) + ", but this SN had seen block " + std::to_string(height) +
                    ": the store was truncated or rolled back" + fix);
  }
  ASSIGN_OR_RETURN(Digest at, store_->HashAt(height));
  if (at.Hex() != hex) {
    return DataLoss("block " + std::to_string(height) +
                    " of the ledger is not the one this SN had seen (hash " + hex.substr(0, 16) + "…, now " +
                    at.Hex().substr(0, 16) + "…): history was rewritten" + fix);
  }
  return RememberHead();
}

// Every SN's etcd member holds the same store, so a rewrite behind the SNs is caught by each
// one's CheckHeadInStore. What that cannot see is two stores that went apart: one SN's data
// dir restored from a backup as an etcd cluster of its own, appending its own blocks. The SNs
// then hold signed heads the other's chain contradicts. One SN's word cannot tell which chain
// is right, and stopping on it would let one bad SN halt every other: each SN says so, as an
// error naming the other, every time it compares.
void SnNode::CompareHeadsWithPeers() {
  // The SN's own liveness is kept by the same loop: one round asks peers for at most
  // kBudget (an unreachable one costs its deadline), starting where the last round stopped.
  constexpr auto kBudget = std::chrono::milliseconds(1500);
  const auto until = std::chrono::steady_clock::now() + kBudget;
  const std::shared_ptr<const ledger::State> state = store_->Cached();
  std::vector<const ledger::Node*> peers;
  for (const auto& [uid, node] : state->nodes) {
    const auto type = node.record.type();
    if (uid != uid_ && (type == swarm::v1::NODE_TYPE_SN || type == swarm::v1::NODE_TYPE_SENTINEL))
      peers.push_back(&node);
  }
  for (size_t n = 0; n < peers.size() && std::chrono::steady_clock::now() < until; ++n) {
    const ledger::Node& node = *peers[next_peer_++ % peers.size()];
    const std::string address = node.record.host() + ":" + std::to_string(node.record.port());
    auto& stub = peers_[address];
    if (!stub) stub = swarm::v1::SwarmNetwork::NewStub(pki::MakeSecureChannel(*identity_, address));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    swarm::v1::SignedHead head;
    if (!stub->GetHead(&ctx, {}, &head).ok()) continue;  // down or unreachable: its own problem
    if (Status s = store_->CompareHead(head); !s.ok()) {
      LogError(kLog, "SN '" + node.record.name() + "' at " + address + ": " + s.message());
    }
  }
}

Status SnNode::RememberHead() {
  const auto [height, hash] = store_->Head();
  if (height == 0 || height == remembered_height_) return Status::Ok();
  const fs::path tmp = SeenHeadFile().string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << height << " " << hash.Hex() << "\n";
    if (!out) return FailedPrecondition("cannot write '" + tmp.string() + "'");
  }
  std::error_code ec;
  fs::rename(tmp, SeenHeadFile(), ec);
  if (ec) return FailedPrecondition("cannot write '" + SeenHeadFile().string() + "': " + ec.message());
  remembered_height_ = height;
  return Status::Ok();
}

namespace {
constexpr auto kCompareHeadsEvery = std::chrono::seconds(5);
}  // namespace

int SnNode::Wait() {
  auto next_alive = std::chrono::steady_clock::now();
  auto next_check = std::chrono::steady_clock::now();
  auto next_compare = std::chrono::steady_clock::now() + kCompareHeadsEvery;
  const auto fail = [this](const std::string& why) {
    LogError(kLog, why + "\nThe SN stops.");
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    etcd_->Stop();
    return 1;
  };
  while (!stop_) {
    if (std::chrono::steady_clock::now() >= next_check) {
      // A store that went back, or holds a block that does not verify, is not served from.
      if (auto s = store_->Sync(); !s.ok() && s.status().code() == StatusCode::kDataLoss) {
        return fail(s.status().message() + " (it does not serve a ledger it cannot vouch for)");
      }
      if (Status h = store_->CheckHeadInStore(); h.code() == StatusCode::kDataLoss) {
        return fail(h.message() + " (it does not serve a ledger it cannot vouch for)");
      }
      if (std::chrono::steady_clock::now() >= next_compare) {
        CompareHeadsWithPeers();
        next_compare = std::chrono::steady_clock::now() + kCompareHeadsEvery;
      }
      if (Status r = RememberHead(); !r.ok()) LogWarning(kLog, r.message());
      if (Status w = writer_->Advertise(); !w.ok())
        LogWarning(kLog, "cannot advertise this SN as the writer: " + w.message());
      next_check = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
    if (!etcd_->Running()) {
      return fail("This SN's etcd member (ledger store) exited: " + etcd_->ExitDescription() + "; end of " +
                  etcd_->log_file().string() + ":" + ledger::TailOfFile(etcd_->log_file(), 5));
    }
    if (std::chrono::steady_clock::now() >= next_alive) {
      if (Status s = service_->MarkAlive(uid_); !s.ok())
        LogWarning(kLog, "i-am-alive failed: " + s.message());
      next_alive = std::chrono::steady_clock::now() + kLivenessTtl / 3;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  LogInfo(kLog, "Stopping the SN");
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  etcd_->Stop();
  return 0;
}

SnNode::~SnNode() {
  if (server_) server_->Shutdown(std::chrono::system_clock::now());
}

}  // namespace swarm::sn
