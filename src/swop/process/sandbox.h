#pragma once

// The ML program's view of the file system under the PROCESS resource manager, made with
// bubblewrap: what HPE's user container shows (the task's SharedContent and PrivateContent
// at their target paths, the working directory), for a program that runs on this host.

#include <string>
#include <vector>

#include "core/status.h"
#include "swop/launch_spec.h"

namespace swarm::swop {

// Where bubblewrap is; a clear error when it is not installed.
StatusOr<std::filesystem::path> FindBubblewrap();

// The bwrap argument list (without bwrap itself) that runs `program` in `view`:
// a fresh root holding every top-level entry of the host's / read-only (so a mount
// target may be any new path), a private /dev, /proc and /tmp (the host's /tmp entries
// shown read-only in it, but for those that are or hold a path the view makes), the writable
// `host_dirs` at their own paths (the SL's data dir: its socket and blobs), then the
// view's mounts and working directory. The program dies with its SL.
// `host_root` lists the host's top-level entries (tests pass their own).
std::vector<std::string> SandboxArgs(const MlView& view, const std::vector<std::filesystem::path>& host_dirs,
                                     const std::vector<std::string>& program,
                                     const std::filesystem::path& host_root = "/");

// The profile's `dns` as HPE's containers get it (docker run --dns): the SL and its program
// see a resolv.conf naming those servers, in order, and resolve every other name as the
// host does. ResolvConf is the file's text; ResolverArgs the bwrap arguments (before "--"
// and the SL's command line) that show `resolv_conf` at /etc/resolv.conf in the host's view,
// so the program's sandbox, made inside it, shows the same. Servers must be IP addresses.
StatusOr<std::string> ResolvConf(const std::vector<std::string>& servers);
std::vector<std::string> ResolverArgs(const std::filesystem::path& resolv_conf);

// Checks what bubblewrap would fail on later, with messages that name the task's field:
// every mount source exists, every target and the working dir are absolute.
Status CheckView(const MlView& view);

}  // namespace swarm::swop
