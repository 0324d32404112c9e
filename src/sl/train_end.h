#pragma once

// What a node whose program has finished local training contributes to each remaining
// round (checkinModelOnTrainEnd, as HPE's user guide defines it):
//   snapshot  the weights it had when it finished, in every round (the default);
//   inactive  nothing: it takes part in rounds without contributing;
//   active    the merged weights of the round before, as if it were still training
//             (before its first such round: its own final weights).

#include <optional>
#include <string_view>

#include "core/sha256.h"

namespace swarm::sl {

std::optional<Digest> TrainEndContribution(std::string_view mode, const Digest& final_local,
                                           const std::optional<Digest>& latest_merged);

}  // namespace swarm::sl
