#include "ledger/transaction.h"

#include "core/sha256.h"

namespace swarm::ledger {

StatusOr<swarm::v1::SignedTransaction> SignTransaction(swarm::v1::Transaction tx, const pki::Signer& signer,
                                                       int64_t now_unix_ms) {
  tx.set_timestamp_unix_ms(static_cast<uint64_t>(now_unix_ms));
  swarm::v1::SignedTransaction out;
  if (!tx.SerializeToString(out.mutable_transaction())) return Internal("cannot serialize a transaction");
  ASSIGN_OR_RETURN(std::string sig, signer.Sign(std::as_bytes(std::span(out.transaction()))));
  out.set_signature(std::move(sig));
  out.set_signer_cert_pem(signer.cert().Pem());
  return out;
}

StatusOr<OpenedTransaction> OpenTransaction(const swarm::v1::SignedTransaction& s,
                                            const pki::TrustStore& trust,
                                            std::chrono::system_clock::time_point at) {
  ASSIGN_OR_RETURN(pki::PeerIdentity who,
                   pki::VerifySignature(trust, s.signer_cert_pem(), std::as_bytes(std::span(s.transaction())),
                                        s.signature(), at));
  OpenedTransaction out{{}, who};
  if (!out.tx.ParseFromString(s.transaction())) return InvalidArgument("transaction bytes do not parse");
  return out;
}

std::string SchemaDigest(const swarm::v1::ModelSchema& schema) {
  const std::string bytes = schema.SerializeAsString();
  const Digest d = Sha256::Of(std::as_bytes(std::span(bytes.data(), bytes.size())));
  return std::string(d.view());
}

}  // namespace swarm::ledger
