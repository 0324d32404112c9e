#pragma once

// The ledger's state: what replaying the chain yields. Plain values, no I/O.

#include <cstdint>
#include <map>
#include <string>

#include "swarm/v1/ledger.pb.h"

namespace swarm::ledger {

// HPE's default training contract; it exists in every network from the start.
inline constexpr char kDefaultContract[] = "defaultbb.cqdb.sml.hpe";

struct Contract {
  std::string name;
  uint64_t created_height = 0;  // 0: exists from the start (the default contract)
  std::string creator;          // fingerprint of the SWCI certificate that created it
  uint64_t resets = 0;
  uint64_t last_reset_height = 0;
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
