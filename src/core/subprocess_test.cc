#include "core/subprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace swarm {
namespace {
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Alive and not a zombie: an orphaned grandchild may wait a while for a reaper.
bool Alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  const std::string stat = Read("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

bool Eventually(const std::function<bool()>& done, milliseconds timeout = milliseconds(2000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

class SubprocessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/swarm_subprocess_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = fs::canonical(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // /bin/sh -c `script`, its output in log().
  SpawnOptions Shell(const std::string& script) {
    SpawnOptions o;
    o.argv = {"/bin/sh", "-c", script};
    o.log_file = log();
    return o;
  }
  Subprocess Start(const SpawnOptions& o) {
    StatusOr<Subprocess> p = Subprocess::Spawn(o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return std::move(p).value();
  }
  fs::path log() const { return dir_ / "out.log"; }
  bool LogHas(const std::string& text) {
    return Eventually([&] { return Read(log()).find(text) != std::string::npos; });
  }

  fs::path dir_;
};

TEST_F(SubprocessTest, ReportsExitCodes) {
  Subprocess p = Start(Shell("exit 3"));
  const ExitStatus s = p.WaitForever();
  EXPECT_EQ(s.code, 3);
  EXPECT_EQ(s.signal, 0);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ShellCode(), 3);
  EXPECT_EQ(s.Describe(), "exited with status 3");
  EXPECT_TRUE(Start(Shell("exit 0")).WaitForever().ok());
}

TEST_F(SubprocessTest, ReportsTheKillingSignal) {
  Subprocess p = Start(Shell("kill -9 $$"));
  const ExitStatus s = p.WaitForever();
  EXPECT_EQ(s.signal, SIGKILL);
  EXPECT_EQ(s.ShellCode(), 128 + SIGKILL);
  EXPECT_EQ(s.Describe(), "was killed by signal 9 (Killed)");
  EXPECT_EQ(p.Poll()->signal, SIGKILL);  // remembered once reaped
}

TEST_F(SubprocessTest, EnvOverridesAndExtendsTheParents) {
  ::setenv("SWARM_SUBPROCESS_INHERITED", "parent", 1);
  ::setenv("SWARM_SUBPROCESS_OVERRIDDEN", "parent", 1);
  SpawnOptions o =
      Shell("echo \"$SWARM_SUBPROCESS_INHERITED $SWARM_SUBPROCESS_OVERRIDDEN $SWARM_SUBPROCESS_NEW\"");
  o.env = {"SWARM_SUBPROCESS_OVERRIDDEN=child", "SWARM_SUBPROCESS_NEW=a=b"};
  EXPECT_TRUE(Start(o).WaitForever().ok());
  EXPECT_EQ(Read(log()), "parent child a=b\n");
}

TEST_F(SubprocessTest, WithoutInheritEnvTheEntriesAreTheWholeEnvironment) {
  SpawnOptions o;
  o.argv = {"env"};  // found in the default PATH, as the environment has none
  o.env = {"ONLY=1"};
  o.inherit_env = false;
  o.log_file = log();
  EXPECT_TRUE(Start(o).WaitForever().ok());
  EXPECT_EQ(Read(log()), "ONLY=1\n");
}

TEST_F(SubprocessTest, RunsInItsWorkdirAndResolvesRelativePathsThere) {
  fs::create_directory(dir_ / "work");
  std::ofstream(dir_ / "work" / "prog.sh") << "#!/bin/sh\npwd\n";
  fs::permissions(dir_ / "work" / "prog.sh", fs::perms::owner_all);
  SpawnOptions o;
  o.argv = {"./prog.sh"};
  o.workdir = dir_ / "work";
  o.log_file = log();
  EXPECT_TRUE(Start(o).WaitForever().ok());
  EXPECT_EQ(Read(log()), (dir_ / "work").string() + "\n");
}

TEST_F(SubprocessTest, LogFileGetsBothStreamsAppended) {
  std::ofstream(log()) << "before\n";
  EXPECT_TRUE(Start(Shell("echo out; echo err >&2")).WaitForever().ok());
  EXPECT_EQ(Read(log()), "before\nout\nerr\n");
  EXPECT_EQ(fs::status(log()).permissions() & fs::perms::owner_write, fs::perms::owner_write);
}

TEST_F(SubprocessTest, SpawnReportsAMissingProgram) {
  SpawnOptions o;
  o.argv = {(dir_ / "no-such-program").string()};
  StatusOr<Subprocess> p = Subprocess::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(p.status().message(), HasSubstr("cannot run '" + o.argv[0] + "': No such file or directory"));

  o.argv = {"swarm-no-such-program"};
  o.env = {"PATH=/nonexistent:" + dir_.string()};
  p = Subprocess::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(p.status().message(), HasSubstr("'swarm-no-such-program': not found in PATH (/nonexistent:"));
}

TEST_F(SubprocessTest, SpawnReportsAProgramThatIsNotExecutable) {
  std::ofstream(dir_ / "data.txt") << "not a program\n";
  SpawnOptions o;
  o.argv = {"data.txt"};
  o.env = {"PATH=" + dir_.string()};
  StatusOr<Subprocess> p = Subprocess::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(p.status().message(),
              HasSubstr("cannot run 'data.txt' (" + (dir_ / "data.txt").string() + "): Permission denied"));
}

TEST_F(SubprocessTest, SpawnReportsAMissingWorkdir) {
  SpawnOptions o = Shell("true");
  o.workdir = dir_ / "missing";
  StatusOr<Subprocess> p = Subprocess::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(p.status().message(), HasSubstr("cannot run '/bin/sh': cannot enter its working directory '" +
                                              o.workdir.string() + "': No such file or directory"));
}

TEST_F(SubprocessTest, SpawnRejectsBadOptions) {
  EXPECT_EQ(Subprocess::Spawn(SpawnOptions{}).status().code(), StatusCode::kInvalidArgument);
  SpawnOptions o = Shell("true");
  o.env = {"NOEQUALS"};
  EXPECT_EQ(Subprocess::Spawn(o).status().code(), StatusCode::kInvalidArgument);
  o = Shell("true");
  o.log_file = dir_ / "missing" / "log";
  EXPECT_THAT(Subprocess::Spawn(o).status().message(), HasSubstr("cannot open its log file"));
}

TEST_F(SubprocessTest, WaitTimesOutThenStopEndsIt) {
  Subprocess p = Start(Shell("sleep 30"));
  EXPECT_FALSE(p.Poll().has_value());
  StatusOr<ExitStatus> s = p.Wait(milliseconds(50));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(s.status().message(), HasSubstr("process " + std::to_string(p.pid()) + " ('/bin/sh')"));
  EXPECT_EQ(p.Stop(milliseconds(1000)).signal, SIGTERM);
  EXPECT_EQ(p.Wait(milliseconds(0))->signal, SIGTERM);
}

TEST_F(SubprocessTest, StopKillsAChildThatIgnoresTerm) {
  Subprocess p = Start(Shell("trap '' TERM; echo ready; while :; do sleep 0.05; done"));
  ASSERT_TRUE(LogHas("ready"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(p.Stop(milliseconds(200)).signal, SIGKILL);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
}

TEST_F(SubprocessTest, SignalReachesAGrandchildInTheGroup) {
  Subprocess p = Start(Shell("sleep 30 & echo $! > " + (dir_ / "pid").string() + "; wait"));
  ASSERT_TRUE(Eventually([&] { return Read(dir_ / "pid").ends_with("\n"); }));
  const pid_t grandchild = std::stoi(Read(dir_ / "pid"));
  ASSERT_TRUE(Alive(grandchild));
  EXPECT_EQ(::getpgid(grandchild), p.pid());
  p.Signal(SIGTERM);
  EXPECT_EQ(p.WaitForever().signal, SIGTERM);
  EXPECT_TRUE(Eventually([&] { return !Alive(grandchild); }));
}

TEST_F(SubprocessTest, WithoutANewGroupTheChildStaysInTheParents) {
  SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};  // no shell: a SIGKILLed shell would orphan its sleep
  o.new_process_group = false;
  Subprocess p = Start(o);
  EXPECT_EQ(::getpgid(p.pid()), ::getpgrp());
  p.Signal(SIGKILL);  // to the child alone: this test's group survives it
  EXPECT_EQ(p.WaitForever().signal, SIGKILL);
}

TEST_F(SubprocessTest, DestructorLeavesNoProcess) {
  pid_t pid = 0;
  {
    Subprocess p = Start(Shell("sleep 30"));
    pid = p.pid();
    Subprocess moved = std::move(p);  // the moved-from one owns nothing
    EXPECT_EQ(moved.pid(), pid);
  }
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: not even a zombie
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
}

TEST_F(SubprocessTest, DiesWithItsParent) {
  // A middle process (a fork of this test) spawns the child, reports its pid, and is
  // SIGKILLed: its destructors never run, so only PR_SET_PDEATHSIG can end the child.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t middle = ::fork();
  if (middle == 0) {
    SpawnOptions o;
    o.argv = {"/bin/sleep", "30"};
    StatusOr<Subprocess> p = Subprocess::Spawn(o);
    const pid_t child = p.ok() ? p->pid() : -1;
    (void)!::write(fds[1], &child, sizeof(child));
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t child = 0;
  ASSERT_EQ(::read(fds[0], &child, sizeof(child)), static_cast<ssize_t>(sizeof(child)));
  ::close(fds[0]);
  ASSERT_GT(child, 0);
  ASSERT_TRUE(Alive(child));
  ::kill(middle, SIGKILL);
  ::waitpid(middle, nullptr, 0);
  EXPECT_TRUE(Eventually([&] { return !Alive(child); }));
}

}  // namespace
}  // namespace swarm
