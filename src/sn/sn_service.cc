#include "sn/sn_service.h"

#include <algorithm>
#include <charconv>

#include "core/clock.h"
#include "pki/certificate.h"
#include "pki/tls.h"

namespace swarm::sn {
namespace {
using grpc::ServerContext;

constexpr char kService[] = "/swarm.v1.SwarmNetwork/";

void Fill(const ledger::Contract& c, swarm::v1::ContractInfo* out) {
  out->set_name(c.name);
  out->set_created_height(c.created_height);
  out->set_creator_fingerprint(c.creator);
  out->set_resets(c.resets);
  out->set_last_reset_height(c.last_reset_height);
}

}  // namespace

pki::AccessPolicy SnAccessPolicy() {
  pki::AccessPolicy p;
  p.AllowAnyRole("/swarm.v1.Health/Check");
  for (const char* m :
       {"Submit", "ListContracts", "GetContract", "ListNodes", "KeepAlive", "GetTraining", "ListProgress",
        "GetTask", "ListTasks", "GetTaskRunner", "ListTaskRunners", "GetVersion", "GetHead"}) {
    p.AllowAnyRole(kService + std::string(m));
  }
  p.Allow(kService + std::string("Join"), {pki::Role::kSn});
  p.Allow(kService + std::string("Append"), {pki::Role::kSn});
  // A full replay costs seconds of CPU: for operators (SWCI) and SNs, one at a time.
  p.Allow(kService + std::string("Verify"), {pki::Role::kSwci, pki::Role::kSn});
  p.Allow(kService + std::string("ListBlocks"), {pki::Role::kSwci, pki::Role::kSn});
  p.Allow(kService + std::string("ReportProgress"), {pki::Role::kSl});
  return p;
}

SnService::SnService(ledger::LedgerStore* store, ledger::EtcdClient* etcd, WriterLink* writer)
    : store_(store), etcd_(etcd), writer_(writer), feed_([this] { return TrainingFingerprint(); }, kProbeEvery) {}

grpc::Status SnService::Submit(ServerContext* ctx, const swarm::v1::SubmitRequest* req,
                               swarm::v1::SubmitResponse* out) {
  auto peer = pki::PeerOf(*ctx);
  if (!peer.ok()) return pki::ToGrpcStatus(peer.status());
  if (req->transactions().empty()) return pki::ToGrpcStatus(InvalidArgument("no transactions to submit"));
  std::vector<swarm::v1::SignedTransaction> txs(req->transactions().begin(), req->transactions().end());
  for (const auto& tx : txs) {
    auto cert = pki::Certificate::FromPem(tx.signer_cert_pem(), "the signer's certificate");
    if (!cert.ok()) return pki::ToGrpcStatus(cert.status());
    if (cert->Fingerprint() != peer->fingerprint) {
      return pki::ToGrpcStatus(PermissionDenied(
          "a node submits only its own transactions: this one is signed by '" + cert->CommonName() +
          "' (certificate " + cert->Fingerprint().substr(0, 16) + "…), the caller is '" + peer->common_name +
          "' (certificate " + peer->fingerprint.substr(0, 16) + "…)"));
    }
  }
  if (auto writer = writer_ ? writer_->Writer() : std::nullopt) {
    grpc::ClientContext forward;
    forward.set_deadline(std::min(ctx->deadline(), std::chrono::system_clock::now() + kForwardDeadline));
    const grpc::Status s = writer->stub->Append(&forward, *req, out);
    // UNAVAILABLE: the writer was not reached (or went away), so append here. (Any other
    // failure may have been appended there, or is the writer's refusal: the caller hears it.)
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE) {
      if (s.ok()) feed_.Poke();  // this SN's callers wait to see their own transactions
      return s;
    }
  }
  return Append(txs, out);
}

grpc::Status SnService::Append(ServerContext*, const swarm::v1::SubmitRequest* req, swarm::v1::SubmitResponse* out) {
  if (req->transactions().empty()) return pki::ToGrpcStatus(InvalidArgument("no transactions to append"));
  return Append({req->transactions().begin(), req->transactions().end()}, out);
}

grpc::Status SnService::Append(const std::vector<swarm::v1::SignedTransaction>& txs,
                               swarm::v1::SubmitResponse* out) {
  auto block = store_->Submit(txs);
  if (!block.ok()) return pki::ToGrpcStatus(block.status());
  out->set_height(block->height);
  out->set_appended_by(store_->SignerName());
  feed_.Poke();
  return grpc::Status::OK;
}

