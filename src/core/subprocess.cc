#include "core/subprocess.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>
#include <utility>

namespace swarm {
namespace fs = std::filesystem;
namespace {

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Everything the child needs, built before fork so the child only reads it.
struct ChildPlan {
  std::string program;  // argv[0] as given, for messages
  std::string path;     // what execve gets
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;  // point into args and env: a plan is never moved
  std::string workdir;
  Fd stdin_fd, log_fd;
  bool new_group = false;
  bool die_with_parent = false;
  pid_t parent = 0;
};

// What the child reports on the error pipe when it cannot reach its program.
enum class Step : int { kPdeathsig, kSetpgid, kChdir, kRedirect, kExec };
struct ChildError {
  Step step;
  int err;
};

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Opens `path` with O_CLOEXEC on a descriptor above 2, so that the child's dup2 onto
// 0, 1 and 2 can never overwrite a source (a parent started with stdout closed would
// otherwise get its log file on fd 1).
int OpenAbove2(const char* path, int flags) {
  const int fd = ::open(path, flags | O_CLOEXEC, 0644);
  if (fd < 0 || fd > 2) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return moved;
}

Status CheckEnv(const SpawnOptions& o) {
  for (const std::string& kv : o.env) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("environment entry '" + kv + "' for '" + o.argv[0] + "' is not KEY=VALUE");
    }
  }
  return Status::Ok();
}

// The parent's environment (if inherited) with o.env's entries replacing those of the
// same key, in the order execve gets them.
std::vector<std::string> ChildEnv(const SpawnOptions& o) {
  std::vector<std::string> env;
  if (o.inherit_env) {
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  }
  for (const std::string& kv : o.env) {
    const std::string key = kv.substr(0, kv.find('=') + 1);  // "KEY="
    auto same =
        std::find_if(env.begin(), env.end(), [&](const std::string& e) { return e.starts_with(key); });
    if (same != env.end()) {
      *same = kv;
    } else {
      env.push_back(kv);
    }
  }
  return env;
}

std::string PathOf(const std::vector<std::string>& env) {
  for (const std::string& e : env) {
    if (e.starts_with("PATH=")) return e.substr(5);
  }
  return "/bin:/usr/bin";  // what execvp searches when PATH is unset
}

// The program as execvp would find it, searched here because the lookup allocates. The
// child's PATH is used (an env entry may set it); relative entries are seen from the
// child's working directory. A file found but not executable is still returned, so that
// execve reports EACCES as execvp would.
StatusOr<std::string> Resolve(const std::string& name, const std::vector<std::string>& env,
                              const fs::path& workdir) {
  if (name.find('/') != std::string::npos) return name;
  const std::string path = PathOf(env);
  std::string not_executable;
  size_t begin = 0;
  while (begin <= path.size()) {
    const size_t end = std::min(path.find(':', begin), path.size());
    const fs::path dir = end == begin ? fs::path(".") : fs::path(path.substr(begin, end - begin));
    begin = end + 1;
    const fs::path candidate = dir / name;
    const fs::path seen = candidate.is_relative() && !workdir.empty() ? workdir / candidate : candidate;
    struct stat st {};
    if (::stat(seen.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::access(seen.c_str(), X_OK) == 0) return candidate.string();
    if (not_executable.empty()) not_executable = candidate.string();
  }
  if (!not_executable.empty()) return not_executable;
  return NotFound("cannot run '" + name + "': not found in PATH (" + path + ")");
}

Status Prepare(const SpawnOptions& o, ChildPlan* plan) {
  if (o.argv.empty() || o.argv[0].empty()) return InvalidArgument("cannot run a process without a program");
  RETURN_IF_ERROR(CheckEnv(o));
  plan->program = o.argv[0];
  plan->args = o.argv;
  plan->env = ChildEnv(o);
  ASSIGN_OR_RETURN(plan->path, Resolve(o.argv[0], plan->env, o.workdir));
  plan->argv = Pointers(plan->args);
  plan->envp = Pointers(plan->env);
  plan->workdir = o.workdir.string();
  if (!o.log_file.empty()) {
    plan->log_fd.Reset(OpenAbove2(o.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND));
    if (plan->log_fd.get() < 0) {
      return FailedPrecondition("cannot run '" + o.argv[0] + "': cannot open its log file '" +
                                o.log_file.string() + "': " + std::strerror(errno));
    }
  }
  if (o.null_stdin) {
    plan->stdin_fd.Reset(OpenAbove2("/dev/null", O_RDONLY));
    if (plan->stdin_fd.get() < 0)
      return FailedPrecondition(std::string("/dev/null: ") + std::strerror(errno));
  }
  plan->new_group = o.new_process_group;
  plan->die_with_parent = o.die_with_parent;
  plan->parent = ::getpid();
  return Status::Ok();
}

// --- In the child: async-signal-safe calls only, from here to execve. ---

[[noreturn]] void ChildFail(int error_fd, Step step) {
  const ChildError e{step, errno};
  (void)!::write(error_fd, &e, sizeof(e));
  ::_exit(127);
}

// Handlers are the parent's code and must not run in the program; SIGPIPE and SIGXFSZ
// ignored by the parent (gRPC ignores SIGPIPE) would surprise it. Other ignored signals
// stay ignored, as with execvp (nohup relies on that).
void ResetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) {
    struct sigaction old {};
    if (::sigaction(s, nullptr, &old) != 0) continue;
    const bool handler =
        (old.sa_flags & SA_SIGINFO) || (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN);
    const bool ignored = !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN;
    if (handler || (ignored && (s == SIGPIPE || s == SIGXFSZ))) ::sigaction(s, &dfl, nullptr);
  }
}

