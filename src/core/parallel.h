#pragma once

// Compute parallelism for merges: a fixed split of work items over threads, so that
// which thread ran an item never changes a result.

#include <cstddef>
#include <functional>

#include "core/status.h"

namespace swarm {

// Number of threads to use when the caller asked for `requested` (0: all cores).
int ResolveThreads(int requested);

// Runs fn(begin, end) over [0, items) split into at most `threads` contiguous parts,
// on the calling thread plus threads-1 jthreads. Returns the error of the lowest
// failing part, or OK.
Status ParallelFor(int threads, size_t items, const std::function<Status(size_t begin, size_t end)>& fn);

}  // namespace swarm
