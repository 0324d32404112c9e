#pragma once

// Feeding lines to a session and showing what they come to as HPE's SWCI does: the init
// script, piped commands, and the interactive prompt.

#include <iosfwd>
#include <optional>

#include "swci/session.h"

namespace swarm::swci {

struct ReplOptions {
  bool echo = true;                // print each line after its prompt, as typed (scripts, pipes)
  bool prompt_before = false;      // print the prompt before reading (a terminal)
  bool interrupt_resumes = false;  // Ctrl-C ends the running command only (a terminal)
};

// Runs `in`'s lines until they end or the session does. Returns the exit status when the
// session ended: 0 after EXIT, 1 after a failure under EXIT ON FAILURE, 128+signal when
// stopped by a signal (SIGTERM always; SIGINT unless `interrupt_resumes`). nullopt: the
// input ended first.
std::optional<int> RunLines(Session& session, std::istream& in, std::ostream& out,
                            const ReplOptions& options);

}  // namespace swarm::swci
