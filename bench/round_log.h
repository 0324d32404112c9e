#pragma once

// What one SL's log says about a benchmark run: the bytes it fetched in each round (the
// file server's "fetched N bytes of blob ... from HOST:PORT in S s" lines, attributed to
// the round it last checked in to; ranges of a sharded merge too), the rounds it led or
// whose merge it recorded, and its closing totals.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace swarm::bench {

struct LoggedFetch {
  uint64_t round = 0;
  int from_port = 0;  // the serving SL's file-server port
  uint64_t bytes = 0;
  double seconds = 0;       // request to blob synced on disk
  double sync_seconds = 0;  // of which the final fsync and rename
};

struct SlLog {
  std::vector<uint64_t> rounds;  // checked in to, in order
  std::vector<LoggedFetch> fetches;
  std::set<uint64_t> led;                        // rounds whose merge this node led
  std::set<uint64_t> recorded;                   // rounds whose merged model this node recorded
  uint64_t served_bytes = 0, fetched_bytes = 0;  // the closing "file server: ..." line
  bool leader_replaced = false;                  // a leader failed or missed its deadline
};

// Fails if the closing line is missing (the SL did not shut down cleanly).
StatusOr<SlLog> ParseSlLog(const std::string& text);

// The bytes each node moved in `round`: what it fetched plus what the others fetched from
// it (node i's file server is on ports[i]).
std::vector<uint64_t> BytesMoved(const std::vector<SlLog>& logs, const std::vector<int>& ports,
                                 uint64_t round);

// Empty if every node's logged fetches add up to its closing totals (fetched, and served
// as the others logged it); otherwise what differs.
std::string CheckTotals(const std::vector<SlLog>& logs, const std::vector<int>& ports);

}  // namespace swarm::bench
