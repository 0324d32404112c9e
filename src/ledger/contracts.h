#pragma once

// The contract code: how one transaction changes the state. Pure and deterministic (no
// clock, no I/O), so every SN replaying the chain reaches the same state, and every rule
// is testable on its own.

#include "core/status.h"
#include "ledger/state.h"
#include "pki/trust_store.h"

namespace swarm::ledger {

// Applies `tx`, submitted by `signer` (already verified), in the block at `height`.
// On error `state` is unchanged and the status says why the transaction is refused.
Status Apply(State& state, const swarm::v1::Transaction& tx, const pki::PeerIdentity& signer,
             uint64_t height);

// A node acts only for itself: `node` (registered as `uid`) must have been registered by
// `who`'s certificate. Several nodes may share a certificate; a uid stays with its own.
Status CheckNodeOwner(const Node& node, const std::string& uid, const pki::PeerIdentity& who);

// Contract names: 1..255 characters from letters, digits and ._- (HPE's default is
// "defaultbb.cqdb.sml.hpe").
Status CheckContractName(const std::string& name);
// The same rule for any named thing (`kind`: "contract", "task", "taskrunner"), at most
// `max_size` characters.
Status CheckName(std::string_view kind, const std::string& name, size_t max_size);

// Only SWCI manages contracts, tasks and taskrunners; `action` names the refused command.
Status RequireSwci(const pki::PeerIdentity& signer, std::string_view action);
// "'cn' (role r)": how refusals name a signer.
std::string Who(const pki::PeerIdentity& signer);

}  // namespace swarm::ledger
