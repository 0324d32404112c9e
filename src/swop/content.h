#pragma once

// MAKE_SWARM_USER_CONTENT under the PROCESS resource manager: a task's DOWNLOAD and EXTRACT
// operations fill a content directory (what HPE makes as a Docker volume) named by the
// task's Outcome; a later RUN_SWARM mounts it with SharedContent MType VOLUME, Src = that
// name. Nothing lands outside the content directory, and nothing is left half-written.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/status.h"
#include "taskdef/task_def.h"

namespace swarm::swop {

struct ContentLimits {
  uint64_t max_download_bytes = uint64_t{4} << 30;  // per file
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds read_timeout{120};  // without a byte arriving
  std::chrono::seconds extract_timeout{600};
  // Polled while downloading: true ends the operation (the taskrunner was reset).
  std::function<bool()> cancelled = [] { return false; };
};

// `relative` (a task's Out option, an archive member) inside `dir`; refused when it is
// absolute or climbs out with "..".
StatusOr<std::filesystem::path> InsideDir(const std::filesystem::path& dir, std::string_view relative,
                                          std::string_view what);

// Fetches an http:// or https:// URL into `out` (through `out`.part, renamed when complete).
Status Download(const std::string& url, const std::filesystem::path& out, const ContentLimits& limits);

// Unpacks a .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz or .zip archive into `into`, after
// checking that no member is absolute or climbs out; links that point out are refused.
Status Extract(const std::filesystem::path& archive, const std::filesystem::path& into,
               const ContentLimits& limits);

// Runs the body's operations in order into `content_dir` (made if missing). A DOWNLOAD's
// Out option names the file in the content dir (default: the URL's last segment); an
// EXTRACT's Target is an archive in the content dir (or an absolute host path) and its
// Out option the directory to unpack into (default: the content dir itself).
Status MakeContent(const taskdef::MakeUserContentBody& body, const std::filesystem::path& content_dir,
                   const ContentLimits& limits);

}  // namespace swarm::swop
