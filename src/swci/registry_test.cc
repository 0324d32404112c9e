#include "swci/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm::swci {
namespace {

using ::testing::ElementsAre;

StatusOr<Result> Nop(CommandEnv&, const Args&) { return Result::Nothing(); }

CommandRegistry Sample() {
  CommandRegistry r;
  r.Add("EXIT", "Ends.", Nop);
  r.Add("EXIT ON FAILURE [ON/OFF]", "Ends on failure.", Nop);
  r.Add("GET CONTEXT INFO [contextName : string]", "Info.", Nop);
  r.Add("GET CONTEXT ENV <contextName:string> <env:string>", "Env.", Nop);
  r.Add("cd <dirPath>", "Moves.", Nop);
  return r;
}

TEST(SwciCommandRegistry, LongestNameWins) {
  const CommandRegistry r = Sample();
  auto m = r.Find({"exit", "on", "failure", "OFF"});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->command->spec.name(), "EXIT ON FAILURE");
  EXPECT_THAT(m->args, ElementsAre("OFF"));
  m = r.Find({"EXIT"});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->command->spec.name(), "EXIT");
  m = r.Find({"CD", "/tmp"});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->command->spec.name(), "CD");
}

TEST(SwciCommandRegistry, UnknownAndIncompleteCommands) {
  const CommandRegistry r = Sample();
  EXPECT_EQ(r.Find({"FROBNICATE"}).status().message(),
            "unknown command 'FROBNICATE'; type HELP for the list of commands");
  EXPECT_EQ(r.Find({"LIST", "THINGS", "NOW"}).status().message(),
            "unknown command 'LIST THINGS'; type HELP for the list of commands");
  EXPECT_EQ(r.Find({"get", "context"}).status().message(),
            "incomplete command 'get context'; did you mean GET CONTEXT ENV, GET CONTEXT INFO?");
}

TEST(SwciCommandRegistry, HelpListsAndDescribes) {
  const CommandRegistry r = Sample();
  EXPECT_THAT(r.Names(), ElementsAre("CD", "EXIT", "EXIT ON FAILURE", "GET CONTEXT ENV", "GET CONTEXT INFO"));
  auto all = r.Help({});
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(std::get<Message>(all->parts[0]).lines,
              ElementsAre(" CD", " EXIT", " EXIT ON FAILURE", " GET CONTEXT ENV", " GET CONTEXT INFO"));
  auto one = r.Help({"exit", "on", "failure"});
  ASSERT_TRUE(one.ok());
  EXPECT_THAT(std::get<Message>(one->parts[0]).lines,
              ElementsAre(" EXIT ON FAILURE [ON/OFF]", "", "Ends on failure."));
  auto some = r.Help({"GET"});
  ASSERT_TRUE(some.ok());
  EXPECT_THAT(std::get<Message>(some->parts[0]).lines, ElementsAre(" GET CONTEXT ENV", " GET CONTEXT INFO"));
  EXPECT_EQ(r.Help({"nothing"}).status().message(), "no command 'NOTHING'; HELP lists them");
}

// One name, two forms told apart by their later keywords: the one whose arguments fit runs.
TEST(SwciCommandRegistry, FormsOfOneCommand) {
  CommandRegistry r;
  r.Add("MAKE THING <name> WITH IP <ip> [port]", "By address.", Nop);
  r.Add("MAKE THING <name> WITH SERVICE <service>", "By name.", Nop);
  auto m = r.Find({"make", "thing", "a", "with", "service", "s.swarm"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->command->form, "WITH SERVICE");
  m = r.Find({"MAKE", "THING", "a", "WITH", "IP", "10.0.0.1", "7"});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->command->form, "");
  EXPECT_EQ(r.Find({"MAKE", "THING", "a", "WITH", "DNS", "x"}).status().message(),
            "Usage: MAKE THING <name> WITH IP <ip> [port]\n   or: MAKE THING <name> WITH SERVICE <service>");
  EXPECT_THAT(r.Names(), ElementsAre("MAKE THING"));
  EXPECT_EQ(r.All().size(), 2u);
  auto help = r.Help({"make", "thing"});
  ASSERT_TRUE(help.ok());
  EXPECT_THAT(std::get<Message>(help->parts[0]).lines,
              ElementsAre(" MAKE THING <name> WITH IP <ip> [port]", "", "By address.",
                          "\n MAKE THING <name> WITH SERVICE <service>", "", "By name."));
  EXPECT_DEATH(r.Add("MAKE THING <other> WITH SERVICE <s> [port]", "", Nop), "added twice");
}

TEST(SwciCommandRegistryDeathTest, BadUsageOrTwiceAborts) {
  EXPECT_DEATH(CommandRegistry().Add("<x>", "", Nop), "bad usage string");
  EXPECT_DEATH(
      {
        CommandRegistry r;
        r.Add("EXIT", "", Nop);
        r.Add("exit", "", Nop);
      },
      "added twice");
}

}  // namespace
}  // namespace swarm::swci