bool Redirect(const ChildPlan& p) {
  if (p.stdin_fd.get() >= 0 && ::dup2(p.stdin_fd.get(), STDIN_FILENO) < 0) return false;
  if (p.log_fd.get() >= 0 &&
      (::dup2(p.log_fd.get(), STDOUT_FILENO) < 0 || ::dup2(p.log_fd.get(), STDERR_FILENO) < 0)) {
    return false;
  }
  return true;
}

[[noreturn]] void RunChild(const ChildPlan& p, int error_fd) {
  ResetSignals();
  if (p.die_with_parent) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(error_fd, Step::kPdeathsig);
    // The parent died between fork and prctl: the signal will never come, and nobody
    // reads the error pipe.
    if (::getppid() != p.parent) ::_exit(127);
  }
  if (p.new_group && ::setpgid(0, 0) != 0) ChildFail(error_fd, Step::kSetpgid);
  if (!p.workdir.empty() && ::chdir(p.workdir.c_str()) != 0) ChildFail(error_fd, Step::kChdir);
  if (!Redirect(p)) ChildFail(error_fd, Step::kRedirect);
  // The parent's descriptors (sockets, files) are none of the program's business; those
  // without O_CLOEXEC would otherwise stay open in it. Older kernels: best effort.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  // The parent blocked every signal around fork; the program starts with none blocked.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(p.path.c_str(), p.argv.data(), p.envp.data());
  ChildFail(error_fd, Step::kExec);
}

// --- Back in the parent. ---

StatusCode ExecErrorCode(int err) {
  if (err == ENOENT || err == ENOTDIR) return StatusCode::kNotFound;
  if (err == EACCES || err == EPERM) return StatusCode::kPermissionDenied;
  return StatusCode::kFailedPrecondition;
}

Status ChildErrorStatus(const ChildPlan& p, const ChildError& e) {
  const std::string what = "cannot run '" + p.program + "'";
  const std::string why = std::strerror(e.err);
  switch (e.step) {
    case Step::kExec: {
      const std::string path = p.path == p.program ? "" : " (" + p.path + ")";
      return Status(ExecErrorCode(e.err), what + path + ": " + why);
    }
    case Step::kChdir:
      return FailedPrecondition(what + ": cannot enter its working directory '" + p.workdir + "': " + why);
    case Step::kRedirect:
      return FailedPrecondition(what + ": cannot redirect its stdin/stdout/stderr: " + why);
    case Step::kSetpgid: return FailedPrecondition(what + ": setpgid: " + why);
    case Step::kPdeathsig: return FailedPrecondition(what + ": prctl(PR_SET_PDEATHSIG): " + why);
  }
  return Internal(what + ": unknown failure in the child");
}

// Reads the child's report: none (EOF) once execve has closed the pipe's CLOEXEC end.
std::optional<ChildError> ReadChildError(int fd) {
  ChildError e{};
  ssize_t n;
  while ((n = ::read(fd, &e, sizeof(e))) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof(e))) return std::nullopt;
  return e;
}

pid_t ReapBlocking(pid_t pid, int* status) {
  pid_t r;
  while ((r = ::waitpid(pid, status, 0)) < 0 && errno == EINTR) {
  }
  return r;
}

}  // namespace

