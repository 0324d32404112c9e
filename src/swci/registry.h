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

// A command may have several forms under one name, told apart by their later keywords
// (CREATE CONTEXT ... WITH IP, CREATE CONTEXT ... WITH SERVICE): `form` is empty for the
// first one added and those keywords for the others ("WITH SERVICE").
struct Command {
  CommandSpec spec;
  std::string help;
  Handler handler;
  std::string form;
};

class CommandRegistry {
 public:
  // Adds a command, or another form of one (a name that is taken with other later keywords).
  // A usage string that does not parse, or a name and keywords that are taken, is a
  // programmer's error: it aborts, naming the usage.
  void Add(std::string_view usage, std::string help, Handler handler);

  struct Match {
    const Command* command;
    std::vector<std::string> args;  // the words after the command's name
  };
  // The command whose name begins `tokens`; the longest such name wins (EXIT ON FAILURE
  // over EXIT); of several forms, the first whose arguments fit (none: the usage of every
  // form). No match: an error that names the words and points to HELP, or lists the
  // commands the words begin ("GET CONTEXT" alone).
  StatusOr<Match> Find(const std::vector<std::string>& tokens) const;

  // The names of all commands, sorted, each once.
  std::vector<std::string> Names() const;
  // Every command and form, sorted by name (forms in the order added).
  std::vector<const Command*> All() const;
  // HELP's text: with no words the list of names; with a command's name its usage and
  // help; with the first words of some commands their names.
  StatusOr<Result> Help(const std::vector<std::string>& words) const;

 private:
  std::vector<std::unique_ptr<Command>> commands_;
};

}  // namespace swarm::swci
