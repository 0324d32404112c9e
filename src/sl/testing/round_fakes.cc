#include "sl/testing/round_fakes.h"

#include <atomic>
#include <fstream>
#include <iterator>

#include "ledger/contracts.h"
#include "ledger/views.h"

namespace swarm::sl::testing {
namespace {

pki::PeerIdentity SlIdentity(const std::string& uid) { return {pki::Role::kSl, "sl-" + uid, "fp-" + uid}; }

class Client final : public snapi::testing::UnimplementedSnApi {
 public:
  Client(MemorySn* sn, std::string uid) : sn_(sn), uid_(std::move(uid)) {}
  std::string target() const override { return "memory-sn"; }
  Status Health() override { return Status::Ok(); }
  StatusOr<uint64_t> Submit(std::vector<swarm::v1::Transaction> txs) override {
    if (sn_->killed(uid_)) return Gone();
    return sn_->Submit(uid_, std::move(txs));
  }
  StatusOr<swarm::v1::TrainingInfo> GetTraining(const std::string& contract) override {
    if (sn_->killed(uid_)) return Gone();
    return sn_->GetTraining(contract);
  }
  StatusOr<swarm::v1::ListNodesResponse> ListNodes() override {
    if (sn_->killed(uid_)) return Gone();
    return sn_->ListNodes();
  }

 private:
  MemorySn* sn_;
  std::string uid_;
  Status Gone() const { return Unavailable("node " + uid_ + " was killed"); }
};

}  // namespace

MemorySn::MemorySn() : state_(ledger::State::Genesis()) {}

Status MemorySn::CreateContract(const std::string& name) {
  swarm::v1::Transaction tx;
  tx.mutable_create_contract()->set_name(name);
  std::lock_guard lock(mu_);
  return ledger::Apply(state_, tx, {pki::Role::kSwci, "swci-1", "fp-swci-1"}, ++height_);
}

std::unique_ptr<snapi::SnApi> MemorySn::AddSl(const std::string& uid) {
  swarm::v1::Transaction tx;
  auto* n = tx.mutable_register_node()->mutable_node();
  n->set_type(swarm::v1::NODE_TYPE_SL);
  n->set_uid(uid);
  Status s = Submit(uid, {tx}).status();
  if (!s.ok()) throw std::runtime_error("cannot register " + uid + ": " + s.message());
  SetAlive(uid, true);
  return std::make_unique<Client>(this, uid);
}

void MemorySn::SetAlive(const std::string& uid, bool alive) {
  std::lock_guard lock(mu_);
  if (alive) {
    alive_.insert(uid);
  } else {
    alive_.erase(uid);
  }
}

void MemorySn::Kill(const std::string& uid) {
  std::lock_guard lock(mu_);
  alive_.erase(uid);
  killed_.insert(uid);
}

void MemorySn::Heal(const std::string& uid) {
  std::lock_guard lock(mu_);
  killed_.erase(uid);
  alive_.insert(uid);
}

bool MemorySn::killed(const std::string& uid) {
  std::lock_guard lock(mu_);
  return killed_.count(uid) > 0;
}

void MemorySn::OnApplied(std::function<void(const swarm::v1::Transaction&)> hook) {
  std::lock_guard lock(mu_);
  on_applied_ = std::move(hook);
}

ledger::Training MemorySn::training(const std::string& contract) {
  std::lock_guard lock(mu_);
  return state_.contracts.at(contract).training;
}

int MemorySn::Count(swarm::v1::Transaction::BodyCase body) {
  std::lock_guard lock(mu_);
  return counts_[body];
}

StatusOr<uint64_t> MemorySn::Submit(const std::string& uid, std::vector<swarm::v1::Transaction> txs) {
  std::lock_guard lock(mu_);
  ledger::State next = state_;  // all or nothing, as a block
  const uint64_t height = height_ + 1;
  for (const auto& tx : txs) RETURN_IF_ERROR(ledger::Apply(next, tx, SlIdentity(uid), height));
  state_ = std::move(next);
  height_ = height;
  for (const auto& tx : txs) ++counts_[tx.body_case()];
  if (on_applied_) {
    for (const auto& tx : txs) on_applied_(tx);
  }
  return height;
}

StatusOr<swarm::v1::TrainingInfo> MemorySn::GetTraining(const std::string& contract) {
  std::lock_guard lock(mu_);
  auto it = state_.contracts.find(contract);
  if (it == state_.contracts.end()) return NotFound("no contract named '" + contract + "'");
  ++reads_;
  return ledger::TrainingInfoOf(it->second, alive_);
}

int MemorySn::reads() {
  std::lock_guard lock(mu_);
  return reads_;
}

swarm::v1::ListNodesResponse MemorySn::ListNodes() {
  std::lock_guard lock(mu_);
  swarm::v1::ListNodesResponse out;
  for (const auto& [uid, node] : state_.nodes) {
    auto* n = out.add_nodes();
    *n->mutable_record() = node.record;
    n->set_owner_fingerprint(node.signer);
    n->set_alive(alive_.count(uid) > 0);
  }
  return out;
}

pki::PeerIdentity MemorySn::IdentityOf(const std::string& uid) { return SlIdentity(uid); }

void MemoryPeers::Serve(const std::string& endpoint, BlobStore* store) {
  std::lock_guard lock(mu_);
  stores_[endpoint] = store;
  stopped_.erase(endpoint);
}

void MemoryPeers::StopServing(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  stopped_.insert(endpoint);
}

void MemoryPeers::Cancel(std::string reason) {
  std::lock_guard lock(mu_);
  if (cancelled_.empty()) cancelled_ = std::move(reason);
}

StatusOr<BlobStore*> MemoryPeers::From(const std::string& endpoint, const Digest& digest) {
  BlobStore* from = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!cancelled_.empty()) return Cancelled("fetch from " + endpoint + " cut short: " + cancelled_);
    auto it = stores_.find(endpoint);
    if (it != stores_.end() && !stopped_.count(endpoint)) from = it->second;
  }
  if (!from) return Unavailable("file server " + endpoint + ": connection refused");
  if (!from->Has(digest)) return NotFound("file server " + endpoint + " has no blob " + digest.Hex());
  return from;
}