grpc::Status SnService::GetHead(ServerContext*, const swarm::v1::GetHeadRequest*, swarm::v1::SignedHead* out) {
  auto head = store_->SignedHead();
  if (!head.ok()) return pki::ToGrpcStatus(head.status());
  *out = std::move(head).value();
  return grpc::Status::OK;
}

grpc::Status SnService::ListContracts(ServerContext*, const swarm::v1::ListContractsRequest*,
                                      swarm::v1::ListContractsResponse* out) {
  auto state = store_->Sync();
  if (!state.ok()) return pki::ToGrpcStatus(state.status());
  for (const auto& [name, c] : (*state)->contracts) Fill(c, out->add_contracts());
  return grpc::Status::OK;
}

grpc::Status SnService::GetContract(ServerContext*, const swarm::v1::GetContractRequest* req,
                                    swarm::v1::ContractInfo* out) {
  auto state = store_->Sync();
  if (!state.ok()) return pki::ToGrpcStatus(state.status());
  auto it = (*state)->contracts.find(req->name());
  if (it == (*state)->contracts.end()) {
    return pki::ToGrpcStatus(NotFound("no contract named '" + req->name() + "'"));
  }
  Fill(it->second, out);
  return grpc::Status::OK;
}

grpc::Status SnService::ListNodes(ServerContext*, const swarm::v1::ListNodesRequest*,
                                  swarm::v1::ListNodesResponse* out) {
  auto state = store_->Sync();
  if (!state.ok()) return pki::ToGrpcStatus(state.status());
  auto last = AliveNodes();
  if (!last.ok()) return pki::ToGrpcStatus(last.status());
  for (const auto& [uid, node] : (*state)->nodes) {
    auto* n = out->add_nodes();
    *n->mutable_record() = node.record;
    n->set_registered_height(node.registered_height);
    n->set_owner_fingerprint(node.signer);
    if (auto it = last->find(uid); it != last->end()) {
      n->set_last_alive_unix_ms(it->second);
      n->set_alive(true);
    }
  }
  return grpc::Status::OK;
}

Status SnService::MarkAlive(const std::string& uid) {
  // The etcd calls run without the lock, so that nodes keep their leases in parallel. One
  // uid's calls come from one node, a few seconds apart.
  int64_t lease = 0;
  {
    MutexLock lock(leases_mu_);
    if (auto it = leases_.find(uid); it != leases_.end()) lease = it->second;
  }
  if (lease != 0 && !etcd_->LeaseKeepAlive(lease).ok()) lease = 0;  // expired: start a new one
  const bool fresh = lease == 0;
  if (fresh) {
    ASSIGN_OR_RETURN(lease, etcd_->LeaseGrant(kLivenessTtl));
    MutexLock lock(leases_mu_);
    leases_[uid] = lease;
  }
  RETURN_IF_ERROR(etcd_->Put(kAlivePrefix + uid, std::to_string(UnixMillis()), lease));
  if (fresh) feed_.Poke();  // a node came (back): the live set changed
  return Status::Ok();
}

Status SnService::RequireOwner(const grpc::ServerContext& ctx, const std::string& uid) {
  ASSIGN_OR_RETURN(pki::PeerIdentity peer, pki::PeerOf(ctx));
  std::shared_ptr<const ledger::State> state = store_->Cached();
  if (!state->nodes.count(uid)) {
    ASSIGN_OR_RETURN(state, store_->Sync());
  }
  auto it = state->nodes.find(uid);
  if (it == state->nodes.end())
    return NotFound("node uid '" + uid + "' is not registered; register it first");
  return ledger::CheckNodeOwner(it->second, uid, peer);
}

StatusOr<std::map<std::string, int64_t>> SnService::AliveNodes() {
  return alive_read_.Get([this]() -> StatusOr<std::map<std::string, int64_t>> {
    ASSIGN_OR_RETURN(std::vector<ledger::KeyValue> kvs, etcd_->GetPrefix(kAlivePrefix));
    std::map<std::string, int64_t> alive;
    for (const auto& kv : kvs) {
      int64_t ms = 0;
      const char* end = kv.value.data() + kv.value.size();
      if (std::from_chars(kv.value.data(), end, ms).ptr != end) ms = 0;
      alive[kv.key.substr(std::string(kAlivePrefix).size())] = ms;
    }
    return alive;
  });
}

grpc::Status SnService::KeepAlive(ServerContext* ctx, const swarm::v1::KeepAliveRequest* req,
                                  swarm::v1::KeepAliveResponse* out) {
  if (Status s = RequireOwner(*ctx, req->uid()); !s.ok()) return pki::ToGrpcStatus(s);
  if (Status s = MarkAlive(req->uid()); !s.ok()) return pki::ToGrpcStatus(s);
  out->set_ttl_seconds(static_cast<uint32_t>(kLivenessTtl.count()));
  return grpc::Status::OK;
}

