#pragma once

// Wall-clock time as the ledger and the APIs carry it: milliseconds since the Unix epoch.

#include <chrono>
#include <cstdint>

namespace swarm {

inline int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace swarm
