#pragma once

// Splitting an SWCI command line into words.

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace swarm::swci {

// Words are separated by blanks. "Double quotes" keep blanks (and #) in one word, and an
// empty pair "" is an empty word; inside quotes \" is a quote and \\ a backslash. A # outside
// quotes starts a comment that runs to the end of the line. A quote that is never closed is
// an error naming its column (1-based), so a half-typed argument is never run.
StatusOr<std::vector<std::string>> Tokenize(std::string_view line);

}  // namespace swarm::swci
