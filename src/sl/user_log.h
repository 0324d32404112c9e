#pragma once

// The part of an SL's log that matters to the user of an ML program, written to
// `<program-name>_sw.log` in the program's model directory (as HPE's SL does): connection,
// rounds joined, waits for peers, leader changes, the final model, and errors. Each line
// also goes to the SL's own log.

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "core/mutex.h"
#include "core/status.h"

namespace swarm::sl {

class UserLog {
 public:
  // Appends to DIR/<program>_sw.log (DIR is created if needed).
  static StatusOr<std::unique_ptr<UserLog>> Open(const std::filesystem::path& dir,
                                                 const std::string& program);

  void Info(const std::string& message);
  void Warning(const std::string& message);
  void Error(const std::string& message);
  const std::filesystem::path& path() const { return path_; }

 private:
  UserLog(std::filesystem::path path, std::ofstream out) : path_(std::move(path)), out_(std::move(out)) {}
  void Write(const char* level, const std::string& message);

  std::filesystem::path path_;
  Mutex mu_;
  std::ofstream out_ SWARM_GUARDED_BY(mu_);
};

// Logs to the SL's log and, when `user` is set, to the user's log too.
void Note(UserLog* user, const std::string& message);
void NoteWarning(UserLog* user, const std::string& message);
void NoteError(UserLog* user, const std::string& message);

}  // namespace swarm::sl
