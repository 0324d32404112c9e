#pragma once

// A child process started by fork + exec, owned by one Subprocess object: the SL's ML
// program, an SN's etcd member, the `swarm sl` processes SWOP starts, the test harness's
// `swarm` processes.
//
// Spawn does everything that can fail or allocate (argv, the environment, the PATH lookup,
// opening the log file) before fork, so that the child runs only async-signal-safe calls
// until execve: the parent is multi-threaded (gRPC), and a child of such a process that
// takes a lock (malloc, setenv, stdio) can deadlock on a lock another thread held at the
// fork. Whatever stops the child before its program runs (no such program, not
// executable, a missing working directory) comes back from Spawn as a Status, not as an
// exit status 127 later.
//
// A Subprocess is used from one thread at a time. Its destructor stops a child that is
// still running, so a Subprocess never leaves a zombie or an orphan behind.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace swarm {

struct SpawnOptions {
  // argv[0] is the program: a path (with a '/'; a relative one is taken from `workdir`,
  // as the child sees it) or a name looked up in the PATH of the child's environment.
  std::vector<std::string> argv;
  // KEY=VALUE entries. With inherit_env they override or extend the parent's environment
  // (as it is at Spawn); without, they are the child's whole environment.
  std::vector<std::string> env;
  bool inherit_env = true;
  // The child's working directory; empty: the parent's.
  std::filesystem::path workdir;
  // The child's stdout and stderr are appended to this file (created 0644 if absent; a
  // relative path is the parent's, not `workdir`'s). Empty: the parent's stdout and stderr.
  std::filesystem::path log_file;
  // stdin from /dev/null instead of the parent's (for daemons such as etcd).
  bool null_stdin = false;
  // The child leads a new process group (setpgid(0, 0)): Signal and Stop then reach the
  // whole group, the child's own children included, and a terminal's Ctrl-C does not.
  // false: the child stays in the parent's group and Signal/Stop reach only the child.
  bool new_process_group = true;
  // The child gets SIGKILL when the parent dies (PR_SET_PDEATHSIG), so a SIGKILLed parent
  // leaves no orphan. Linux ties this to the parent *thread* that called Spawn: spawn from
  // a thread that lives as long as the child should. Only the child itself is covered,
  // not its own children.
  bool die_with_parent = true;
};

// How a child ended: an exit code, or the signal that killed it.
struct ExitStatus {
  int code = 0;    // exit(code); -1 if the status was lost (reaped by someone else)
  int signal = 0;  // non-zero: killed by this signal, and `code` means nothing

  bool ok() const { return code == 0 && signal == 0; }
  // What a shell reports in $?: the code, or 128 + the signal.
  int ShellCode() const { return signal != 0 ? 128 + signal : code; }
  // "exited with status 3", "was killed by signal 9 (Killed)".
  std::string Describe() const;
};


class Subprocess {
 public:
  // Starts the program; returns only once the child has exec'd it. Errors: InvalidArgument
  // (empty argv, an env entry without '='), NotFound (no such program), PermissionDenied
  // (not executable), FailedPrecondition (the log file or workdir cannot be used), each
  // naming the program and the system's reason; Unavailable if fork itself fails.
  static StatusOr<Subprocess> Spawn(const SpawnOptions& options);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Still running: Stop(kDestructorGrace).
  ~Subprocess();

  static constexpr std::chrono::milliseconds kDestructorGrace{1000};

  // The child's pid (also its process group id with new_process_group); stays the same
  // after the child has been reaped, when the number may belong to another process.
  pid_t pid() const { return pid_; }
  // argv[0] as given, for messages.
  const std::string& program() const { return program_; }
  // The exit status once known (after Poll, Wait or Stop saw the exit).
  const std::optional<ExitStatus>& exit_status() const { return exit_; }

  // Non-blocking: the exit status if the child has ended (and is now reaped), else none.
  std::optional<ExitStatus> Poll();
  // Waits up to `timeout` for the exit; DeadlineExceeded naming the pid and the program if
  // the child is still running then (it is left running).
  StatusOr<ExitStatus> Wait(std::chrono::milliseconds timeout);
  // Waits as long as it takes (signals do not interrupt it).
  ExitStatus WaitForever();
  // Sends `sig` to the child's group (new_process_group) or to the child. No-op once the
  // child is reaped, as its pid may have been reused.
  void Signal(int sig);
  // SIGTERM; after `grace` without an exit, SIGKILL; then reaps the child. With
  // new_process_group, group members left when the child ends or the grace runs out are
  // SIGKILLed too. Returns how the child ended (at once if it already had).
  ExitStatus Stop(std::chrono::milliseconds grace);

 private:
  Subprocess(pid_t pid, std::string program, bool group)
      : pid_(pid), program_(std::move(program)), group_(group) {}
  // Waits, without reaping, until the child has ended or `timeout` has passed.
  bool AwaitEnd(std::chrono::milliseconds timeout);
  // Records a waitpid status as exit_.
  ExitStatus Record(int wait_status);

  pid_t pid_ = -1;  // -1: moved from
  std::string program_;
  bool group_ = false;
  std::optional<ExitStatus> exit_;
};

}  // namespace swarm
