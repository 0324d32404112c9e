#include "core/node_uid.h"

#include <cstdio>
#include <fstream>
#include <random>

namespace swarm {

StatusOr<std::string> LoadOrMakeUid(const std::filesystem::path& data_dir) {
  const std::filesystem::path path = data_dir / "uid";
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    if (line.empty()) return DataLoss("'" + path.string() + "' holds no uid; remove it to make a new one");
    return line;
  }
  std::random_device rd;
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  std::ofstream out(path);
  out << buf << "\n";
  if (!out) return FailedPrecondition("cannot write '" + path.string() + "'");
  return std::string(buf);
}

}  // namespace swarm