// Copies the blob and checks its SHA-256, as FetchBlob does: a shard is no model blob.
Status MemoryPeers::Fetch(const std::string& endpoint, const Digest& digest, BlobStore* store,
                          std::chrono::milliseconds) {
  if (store->Has(digest)) return Status::Ok();
  ASSIGN_OR_RETURN(BlobStore * from, From(endpoint, digest));
  std::ifstream in(from->PathOf(digest), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  if (!(Sha256::Of(std::as_bytes(std::span(bytes))) == digest))
    return DataLoss("file server " + endpoint + " served another blob than " + digest.Hex());
  static std::atomic<uint64_t> serial{0};
  const auto tmp = store->dir() / ("fetch-" + std::to_string(serial++) + ".tmp");
  std::ofstream(tmp, std::ios::binary) << bytes;
  return store->AdoptWritten(tmp, digest).status();
}

Status MemoryPeers::FetchRange(const std::string& endpoint, const Digest& digest, uint64_t offset,
                               uint64_t length, const RangeSink& sink, std::chrono::milliseconds) {
  ASSIGN_OR_RETURN(BlobStore * from, From(endpoint, digest));
  std::ifstream in(from->PathOf(digest), std::ios::binary);
  std::string bytes(length, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in.read(bytes.data(), static_cast<std::streamsize>(length)))
    return OutOfRange("blob " + digest.Hex() + " has no bytes " + std::to_string(offset) + ".." +
                      std::to_string(offset + length));
  // In pieces of 5 bytes, so that a merge reads across pieces and padding.
  for (size_t at = 0; at < bytes.size(); at += 5) {
    RETURN_IF_ERROR(
        sink(std::as_bytes(std::span(bytes.data() + at, std::min<size_t>(5, bytes.size() - at)))));
  }
  std::lock_guard lock(mu_);
  ++range_fetches_;
  return Status::Ok();
}

int MemoryPeers::range_fetches() {
  std::lock_guard lock(mu_);
  return range_fetches_;
}

}  // namespace swarm::sl::testing
