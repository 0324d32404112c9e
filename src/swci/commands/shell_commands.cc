// The session itself: help, pauses, ending it, and SWCI's current directory (where the
// relative paths of CREATE TASK FROM start).

#include <algorithm>
#include <filesystem>

#include "swci/command_env.h"
#include "swci/commands/commands.h"
#include "swci/commands/common.h"

namespace swarm::swci {
namespace {

namespace fs = std::filesystem;

StatusOr<Result> Help(CommandEnv& env, const Args& a) { return env.registry.Help(a.Rest("command")); }

StatusOr<Result> Sleep(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(long seconds, a.Int("seconds", 0, 86400));
  RETURN_IF_ERROR(env.Sleep(std::chrono::seconds(seconds), "SLEEP"));
  return Result::Nothing();
}

StatusOr<Result> Exit(CommandEnv& env, const Args&) {
  env.state.exit_requested = true;
  return Result::Nothing();
}

StatusOr<Result> ExitOnFailure(CommandEnv& env, const Args& a) {
  const std::string v = Upper(a.Get("ON/OFF", "ON"));
  if (v != "ON" && v != "OFF") return env.UsageError();
  env.state.exit_on_failure = v == "ON";
  return Result::Line("EXIT ON FAILURE : " + v);
}

Status CheckDirectory(const fs::path& p, const std::string& written) {
  std::error_code ec;
  if (fs::is_directory(p, ec)) return Status::Ok();
  if (fs::exists(p, ec))
    return FailedPrecondition("'" + written + "' (" + p.string() + ") is not a directory");
  return NotFound("no directory '" + written + "' (" + p.string() + ")");
}

StatusOr<Result> Cd(CommandEnv& env, const Args& a) {
  const std::string& written = a.String("dirPath");
  const fs::path p = env.Resolve(written);
  RETURN_IF_ERROR(CheckDirectory(p, written));
  env.state.cwd = p;
  return Result::Nothing();
}

StatusOr<Result> Pwd(CommandEnv& env, const Args&) { return Result::Line(env.state.cwd.string()); }

// The entries of the directory, sorted; a directory's name ends in '/'.
StatusOr<Result> Ls(CommandEnv& env, const Args& a) {
  const std::string written = a.Get("dir", ".");
  const fs::path p = env.Resolve(written);
  RETURN_IF_ERROR(CheckDirectory(p, written));
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(p, ec)) {
    names.push_back(e.path().filename().string() + (e.is_directory() ? "/" : ""));
  }
  if (ec) return FailedPrecondition("cannot list '" + written + "' (" + p.string() + "): " + ec.message());
  std::sort(names.begin(), names.end());
  return Result::Lines(std::move(names));
}

}  // namespace

void RegisterShellCommands(CommandRegistry& r) {
  r.Add("HELP [command...]",
        "Lists the commands; with a command, or its first words, shows its usage and what it does.", Help);
  r.Add(
      "SLEEP <seconds : int>",
      "Pauses for the given seconds (0 to 86400) before the next command, e.g. to let ML programs save their "
      "models between WAIT FOR TASKRUNNER and RESET TASKRUNNER. Ctrl-C ends the pause.",
      Sleep);
  r.Add("EXIT", "Ends the session.", Exit);
  r.Add("EXIT ON FAILURE [ON/OFF]",
        "With ON (or nothing), the first command that fails from now on ends SWCI with status 1; OFF, the "
        "default, carries on.",
        ExitOnFailure);
  r.Add(
      "cd <dirPath>",
      "Changes SWCI's current directory, where relative paths start. It starts at --usr-dir (else where SWCI "
      "was started); /platform/swarm/usr, where HPE's SWCI container mounts it, stands for --usr-dir.",
      Cd);
  r.Add("ls [dir : string]", "Lists a directory (the current one unless given); directories end in /.", Ls);
  r.Add("pwd", "Prints SWCI's current directory.", Pwd);
}

}  // namespace swarm::swci
