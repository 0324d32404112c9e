#pragma once

// Transactions as clients make them and the ledger opens them: signing with the
// submitter's key (timestamped here, the one place that sets a transaction's time),
// checking a signature, and the digest that names a model schema. Its own target,
// swarm::tx, needing only pki and the protos: SL, SWCI and SWOP sign without linking
// the etcd store.

#include <chrono>
#include <cstdint>
#include <string>

#include "core/clock.h"
#include "pki/signer.h"
#include "swarm/v1/ledger.pb.h"

namespace swarm::ledger {

// Sets `tx`'s timestamp to `now_unix_ms` and signs its serialized bytes with `signer`.
StatusOr<swarm::v1::SignedTransaction> SignTransaction(swarm::v1::Transaction tx, const pki::Signer& signer,
                                                       int64_t now_unix_ms = UnixMillis());

struct OpenedTransaction {
  swarm::v1::Transaction tx;
  pki::PeerIdentity signer;
};
// Checks the signature and the signer's certificate (valid at `at`, the time of the
// block that holds it, so old blocks stay valid after certificates expire) and parses.
StatusOr<OpenedTransaction> OpenTransaction(const swarm::v1::SignedTransaction& signed_tx,
                                            const pki::TrustStore& trust,
                                            std::chrono::system_clock::time_point at);

// SHA-256 of the schema's serialized form: how check-ins name their model's schema.
std::string SchemaDigest(const swarm::v1::ModelSchema& schema);

}  // namespace swarm::ledger
