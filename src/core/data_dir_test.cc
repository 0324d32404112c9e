#include "core/data_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "core/test_util.h"

namespace swarm {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DirLockTest : public ::testing::Test {
 protected:
  testing::ScopedTempDir tmp_{"swarm_data_dir_test"};
  const fs::path& dir_ = tmp_.path();
};

TEST_F(DirLockTest, ADataDirIsMadePrivateWhateverTheUmask) {
  const mode_t old = ::umask(0);
  const fs::path d = dir_ / "a" / "b";
  const Status s = MakeDataDir(d);
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(fs::status(d).permissions() & fs::perms::all, fs::perms::owner_all);
  fs::permissions(d, fs::perms::all);  // an existing dir open to all is closed again
  ASSERT_TRUE(MakeDataDir(d).ok());
  EXPECT_EQ(fs::status(d).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(DirLockTest, ASecondHolderIsRefusedNamingTheFirstAndTheLockEndsWithIt) {
  // flock locks belong to open files: a second open in this process conflicts as another
  // process's would.
  auto first = DirLock::Acquire(dir_, "SL");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = DirLock::Acquire(dir_, "SL");
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("is in use by another process (pid " + std::to_string(::getpid())));
  EXPECT_THAT(second.status().message(), HasSubstr("one SL per data dir"));
  { DirLock gone = std::move(*first); }
  EXPECT_TRUE(DirLock::Acquire(dir_, "SL").ok());
}

TEST_F(DirLockTest, AProcessThatDiesReleasesItsLock) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    auto lock = DirLock::Acquire(dir_, "SN");
    (void)!::write(ready[1], lock.ok() ? "y" : "n", 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto refused = DirLock::Acquire(dir_, "SN");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("(pid " + std::to_string(child) + ","));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(DirLock::Acquire(dir_, "SN").ok());
}

}  // namespace
}  // namespace swarm
