#pragma once

// A node's data dir: made private to its user (0700, whatever the umask), and held by one
// process at a time.
//
// One process per data dir: a node holds an exclusive lock on DIR/LOCK (flock) for its
// whole life, with its pid written there, so that a second SN, SL or SWOP started on the
// same --data-dir is refused at once, naming the holder, instead of running with the same
// uid. The kernel drops the lock when the process ends, however it ends.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace swarm {

// Creates `dir` (and its parents) if needed and makes it 0700, so that what the node keeps
// there (keys, blobs, its ledger) is its user's alone; a dir of another owner is left as it
// is. `flag` names it in errors.
Status MakeDataDir(const std::filesystem::path& dir, std::string_view flag = "--data-dir");

class DirLock {
 public:
  // Locks `dir` (which must exist) for `what` (e.g. "SL"); FailedPrecondition naming the
  // holder's pid if another process holds it.
  static StatusOr<DirLock> Acquire(const std::filesystem::path& dir, std::string_view what);
  // The pid a running holder wrote, if one holds `dir` now ("unknown" if it wrote none);
  // creates and changes nothing (for `swarm doctor`).
  static std::optional<std::string> Holder(const std::filesystem::path& dir);
  // What a node does with its --data-dir at start: MakeDataDir, then Acquire.
  static StatusOr<DirLock> Claim(const std::filesystem::path& dir, std::string_view what);

  DirLock(DirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DirLock& operator=(DirLock&& other) noexcept;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace swarm
