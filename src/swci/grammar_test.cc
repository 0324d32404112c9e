#include "swci/grammar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm::swci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

CommandSpec Spec(std::string_view usage) {
  auto s = CommandSpec::Parse(usage);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : CommandSpec();
}

constexpr std::string_view kCreateContext =
    "CREATE CONTEXT <contextName : string> WITH IP <ip : string> [port : string]";

TEST(SwciCommandSpec, ReadsKeywordsParametersAndOptionalTail) {
  const CommandSpec s = Spec(kCreateContext);
  EXPECT_THAT(s.words(), ElementsAre("CREATE", "CONTEXT"));
  EXPECT_EQ(s.name(), "CREATE CONTEXT");
  EXPECT_EQ(s.usage(), kCreateContext);
  ASSERT_EQ(s.elements().size(), 5u);
  EXPECT_FALSE(s.elements()[0].keyword);
  EXPECT_EQ(s.elements()[0].text, "contextName");
  EXPECT_EQ(s.elements()[0].type, ParamType::kString);
  EXPECT_TRUE(s.elements()[1].keyword);
  EXPECT_EQ(s.elements()[1].text, "WITH");
  EXPECT_EQ(s.elements()[2].text, "IP");
  EXPECT_EQ(s.elements()[3].text, "ip");
  EXPECT_TRUE(s.elements()[4].optional);
}

TEST(SwciCommandSpec, ColonsWithoutBlanksUntypedAndLowerCaseNames) {
  const CommandSpec env = Spec("GET CONTEXT ENV <contextName:string> <env:string>");
  EXPECT_EQ(env.elements()[0].text, "contextName");
  EXPECT_EQ(env.elements()[1].text, "env");
  const CommandSpec assign =
      Spec("ASSIGN TASK <taskName : string> TO <trName : string> WITH <peersNeeded> PEERS");
  EXPECT_EQ(assign.elements()[4].text, "peersNeeded");
  EXPECT_EQ(assign.elements()[4].type, ParamType::kAny);
  EXPECT_TRUE(assign.elements()[5].keyword);
  EXPECT_THAT(Spec("cd <dirPath>").words(), ElementsAre("CD"));
  EXPECT_EQ(
      Spec("APPEND TASK BODY <taskName : string> <idx : int> <contentLine : string>").elements()[1].type,
      ParamType::kInt);
}

TEST(SwciCommandSpec, BadUsageStringsAreRefused) {
  EXPECT_FALSE(CommandSpec::Parse("<name> FIRST").ok());   // no leading keyword
  EXPECT_FALSE(CommandSpec::Parse("X <a : float>").ok());  // unknown type
  EXPECT_FALSE(CommandSpec::Parse("X <a").ok());           // never closed
  EXPECT_FALSE(CommandSpec::Parse("X [a] <b>").ok());      // required after optional
  EXPECT_FALSE(CommandSpec::Parse("X [a...] [b]").ok());   // rest not last
  EXPECT_THAT(CommandSpec::Parse("X <a : float>").status().message(), HasSubstr("expected string or int"));
}

TEST(SwciCommandSpec, BindsArgumentsByName) {
  const CommandSpec s = Spec(kCreateContext);
  auto a = s.Bind({"c", "with", "Ip", "1.2.3.4"});
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->String("contextName"), "c");
  EXPECT_EQ(a->String("ip"), "1.2.3.4");
  EXPECT_FALSE(a->Has("port"));
  EXPECT_EQ(a->Get("port", "30304"), "30304");
  a = s.Bind({"c", "WITH", "IP", "1.2.3.4", "5000"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a->Int("port", 1, 65535), 5000);
}

TEST(SwciCommandSpec, WrongArgumentsPrintTheUsage) {
  const CommandSpec s = Spec(kCreateContext);
  const std::string usage = "Usage: " + std::string(kCreateContext);
  EXPECT_EQ(s.Bind({"c", "WITH", "HOST", "1.2.3.4"}).status().message(), usage);
  EXPECT_EQ(s.Bind({"c", "WITH", "IP"}).status().message(), usage);
  EXPECT_EQ(s.Bind({}).status().message(), usage);
  EXPECT_EQ(s.Bind({"c", "WITH", "IP", "h", "1", "x"}).status().message(),
            usage + " ('x' is one word too many; quote an argument that holds blanks)");
  EXPECT_EQ(s.Bind({"c", "WITH", "IP", "h", "1", "x", "y"}).status().message(),
            usage + " (too many words from 'x' on; quote an argument that holds blanks)");
  const CommandSpec assign =
      Spec("ASSIGN TASK <taskName : string> TO <trName : string> WITH <peersNeeded> PEERS");
  EXPECT_TRUE(assign.Bind({"t", "to", "tr", "with", "2", "peers"}).ok());
  EXPECT_FALSE(assign.Bind({"t", "to", "tr", "with", "2"}).ok());
  EXPECT_FALSE(assign.Bind({"t", "to", "tr", "with", "2", "NODES"}).ok());
}

TEST(SwciCommandSpec, RestTakesEveryRemainingWord) {
  const CommandSpec s = Spec("HELP [command...]");
  EXPECT_EQ(s.elements()[0].text, "command");
  auto a = s.Bind({"create", "contract"});
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->Rest("command"), ElementsAre("create", "contract"));
  EXPECT_TRUE(s.Bind({})->Rest("command").empty());
}

TEST(SwciArgs, IntNamesTheParameterAndTheRange) {
  Args a;
  a.Set("seconds", "soon");
  EXPECT_EQ(a.Int("seconds", 0, 86400).status().message(), "seconds 'soon' is not a number from 0 to 86400");
  a.Set("seconds", "86401");
  EXPECT_FALSE(a.Int("seconds", 0, 86400).ok());
  a.Set("seconds", "12x");
  EXPECT_FALSE(a.Int("seconds", 0, 86400).ok());
  a.Set("seconds", "-1");
  EXPECT_FALSE(a.Int("seconds", 0, 86400).ok());
  a.Set("seconds", "7");
  EXPECT_EQ(*a.Int("seconds", 0, 86400), 7);
}

}  // namespace
}  // namespace swarm::swci
