#pragma once

// What a command handler works with: the session's state (contexts, settings, current
// directory), the injected services (how to reach an SN, the clock, the process
// environment), where to show progress, and the stop flag that ends waits.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "snapi/sn_api.h"
#include "swci/clock.h"
#include "swci/grammar.h"
#include "swci/registry.h"
#include "swci/result.h"

namespace swarm::swci {

using snapi::kDefaultSnApiPort;
// Where HPE's SWCI container mounts --usr-dir; HPE's scripts `cd` there. Paths under it
// are taken as paths under --usr-dir, so those scripts run unchanged.
inline constexpr std::string_view kHpeUsrDir = "/platform/swarm/usr";

// One SnApi per context: made when the context is created, reused by its commands.
using SnApiFactory = std::function<StatusOr<std::unique_ptr<snapi::SnApi>>(const snapi::Endpoint&)>;
// The process environment (std::getenv in the CLI; a map in tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
// std::getenv's answers.
EnvLookup ProcessEnvironment();

struct WaitSettings {
  std::chrono::milliseconds ip_retry_pause{std::chrono::seconds(5)};  // WAIT FOR IP, as HPE's
  std::chrono::milliseconds taskrunner_poll{std::chrono::seconds(1)};
  std::chrono::milliseconds taskrunner_tick{std::chrono::seconds(10)};  // one '#' per tick
};

struct Services {
  SnApiFactory connect;
  Clock* clock = &SystemClock();
  EnvLookup getenv = [](const std::string&) { return std::optional<std::string>(); };
  WaitSettings waits;
};

struct Context {
  std::string name;
  snapi::Endpoint endpoint;
  std::unique_ptr<snapi::SnApi> api;
  std::map<std::string, std::string> env;  // SET CONTEXT ENV
};

struct SessionState {
  std::map<std::string, Context> contexts;
  std::optional<std::string> default_context;
  bool exit_on_failure = false;
  bool exit_requested = false;
  int count = 0;                  // commands run: the N of the prompt
  std::filesystem::path usr_dir;  // --usr-dir, or the directory SWCI started in
  std::filesystem::path cwd;      // cd moves it; relative paths start here
};

class CommandRegistry;

struct CommandEnv {
  SessionState& state;
  const Services& services;
  const CommandRegistry& registry;
  Progress& progress;
  const StopFlag& stop;
  const CommandSpec& spec;  // the running command's

  // "Usage: <usage>" of the running command: for arguments its grammar cannot judge.
  Status UsageError() const { return spec.UsageError(); }

  // The default context; an error saying how to make one when there is none.
  StatusOr<Context*> Current();
  // The default context's SN.
  StatusOr<snapi::SnApi*> Api();
  // Submits `tx` to the default context's SN; `done` is what the command shows once the
  // ledger took it.
  StatusOr<Result> Submit(swarm::v1::Transaction tx, std::string done);
  StatusOr<Context*> Named(const std::string& name);
  // A setting for the default context: its SET CONTEXT ENV value, else the process's.
  std::optional<std::string> Variable(const std::string& name);
  // `path` from the current directory; /platform/swarm/usr[/...] is --usr-dir[/...].
  std::filesystem::path Resolve(const std::string& path) const;
  // Waits `d` on the session's clock; Cancelled, naming `what`, when stopped (Ctrl-C).
  Status Sleep(std::chrono::milliseconds d, std::string_view what);
};

}  // namespace swarm::swci
