#pragma once

// A child process with its output in a log file, for tests and benchmarks that run the
// `swarm` binary as a user would; a thin layer over swarm::Subprocess. The destructor
// kills what is still running.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/subprocess.h"

namespace swarm::testing {
namespace fs = std::filesystem;

inline std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The pids whose parent is `parent`, from /proc.
inline std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> kids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // pid (comm) state ppid ...: comm may hold blanks, so read after its last ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) kids.push_back(std::stoi(name));
  }
  return kids;
}

class ChildProcess {
 public:
  // A program that cannot be started ends at once with exit code 127, the reason in its log.
  // `workdir`: where it starts (default: here).
  ChildProcess(std::vector<std::string> args, fs::path log, fs::path workdir = {}) : log_(std::move(log)) {
    SpawnOptions o;
    o.argv = std::move(args);
    o.log_file = log_;
    o.workdir = std::move(workdir);
    // In the test's process group, as before; Kill(sig) reaches the process alone.
    o.new_process_group = false;
    o.die_with_parent = true;  // a test killed by its timeout leaves nothing running
    StatusOr<Subprocess> p = Subprocess::Spawn(o);
    if (p.ok()) {
      process_.emplace(std::move(p).value());
    } else {
      std::ofstream(log_, std::ios::app) << p.status().ToString() << "\n";
      exit_code_ = 127;
    }
  }
  ~ChildProcess() { Kill(SIGKILL); }
  // Waits until the log contains `text`; false if the process exits or time runs out.
  bool WaitForLog(const std::string& text, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ReadAll(log_).find(text) != std::string::npos) return true;
      if (Exited()) return ReadAll(log_).find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  bool Exited() {
    if (exit_code_ >= 0) return true;
    if (const std::optional<ExitStatus> s = process_->Poll()) exit_code_ = s->ShellCode();
    return exit_code_ >= 0;
  }
  // Sends `sig` and waits for the exit; returns the exit code (128 + signal if killed).
  int Kill(int sig) {
    if (Exited()) return exit_code_;
    process_->Signal(sig);
    exit_code_ = process_->WaitForever().ShellCode();
    return exit_code_;
  }
  // Waits for the exit; past `timeout` kills the process and returns 128 + SIGKILL.
  int WaitExit(std::chrono::seconds timeout = std::chrono::seconds(240)) {
    if (Exited()) return exit_code_;
    const StatusOr<ExitStatus> s = process_->Wait(timeout);
    if (!s.ok()) return Kill(SIGKILL);
    exit_code_ = s->ShellCode();
    return exit_code_;
  }
  std::string Log() const { return ReadAll(log_); }
  // -1 once it has exited.
  pid_t pid() const { return exit_code_ < 0 ? process_->pid() : -1; }

 private:
  fs::path log_;
  std::optional<Subprocess> process_;
  int exit_code_ = -1;
};

}  // namespace swarm::testing
