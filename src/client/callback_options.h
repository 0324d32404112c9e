#pragma once

// The SwarmCallback's options as they travel to the SL, and the one check of them that
// both sides run (the client before it connects, the SL on Hello), as HPE's client does.

#include "core/status.h"
#include "swarm/v1/sl.pb.h"

namespace swarm {

// OK, or an InvalidArgument naming the parameter (HPE's name), the rule and the value.
Status ValidateCallbackOptions(const swarm::v1::CallbackOptions& o);

}  // namespace swarm
