#pragma once

// An SWCI session: HPE's SWCI command language (contexts, contracts, tasks, taskrunners,
// nodes, waits, a current directory) over the SN API. A session keeps the state and runs
// one line at a time; it neither formats text nor knows gRPC: commands return data
// (result.h) and reach SNs through the injected SnApi factory (command_env.h).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "swci/clock.h"
#include "swci/command_env.h"
#include "swci/registry.h"
#include "swci/result.h"

namespace swarm::swci {

// What running one line came to.
struct Outcome {
  bool ran = false;  // the line held a command (blank and comment-only lines do not)
  Status status;     // the command's failure, if it failed
  Result result;     // what it shows, when it succeeded
  bool end = false;  // the session ends now: EXIT, or a failure while EXIT ON FAILURE is ON
};

class Session {
 public:
  // `usr_dir`: --usr-dir, or the directory SWCI starts in; the current directory starts
  // there.
  Session(Services services, const std::filesystem::path& usr_dir);

  // Runs one line; a long command shows its progress on `progress` as it goes.
  Outcome Execute(std::string_view line, Progress& progress);
  // Runs a command given as its words, as the tokenizer would make them from a line (the
  // web mode builds them from a JSON request). No words: nothing runs.
  Outcome ExecuteWords(const std::vector<std::string>& words, Progress& progress);

  // The prompt, "SWCI:N > ", N counting the commands run.
  std::string Prompt() const { return "SWCI:" + std::to_string(state_.count) + " > "; }
  const SessionState& state() const { return state_; }
  const CommandRegistry& registry() const { return registry_; }
  // Set it (from a signal handler, too) to stop the running wait; Execute clears it
  // before each command.
  StopFlag& stop() { return stop_; }

 private:
  Services services_;
  SessionState state_;
  CommandRegistry registry_;
  StopFlag stop_;
};

}  // namespace swarm::swci
