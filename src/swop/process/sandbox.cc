#include "swop/process/sandbox.h"

#include <unistd.h>

#include <cstdlib>

namespace swarm::swop {
namespace fs = std::filesystem;
namespace {

// Mounted afresh inside the sandbox, never taken from the host.
bool Private(const std::string& name) { return name == "proc" || name == "dev" || name == "tmp"; }

}  // namespace

StatusOr<fs::path> FindBubblewrap() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    const fs::path candidate = fs::path(dirs.substr(start, colon - start)) / "bwrap";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = colon + 1;
  }
  return FailedPrecondition(
      "bubblewrap (bwrap) is not installed: the PROCESS resource manager runs each ML program in its own "
      "view of the file system with it; install the Debian package bubblewrap (scripts/setup does)");
}

std::vector<std::string> SandboxArgs(const MlView& view, const std::vector<fs::path>& host_dirs,
                                     const std::vector<std::string>& program, const fs::path& host_root) {
  std::vector<std::string> a = {"--die-with-parent"};
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (const auto& e : fs::directory_iterator(host_root, ec)) entries.push_back(e);
  std::sort(entries.begin(), entries.end());
  for (const auto& e : entries) {
    const std::string name = e.path().filename().string();
    if (Private(name)) continue;
    const std::string at = "/" + name;
    if (e.is_symlink(ec)) {
      a.insert(a.end(), {"--symlink", fs::read_symlink(e.path(), ec).string(), at});
    } else if (e.is_directory(ec)) {
      a.insert(a.end(), {"--ro-bind", e.path().string(), at});
    }
  }
  a.insert(a.end(), {"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"});
  for (const fs::path& d : host_dirs) a.insert(a.end(), {"--bind", d.string(), d.string()});
  for (const Mount& m : view.mounts) {
    a.insert(a.end(), {m.read_only ? "--ro-bind" : "--bind", m.source.string(), m.target.string()});
  }
  if (!view.working_dir.empty()) {
    a.insert(a.end(), {"--dir", view.working_dir.string(), "--chdir", view.working_dir.string()});
  }
  a.push_back("--");
  a.insert(a.end(), program.begin(), program.end());
  return a;
}

Status CheckView(const MlView& view) {
  for (const Mount& m : view.mounts) {
    std::error_code ec;
    if (!fs::exists(m.source, ec)) {
      return NotFound("the content to mount at '" + m.target.string() + "' does not exist on this host: '" +
                      m.source.string() + "'");
    }
    if (!m.target.is_absolute()) {
      return InvalidArgument("mount target '" + m.target.string() + "' is not an absolute path");
    }
  }
  if (!view.working_dir.empty() && !view.working_dir.is_absolute()) {
    return InvalidArgument("WorkingDir '" + view.working_dir.string() + "' is not an absolute path");
  }
  return Status::Ok();
}

}  // namespace swarm::swop
