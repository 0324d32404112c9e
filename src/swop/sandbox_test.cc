#include "swop/process/sandbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/subprocess.h"

namespace swarm::swop {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sandbox-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    for (const char* d : {"usr", "etc", "proc", "tmp", "dev"}) fs::create_directories(root_ / d);
    fs::create_symlink("usr/lib", root_ / "lib");
    std::ofstream(root_ / "vmlinuz") << "x";  // a plain file at the top: left out
    fs::create_directories(root_ / "tmp" / "build");  // host /tmp entries: shown read-only,
    fs::create_directories(root_ / "tmp" / "test");   // but for one the view makes its own
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(SandboxTest, HostReadOnlyPrivateDevProcTmpThenBindsAndWorkdir) {
  MlView v;
  v.mounts = {{"/data/user1", "/tmp/test/app-data", false}, {"/m", "/tmp/test/model", true}};
  v.working_dir = "/tmp/test";
  const auto a = SandboxArgs(v, {"/var/swop/sl-0"}, {"python3", "model/x.py"}, root_);
  const std::vector<std::string> want = {
      "--die-with-parent", "--unshare-pid", "--ro-bind-try", (root_ / "etc").string(), "/etc", "--symlink", "usr/lib", "/lib",
      "--ro-bind-try", (root_ / "usr").string(), "/usr", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
      "--ro-bind-try", (root_ / "tmp" / "build").string(), "/tmp/build", "--bind", "/var/swop/sl-0", "/var/swop/sl-0", "--bind", "/data/user1", "/tmp/test/app-data",
      "--ro-bind", "/m", "/tmp/test/model", "--dir", "/tmp/test", "--chdir", "/tmp/test", "--", "python3",
      "model/x.py"};
  EXPECT_EQ(a, want);
}

TEST_F(SandboxTest, CheckViewNamesMissingSourcesAndRelativeTargets) {
  MlView v;
  v.mounts = {{root_ / "nothing", "/tmp/x", false}};
  EXPECT_THAT(CheckView(v).message(), HasSubstr("does not exist on this host: '" + (root_ / "nothing").string()));
  v.mounts = {{root_ / "usr", "rel", false}};
  EXPECT_THAT(CheckView(v).message(), HasSubstr("'rel' is not an absolute path"));
  v.mounts.clear();
  v.working_dir = "tmp";
  EXPECT_THAT(CheckView(v).message(), HasSubstr("WorkingDir 'tmp' is not an absolute path"));
  v.working_dir = "/tmp/test";
  EXPECT_TRUE(CheckView(v).ok());
}

TEST(ResolverTest, TheProfilesDnsBecomesNameserverLinesInOrder) {
  auto text = ResolvConf({"10.0.0.53", "fd00::53"});
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_THAT(*text, HasSubstr("nameserver 10.0.0.53\nnameserver fd00::53\n"));
  EXPECT_THAT(ResolvConf({"10.0.0.53", "bind9.swarm"}).status().message(),
              HasSubstr("dns entry 'bind9.swarm' of the SWOP profile is not an IP address"));
}

// Real bubblewrap: the SL (here cat) sees the SWOP's resolv.conf, and so does a program in
// the ML sandbox made inside that view.
TEST(ResolverTest, TheSlAndItsProgramSeeTheProfilesResolvConf) {
  StatusOr<fs::path> bwrap = FindBubblewrap();
  if (!bwrap.ok()) GTEST_SKIP() << bwrap.status().message();
  const fs::path dir = fs::temp_directory_path() / ("resolver-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "resolv.conf") << *ResolvConf({"10.0.0.53"});
  std::vector<std::string> program = {"/bin/cat", "/etc/resolv.conf"};
  const std::vector<std::string> ml = SandboxArgs(MlView{}, {}, program);
  std::vector<std::string> argv = {bwrap->string()};
  for (const std::string& a : ResolverArgs(dir / "resolv.conf")) argv.push_back(a);
  argv.insert(argv.end(), {"/bin/sh", "-c", "cat /etc/resolv.conf; exec \"$0\" \"$@\"", bwrap->string()});
  argv.insert(argv.end(), ml.begin(), ml.end());
  SpawnOptions o;
  o.argv = argv;
  o.log_file = dir / "out";
  StatusOr<Subprocess> p = Subprocess::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  StatusOr<ExitStatus> end = p->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  std::ifstream in(dir / "out");
  const std::string out((std::istreambuf_iterator<char>(in)), {});
  fs::remove_all(dir);
  if (!end->ok() && out.find("Operation not permitted") != std::string::npos) {
    GTEST_SKIP() << "bubblewrap cannot make namespaces here: " << out;
  }
  ASSERT_TRUE(end->ok()) << end->Describe() << ": " << out;
  EXPECT_EQ(out,
            "# the SWOP profile's dns\nnameserver 10.0.0.53\n"
            "# the SWOP profile's dns\nnameserver 10.0.0.53\n");
}

TEST(FindBubblewrapTest, ItsAbsenceIsAClearError) {
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  ::setenv("PATH", "/nonexistent-dir", 1);
  StatusOr<fs::path> none = FindBubblewrap();
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_THAT(none.status().message(), HasSubstr("bubblewrap (bwrap) is not installed"));
  EXPECT_THAT(none.status().message(), HasSubstr("install the Debian package bubblewrap"));
}

}  // namespace
}  // namespace swarm::swop
