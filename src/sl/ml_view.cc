#include "sl/ml_view.h"

namespace swarm::sl {
namespace fs = std::filesystem;

StatusOr<ViewMount> ParseViewMount(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) {
    return InvalidArgument("--ml-view '" + text + "' is not TARGET=SOURCE (the program's path, then the host's)");
  }
  ViewMount m{text.substr(0, eq), text.substr(eq + 1)};
  if (!m.target.is_absolute() || !m.source.is_absolute()) {
    return InvalidArgument("--ml-view '" + text + "': both TARGET and SOURCE must be absolute paths");
  }
  return m;
}

fs::path HostPathOf(const fs::path& path, const std::vector<ViewMount>& mounts, const fs::path& fallback) {
  if (mounts.empty()) return path;
  const fs::path p = path.lexically_normal();
  const ViewMount* best = nullptr;
  fs::path rest;
  for (const ViewMount& m : mounts) {
    const fs::path rel = p.lexically_relative(m.target.lexically_normal());
    if (rel.empty() || *rel.begin() == "..") continue;
    if (!best || m.target.native().size() > best->target.native().size()) {
      best = &m;
      rest = rel;
    }
  }
  if (!best) return fallback;
  return rest == "." ? best->source : best->source / rest;
}

}  // namespace swarm::sl
