#include "swop/sl_command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm::swop {
namespace {
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SlCommandLineTest, EveryValueIsAFlagWithEqualsSoDashesStayValues) {
  SlLaunchSpec s;
  s.swarm_bin = "/bin/swarm";
  s.host_ip = "10.0.0.1";
  s.fs_port = 16000;
  s.sn_endpoints = "10.0.0.9:30304,10.0.0.8:30304";
  s.tls = {"k.pem", "c.pem", "capath"};
  s.data_dir = "/d/sl-0";
  s.parent_uid = "swop-uid";
  s.ml_name = "user1";
  s.ml_env = {"A=1"};
  s.view.mounts = {{"/data/u1", "/tmp/test/app-data", false}};
  const auto argv = SlCommandLine(s, {"/usr/bin/bwrap", "--ro-bind", "/", "/", "--", "python3", "x.py"});
  EXPECT_THAT(argv, ElementsAre("/bin/swarm", "sl", "--host-ip=10.0.0.1", "--sl-fs-port=16000",
                                "--sn-ip=10.0.0.9:30304,10.0.0.8:30304", "--key=k.pem", "--cert=c.pem",
                                "--capath=capath", "--data-dir=/d/sl-0", "--parent-uid=swop-uid", "--ml-name=user1",
                                "--ml-entrypoint=/usr/bin/bwrap", "--ml-cmd=--ro-bind", "--ml-cmd=/", "--ml-cmd=/",
                                "--ml-cmd=--", "--ml-cmd=python3", "--ml-cmd=x.py", "--ml-e=A=1",
                                "--ml-view=/tmp/test/app-data=/data/u1"));
}

TEST(SplitCommandTest, BlanksQuotesAndEscapes) {
  EXPECT_THAT(*SplitCommand("model/mnist.py --epochs 2"), ElementsAre("model/mnist.py", "--epochs", "2"));
  EXPECT_THAT(*SplitCommand("a \"b c\" 'd e' f\\ g"), ElementsAre("a", "b c", "d e", "f g"));
  EXPECT_THAT(*SplitCommand("  x  "), ElementsAre("x"));
  EXPECT_THAT(*SplitCommand("\"\""), ElementsAre(""));
  EXPECT_THAT(SplitCommand("a 'b").status().message(), HasSubstr("unterminated single quote"));
  EXPECT_THAT(SplitCommand("a\\").status().message(), HasSubstr("ends in a backslash"));
}

}  // namespace
}  // namespace swarm::swop
