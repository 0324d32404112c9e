#include "swop/process/sandbox.h"

#include <unistd.h>

#include <cstdlib>

#include "core/listen_check.h"

namespace swarm::swop {
namespace fs = std::filesystem;
namespace {

// Mounted afresh inside the sandbox, never taken from the host.
bool Private(const std::string& name) { return name == "proc" || name == "dev" || name == "tmp"; }

// Whether `path` is `target` or one of its parents.
bool HoldsOrIs(const fs::path& path, const fs::path& target) {
  const fs::path rel = target.lexically_normal().lexically_relative(path);
  return !rel.empty() && *rel.begin() != "..";
}

// The host's entries of `dir` at `at`, read-only (symbolic links as links), leaving out those
// that are, or hold, a path the view makes: that path is made afresh in the sandbox. The list
// is a snapshot of a directory others change (a test's temp dir in /tmp may be gone by the time
// bubblewrap mounts it), so an entry that has vanished is skipped (--ro-bind-try), not fatal.
void ReadOnlyEntries(const fs::path& dir, const fs::path& at, const std::vector<fs::path>& made,
                     std::vector<std::string>& a) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) entries.push_back(e);
  std::sort(entries.begin(), entries.end());
  for (const auto& e : entries) {
    const std::string name = e.path().filename().string();
    const fs::path inside = at / name;
    if (at == "/" && Private(name)) continue;
    bool claimed = false;
    for (const fs::path& m : made) claimed |= HoldsOrIs(inside, m);
    if (claimed) continue;
    if (e.is_symlink(ec)) {
      a.insert(a.end(), {"--symlink", fs::read_symlink(e.path(), ec).string(), inside.string()});
    } else if (e.is_directory(ec) || at != "/") {
      a.insert(a.end(), {"--ro-bind-try", e.path().string(), inside.string()});
    }
  }
}

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
  // Its own PID namespace: when bubblewrap dies (with its SL), the kernel ends every process
  // of the program, also one that would outlive a parent-death signal.
  std::vector<std::string> a = {"--die-with-parent", "--unshare-pid"};
  std::vector<fs::path> made;  // paths the view creates: mount targets and the working dir
  for (const Mount& m : view.mounts) made.push_back(m.target);
  if (!view.working_dir.empty()) made.push_back(view.working_dir);
  ReadOnlyEntries(host_root, "/", made, a);
  // A private /tmp that still shows the host's /tmp entries read-only (a program, its data or
  // the build it imports may live there), except where the view makes its own paths.
  a.insert(a.end(), {"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"});
  ReadOnlyEntries(host_root / "tmp", "/tmp", made, a);
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

StatusOr<std::string> ResolvConf(const std::vector<std::string>& servers) {
  std::string text = "# the SWOP profile's dns\n";
  for (const std::string& server : servers) {
    if (!IsIpAddress(server)) {
      return InvalidArgument("dns entry '" + server +
                             "' of the SWOP profile is not an IP address; expected the address of a name "
                             "server, such as 172.18.0.2, as docker run --dns takes it");
    }
    text += "nameserver " + server + "\n";
  }
  return text;
}

std::vector<std::string> ResolverArgs(const fs::path& resolv_conf) {
  return {"--dev-bind",        "/", "/", "--ro-bind", resolv_conf.string(), "/etc/resolv.conf",
          "--die-with-parent", "--"};
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
