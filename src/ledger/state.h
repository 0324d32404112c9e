#pragma once

// The ledger's state: what replaying the chain yields. Plain values, no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "swarm/v1/ledger.pb.h"

namespace swarm::ledger {

// HPE's default training contract; it exists in every network from the start.
inline constexpr char kDefaultContract[] = "defaultbb.cqdb.sml.hpe";

// One node's check-in to a sync round: the transaction as accepted, and its block.
struct CheckInRecord {
  swarm::v1::CheckIn checkin;  // an empty model_digest: takes part without contributing
  uint64_t height = 0;
};

// A sync round: open (check-ins arrive), closed (participants and leader order fixed,
// the leader merges), then merged (its result recorded; the next round opens).
struct Round {
  uint64_t number = 1;
  std::map<std::string, CheckInRecord> checkins;  // by uid
  bool closed = false;
  bool final = false;                // closing this round ends the training
  std::vector<std::string> leaders;  // leader order, fixed at close
  size_t leader_index = 0;           // leaders[leader_index] leads now
  uint64_t closed_height = 0;
  std::string merged_digest, merged_endpoint, merged_by;
  uint64_t merged_height = 0;

  const std::string& leader() const { return leaders[leader_index]; }
};

// The sync-round state of one training contract.
struct Training {
  Round current;                        // open, or closed and merging
  std::optional<Round> last;            // the latest merged round
  std::map<std::string, bool> members;  // uid -> finished its local training
  bool done = false;                    // the final round was merged
  // The model schema every contribution must have, fixed by the first one.
  swarm::v1::ModelSchema schema;
  std::string schema_digest;  // empty until then
  std::string schema_uid;
};

struct Contract {
  std::string name;
  uint64_t created_height = 0;  // 0: exists from the start (the default contract)
  std::string creator;          // fingerprint of the SWCI certificate that created it
  uint64_t resets = 0;
  uint64_t last_reset_height = 0;
  Training training;  // a reset starts it afresh
};

struct Node {
  swarm::v1::NodeRecord record;
  std::string signer;  // fingerprint of the certificate that registered it
  uint64_t registered_height = 0;
  uint64_t updated_height = 0;
};

struct State {
  uint64_t height = 0;  // of the last block applied
  std::map<std::string, Contract> contracts;
  std::map<std::string, Node> nodes;  // by uid

  // The state before any block: the default contract only.
  static State Genesis();
};

}  // namespace swarm::ledger
