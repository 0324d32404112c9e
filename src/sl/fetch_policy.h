#pragma once

// Who may fetch which blob from an SL's file server. A contribution is a node's local model,
// the closest thing to its data that leaves it: only the participants of the round it was
// checked in to get it (the leader merges it; the next leaders, if it fails). The latest
// merged model is the swarm's, and a node that joins late catches up with it before it
// takes part: every SL of the network may fetch it. Nothing else in the store is served
// (older contributions and models, what the ML program left). "Participant" means the
// certificate that registered the node on the ledger, so a node cannot be borrowed.
// A state seen a moment ago may still name a round that has just been merged: its
// participants may then fetch its contributions a moment longer, never anyone else.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "core/sha256.h"
#include "core/status.h"
#include "pki/trust_store.h"
#include "snapi/sn_api.h"

namespace swarm::sl {

class FetchPolicy {
 public:
  // `contract` says which training this SL takes part in now (empty: none yet).
  FetchPolicy(snapi::SnApi* sn, std::function<std::string()> contract);

  // Ok, or why `caller` may not fetch `digest` (PermissionDenied), or Unavailable when the
  // ledger cannot be read (the caller tries again). A fetch that the training state seen
  // last allows is allowed without asking the SN (a round's fetches come right after this
  // node's own reads of that state); anything else is judged by a fresh read.
  Status Allow(const pki::PeerIdentity& caller, const Digest& digest);

  // The training state this node's round driver has just read.
  void Saw(const swarm::v1::TrainingInfo& t);
  // A blob this node has just recorded on the ledger, before its driver reads the state
  // again: a merged model (served to every SL, as the latest merged model) or a merged shard
  // of the round seen last (served to that round's participants). Peers ask for it the
  // moment they see the record, often before this node has read it back: without this,
  // each such fetch cost a read of the ledger.
  void Recorded(const Digest& digest, bool shard, uint64_t round);

 private:
  Status Judge(const swarm::v1::TrainingInfo& t, const pki::PeerIdentity& caller, const Digest& digest);
  // Whether a certificate with `fingerprint` registered one of `uids`, from the owners seen
  // so far; the SN's node list is read (once) only when one of them is not known yet.
  StatusOr<bool> OwnsOneOf(const std::string& fingerprint, const std::vector<std::string>& uids);
  // Whether `caller` registered a participant of `round`.
  StatusOr<bool> TookPart(const pki::PeerIdentity& caller, const swarm::v1::RoundInfo& round);

  snapi::SnApi* sn_;
  std::function<std::string()> contract_;
  Mutex mu_;
  // uid -> fingerprint: never changes once registered
  std::map<std::string, std::string> owners_ SWARM_GUARDED_BY(mu_);
  // Shared, so that a fetch takes the state without copying it (it has every member's check-in).
  std::shared_ptr<const swarm::v1::TrainingInfo> seen_ SWARM_GUARDED_BY(mu_);
  // What Recorded said, with its round, until a state seen later is at or past that round
  // (a read started before the record may end after it: it does not count).
  struct Record {
    std::string digest;
    bool shard = false;
    uint64_t round = 0;
  };
  std::vector<Record> recorded_ SWARM_GUARDED_BY(mu_);
};

}  // namespace swarm::sl