std::string ExitStatus::Describe() const {
  if (signal != 0) return "was killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
  if (code < 0) return "ended; its exit status was lost (reaped elsewhere)";
  return "exited with status " + std::to_string(code);
}

StatusOr<Subprocess> Subprocess::Spawn(const SpawnOptions& o) {
  ChildPlan plan;
  RETURN_IF_ERROR(Prepare(o, &plan));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Unavailable(std::string("pipe: ") + std::strerror(errno));
  Fd read_end(fds[0]), write_end(fds[1]);

  // With every signal blocked, none of the parent's handlers can run in the child before
  // it has reset them.
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) RunChild(plan, write_end.get());
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Unavailable("cannot run '" + plan.program + "': fork: " + std::strerror(fork_errno));

  write_end.Reset();  // else the read below never sees EOF
  if (const std::optional<ChildError> e = ReadChildError(read_end.get())) {
    int status = 0;
    ReapBlocking(pid, &status);  // it has _exit()ed or is about to
    return ChildErrorStatus(plan, *e);
  }
  return Subprocess(pid, plan.program, o.new_process_group);
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      program_(std::move(other.program_)),
      group_(other.group_),
      exit_(std::move(other.exit_)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !exit_) Stop(kDestructorGrace);
    pid_ = std::exchange(other.pid_, -1);
    program_ = std::move(other.program_);
    group_ = other.group_;
    exit_ = std::move(other.exit_);
  }
  return *this;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exit_) Stop(kDestructorGrace);
}

ExitStatus Subprocess::Record(int wait_status) {
  ExitStatus s;
  if (WIFEXITED(wait_status)) s.code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) s.signal = WTERMSIG(wait_status);
  exit_ = s;
  return s;
}

std::optional<ExitStatus> Subprocess::Poll() {
  if (exit_ || pid_ <= 0) return exit_;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) return Record(status);
  if (r < 0 && errno == ECHILD) exit_ = ExitStatus{.code = -1};  // SIGCHLD ignored, or reaped elsewhere
  return exit_;
}

ExitStatus Subprocess::WaitForever() {
  if (exit_ || pid_ <= 0) return exit_.value_or(ExitStatus{.code = -1});
  int status = 0;
  if (ReapBlocking(pid_, &status) == pid_) return Record(status);
  exit_ = ExitStatus{.code = -1};
  return *exit_;
}

bool Subprocess::AwaitEnd(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto ended = [this] {
    siginfo_t info{};
    // WNOWAIT leaves the child a zombie, so its pid (and group id) stay ours until reaped.
    while (::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno != EINTR) return true;  // ECHILD: nothing left to wait for
    }
    return info.si_pid != 0;
  };
  if (ended()) return true;
  // A pidfd becomes readable when the child ends: the wait sleeps until then, without
  // waking up to ask (an SL asks ten times a second whether its ML program still runs).
  if (const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)); fd >= 0) {
    int r;
    do {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
      r = ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(left.count(), 0, INT_MAX)));
    } while (r < 0 && errno == EINTR);
    ::close(fd);
    if (r >= 0) return ended();  // readable (it ended) or the deadline passed
  }
  // No pidfds (an old kernel, a sandbox): ask with short first pauses, as most waits end
  // quickly (a stopped child, a short command).
  std::chrono::milliseconds pause(1);
  while (true) {
    if (ended()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

StatusOr<ExitStatus> Subprocess::Wait(std::chrono::milliseconds timeout) {
  if (exit_ || pid_ <= 0) return WaitForever();
  if (AwaitEnd(timeout)) return WaitForever();
  return Status(StatusCode::kDeadlineExceeded, "process " + std::to_string(pid_) + " ('" + program_ +
                                                   "') still running after " +
                                                   std::to_string(timeout.count()) + " ms");
}

void Subprocess::Signal(int sig) {
  if (pid_ <= 0 || exit_) return;
  ::kill(group_ ? -pid_ : pid_, sig);
}

ExitStatus Subprocess::Stop(std::chrono::milliseconds grace) {
  if (exit_ || pid_ <= 0) return WaitForever();
  Signal(SIGTERM);
  const bool ended = AwaitEnd(grace);
  // The child is not reaped yet, so -pid_ is still its group and no one else's.
  if (group_) {
    ::kill(-pid_, SIGKILL);
  } else if (!ended) {
    ::kill(pid_, SIGKILL);
  }
  return WaitForever();
}

}  // namespace swarm
