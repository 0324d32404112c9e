#pragma once

// The rules of a sync round that the SL applies as well as the contract code
// (ledger/training.h): header-only, so that the SL needs only the transactions library.

#include <algorithm>
#include <cstdint>

#include "swarm/v1/ledger.pb.h"

namespace swarm::ledger {

inline constexpr uint32_t kMaxStartQuorum = 100000;

// Late contributions (docs/rounds.md "Slow nodes"). A contribution's staleness is how many
// merged rounds its weights are behind the round it joins: 0 when it builds on the previous
// round's model. One up to kMaxStaleness behind is still merged, with its nodeWeightage
// divided by 1 + staleness. Merge weights are integers, so in a round with any stale
// contribution every weight is scaled by kStaleScale (divisible by 1, 2 and 3): the merge
// is then exactly the one with weights w / (1 + s). A round without one merges with the
// nodeWeightages as they are.
inline constexpr uint64_t kMaxStaleness = 2;
inline constexpr uint32_t kStaleScale = 6;

inline uint64_t Staleness(const swarm::v1::CheckIn& c) {
  return c.round() > c.base_round() ? c.round() - 1 - c.base_round() : 0;
}

// Whether a contribution whose weights build on merged round `base` may join round `round`:
// a fresh one (base = round - 1), or a late one that builds on a merged model at most
// kMaxStaleness rounds behind. Weights built on no merged model (base 0: the program's own
// start, or a program started afresh) are taken only in the training's first round; later,
// the node first catches up, as HPE's nodes do when they rejoin.
inline bool MayContribute(uint64_t base, uint64_t round) {
  if (base + 1 == round) return true;
  return base >= 1 && base < round && round - 1 - base <= kMaxStaleness;
}

inline uint32_t MergeWeight(const swarm::v1::CheckIn& c, bool any_stale) {
  if (!any_stale) return c.weight();
  return c.weight() * kStaleScale /
         static_cast<uint32_t>(1 + std::min<uint64_t>(Staleness(c), kMaxStaleness));
}

}  // namespace swarm::ledger
