#include "ledger/chain.h"

namespace swarm::ledger {
namespace {

void Put(Sha256& h, uint64_t v) {
  std::array<std::byte, 8> b;
  for (int i = 0; i < 8; ++i) b[i] = std::byte(v >> (8 * i));
  h.Update(b);
}

void PutBytes(Sha256& h, std::string_view s) {
  Put(h, s.size());
  h.Update(std::as_bytes(std::span(s)));
}

}  // namespace

Digest BlockHash(const swarm::v1::Block& block) {
  Sha256 h;
  PutBytes(h, "swarm.block.v1");
  Put(h, block.height());
  PutBytes(h, block.prev_hash());
  Put(h, block.timestamp_unix_ms());
  Put(h, static_cast<uint64_t>(block.transactions_size()));
  for (const auto& tx : block.transactions()) {
    PutBytes(h, tx.transaction());
    PutBytes(h, tx.signer_cert_pem());
    PutBytes(h, tx.signature());
  }
  return h.Finish();
}

StatusOr<swarm::v1::Block> MakeBlock(uint64_t height, const Digest& prev_hash, uint64_t timestamp_unix_ms,
                                     std::vector<swarm::v1::SignedTransaction> transactions,
                                     const pki::Signer& sn) {
  swarm::v1::Block b;
  b.set_height(height);
  b.set_prev_hash(std::string(prev_hash.view()));
  b.set_timestamp_unix_ms(timestamp_unix_ms);
  for (auto& tx : transactions) *b.add_transactions() = std::move(tx);
  const Digest hash = BlockHash(b);
  b.set_hash(std::string(hash.view()));
  b.set_signer_cert_pem(sn.cert().Pem());
  ASSIGN_OR_RETURN(std::string signature, sn.Sign(std::as_bytes(std::span(b.hash()))));
  b.set_signature(std::move(signature));
  return b;
}

Digest HeadDigest(uint64_t height, const Digest& hash) {
  Sha256 h;
  PutBytes(h, "swarm.head.v1");
  Put(h, height);
  PutBytes(h, hash.view());
  return h.Finish();
}

StatusOr<swarm::v1::SignedHead> MakeSignedHead(uint64_t height, const Digest& hash, const pki::Signer& sn) {
  swarm::v1::SignedHead head;
  head.set_height(height);
  head.set_hash(std::string(hash.view()));
  const Digest d = HeadDigest(height, hash);
  ASSIGN_OR_RETURN(std::string signature, sn.Sign(std::as_bytes(std::span(d.view()))));
  head.set_signature(std::move(signature));
  head.set_signer_cert_pem(sn.cert().Pem());
  return head;
}

StatusOr<pki::PeerIdentity> CheckSignedHead(const swarm::v1::SignedHead& head, const pki::TrustStore& trust) {
  const std::optional<Digest> hash = Digest::FromBytes(head.hash());
  if (!hash) return InvalidArgument("a chain head's hash has " + std::to_string(head.hash().size()) + " bytes, not 32");
  const Digest d = HeadDigest(head.height(), *hash);
  auto signer = pki::VerifySignature(trust, head.signer_cert_pem(), std::as_bytes(std::span(d.view())),
                                     head.signature());
  if (!signer.ok()) return signer.status().WithContext("a chain head");
  if (signer->role != pki::Role::kSn) {
    return PermissionDenied("a chain head is signed by '" + signer->common_name + "', whose role is " +
                            std::string(pki::RoleName(signer->role)) + ", not sn");
  }
  return signer;
}

Status CheckBlockSignature(const swarm::v1::Block& block, const pki::TrustStore& trust) {
  // The hash is the appending SN's word: a block rebuilt with recomputed hashes has none.
  const std::string where = "block " + std::to_string(block.height());
  if (block.signature().empty())
    return DataLoss(where + " carries no SN's signature: it was not appended by an SN");
  auto signer = pki::VerifySignature(trust, block.signer_cert_pem(), std::as_bytes(std::span(block.hash())),
                                     block.signature(), BlockTime(block.timestamp_unix_ms()));
  if (!signer.ok()) return DataLoss(where + " is not signed by a trusted SN: " + signer.status().message());
  if (signer->role != pki::Role::kSn) {
    return DataLoss(where + " is signed by '" + signer->common_name + "', whose role is " +
                    std::string(pki::RoleName(signer->role)) + ", not sn");
  }
  return Status::Ok();
}

Status ApplyBlock(State& state, const Digest& head_hash, const swarm::v1::Block& block,
                  const pki::TrustStore& trust) {
  if (block.height() != state.height + 1) {
    return InvalidArgument("block height " + std::to_string(block.height()) + " does not follow " +
                           std::to_string(state.height));
  }
  if (block.prev_hash() != head_hash.view()) {
    return DataLoss("block " + std::to_string(block.height()) + " does not point to the hash of block " +
                    std::to_string(state.height));
  }
  if (block.hash() != BlockHash(block).view()) {
    return DataLoss("block " + std::to_string(block.height()) +
                    " does not match its own hash: it was changed");
  }
  RETURN_IF_ERROR(CheckBlockSignature(block, trust));
  RETURN_IF_ERROR(ApplyTransactions(state, block.transactions(), trust, BlockTime(block.timestamp_unix_ms()),
                                    block.height(), "block " + std::to_string(block.height()) + " "));
  state.height = block.height();
  return Status::Ok();
}

ChainReport VerifyChain(const std::vector<swarm::v1::Block>& blocks, const pki::TrustStore& trust) {
  ChainReport report;
  report.state = State::Genesis();
  Digest head{};
  for (const auto& block : blocks) {
    if (Status s = ApplyBlock(report.state, head, block, trust); !s.ok()) {
      report.first_bad_height = report.state.height + 1;
      report.reason = s.message();
      return report;
    }
    head = BlockHash(block);
    ++report.blocks;
  }
  return report;
}

}  // namespace swarm::ledger
