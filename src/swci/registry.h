#pragma once

// The table of SWCI commands: each is its usage string (parsed into a CommandSpec), its
// help text and its handler. Command groups add themselves (commands/commands.h); adding
// a command touches only its group's file.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "swci/grammar.h"
#include "swci/result.h"

namespace swarm::swci {

struct CommandEnv;  // swci/command_env.h
using Handler = std::function<StatusOr<Result>(CommandEnv&, const Args&)>;

struct Command {
  CommandSpec spec;
  std::string help;
  Handler handler;
};

class CommandRegistry {
 public:
  // Adds a command. A usage string that does not parse, or a name that is taken, is a
  // programmer's error: it aborts, naming the usage.
  void Add(std::string_view usage, std::string help, Handler handler);

  struct Match {
    const Command* command;
    std::vector<std::string> args;  // the words after the command's name
  };
  // The command whose name begins `tokens`; the longest such name wins (EXIT ON FAILURE
  // over EXIT). No match: an error that names the words and points to HELP, or lists the
  // commands the words begin ("GET CONTEXT" alone).
  StatusOr<Match> Find(const std::vector<std::string>& tokens) const;

  // The names of all commands, sorted.
  std::vector<std::string> Names() const;
  // Every command, sorted by name.
  std::vector<const Command*> All() const;
  // HELP's text: with no words the list of names; with a command's name its usage and
  // help; with the first words of some commands their names.
  StatusOr<Result> Help(const std::vector<std::string>& words) const;

 private:
  std::vector<std::unique_ptr<Command>> commands_;
};

}  // namespace swarm::swci