grpc::Status SnService::Join(ServerContext* ctx, const swarm::v1::JoinRequest* req,
                             swarm::v1::JoinResponse* out) {
  auto members = etcd_->MemberList();
  if (!members.ok()) return pki::ToGrpcStatus(members.status());
  bool present = false;
  for (const auto& m : *members) present |= !m.peer_urls.empty() && m.peer_urls[0] == req->peer_url();
  if (!present) {
    // A restarted joiner that lost its data dir would come back under a new name with
    // the same URL; etcd refuses that, and its message says so.
    auto added = etcd_->MemberAdd({req->peer_url()});
    if (!added.ok()) return pki::ToGrpcStatus(added.status());
    members = etcd_->MemberList();
    if (!members.ok()) return pki::ToGrpcStatus(members.status());
  }
  std::string cluster;
  for (const auto& m : *members) {
    if (m.peer_urls.empty()) continue;
    const std::string name = m.peer_urls[0] == req->peer_url() ? req->name() : m.name;
    cluster += (cluster.empty() ? "" : ",") + name + "=" + m.peer_urls[0];
  }
  out->set_initial_cluster(cluster);
  return grpc::Status::OK;
}

grpc::Status SnService::Verify(ServerContext*, const swarm::v1::VerifyRequest*,
                               swarm::v1::VerifyResponse* out) {
  std::unique_lock one(verify_mu_, std::try_to_lock);
  if (!one.owns_lock()) {
    return pki::ToGrpcStatus(
        ResourceExhausted("a verify of this SN's ledger is running; ask again when it has ended"));
  }
  auto chain = store_->LoadChain();
  if (!chain.ok()) return pki::ToGrpcStatus(chain.status());
  const ledger::ChainReport r = ledger::VerifyChain(*chain, store_->trust());
  out->set_ok(!r.first_bad_height);
  out->set_blocks(r.blocks);
  out->set_first_bad_height(r.first_bad_height.value_or(0));
  out->set_reason(r.reason);
  return grpc::Status::OK;
}

grpc::Status SnService::ListBlocks(ServerContext*, const swarm::v1::ListBlocksRequest* in,
                                   swarm::v1::ListBlocksResponse* out) {
  constexpr uint32_t kMaxBlocks = 200;
  if (in->limit() > kMaxBlocks) {
    return pki::ToGrpcStatus(InvalidArgument("ListBlocks takes at most " + std::to_string(kMaxBlocks) +
                                             " blocks at a time, not " + std::to_string(in->limit())));
  }
  if (auto state = store_->Sync(); !state.ok()) return pki::ToGrpcStatus(state.status());
  const uint64_t height = store_->Head().first;
  out->set_height(height);
  const uint64_t below =
      in->below_height() == 0 ? height + 1 : std::min<uint64_t>(in->below_height(), height + 1);
  const uint64_t from = below > in->limit() ? below - in->limit() : 1;
  auto blocks = store_->LoadBlocks(from, below);
  if (!blocks.ok()) return pki::ToGrpcStatus(blocks.status());
  for (auto b = blocks->rbegin(); b != blocks->rend(); ++b) {
    auto* summary = out->add_blocks();
    summary->set_height(b->height());
    summary->set_hash(b->hash());
    summary->set_timestamp_unix_ms(static_cast<int64_t>(b->timestamp_unix_ms()));
    if (auto signer = pki::Certificate::FromPem(b->signer_cert_pem()); signer.ok()) {
      summary->set_appended_by(signer->CommonName());
    }
    for (const auto& signed_tx : b->transactions()) {
      auto* t = summary->add_transactions();
      swarm::v1::Transaction tx;
      if (tx.ParseFromString(signed_tx.transaction())) {
        const auto* field = tx.GetDescriptor()->FindFieldByNumber(static_cast<int>(tx.body_case()));
        t->set_type(field != nullptr ? field->name() : "unknown");
      }
      if (auto cert = pki::Certificate::FromPem(signed_tx.signer_cert_pem()); cert.ok()) {
        t->set_submitter_fingerprint(cert->Fingerprint());
        t->set_submitter_name(cert->CommonName());
        if (auto role = cert->GetRole()) t->set_submitter_role(std::string(pki::RoleName(*role)));
      }
    }
  }
  return grpc::Status::OK;
}

}  // namespace swarm::sn
