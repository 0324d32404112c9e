#pragma once

// A child process with its output in a log file, for tests and benchmarks that run the
// `swarm` binary as a user would. The destructor kills what is still running.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace swarm::testing {
namespace fs = std::filesystem;

inline std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> args, fs::path log) : log_(std::move(log)) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a test killed by its timeout leaves nothing running
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
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
    if (pid_ <= 0) return true;
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
    }
    return pid_ <= 0;
  }
  // Sends `sig` and waits for the exit; returns the exit code (128 + signal if killed).
  int Kill(int sig) {
    if (Exited()) return exit_code_;
    ::kill(pid_, sig);
    int status;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return exit_code_;
  }
  // Waits for the exit; past `timeout` kills the process and returns 128 + SIGKILL.
  int WaitExit(std::chrono::seconds timeout = std::chrono::seconds(240)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!Exited() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Exited() ? exit_code_ : Kill(SIGKILL);
  }
  std::string Log() const { return ReadAll(log_); }
  pid_t pid() const { return pid_; }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

}  // namespace swarm::testing
