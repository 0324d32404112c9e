#include "core/parallel.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace swarm {

int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

Status ParallelFor(int threads, size_t items, const std::function<Status(size_t, size_t)>& fn) {
  const size_t parts =
      std::clamp<size_t>(static_cast<size_t>(std::max(threads, 1)), 1, std::max<size_t>(items, 1));
  if (parts == 1) return fn(0, items);
  std::vector<Status> results(parts);
  {
    std::vector<std::jthread> workers;
    workers.reserve(parts - 1);
    for (size_t p = 1; p < parts; ++p) {
      workers.emplace_back([&, p] { results[p] = fn(items * p / parts, items * (p + 1) / parts); });
    }
    results[0] = fn(0, items / parts);
  }  // joins
  for (Status& s : results) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace swarm
