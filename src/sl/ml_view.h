#pragma once

// Where the ML program's paths are on this host. A program that a SWOP runs in its own
// view of the file system (bubblewrap, a container) names its model directory as it sees
// it; the SL writes the program's <program>_sw.log there, so it maps that path back
// through the view's mounts (--ml-view TARGET=SOURCE, as the SWOP passes them).

#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace swarm::sl {

struct ViewMount {
  std::filesystem::path target;  // in the program's view
  std::filesystem::path source;  // on this host
};

// "TARGET=SOURCE", both absolute.
StatusOr<ViewMount> ParseViewMount(const std::string& text);

// `path` (absolute, in the program's view) on this host: through the mount with the
// longest target that holds it; `path` itself without mounts (the program sees the host);
// `fallback` when no mount holds it (it is private to the program's view).
std::filesystem::path HostPathOf(const std::filesystem::path& path, const std::vector<ViewMount>& mounts,
                                 const std::filesystem::path& fallback);

}  // namespace swarm::sl
