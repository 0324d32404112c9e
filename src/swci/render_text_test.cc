#include "swci/render_text.h"

#include <gtest/gtest.h>

#include <sstream>

namespace swarm::swci {
namespace {

std::string Text(const Result& r) {
  std::ostringstream out;
  RenderText(r, out);
  return out.str();
}

TEST(SwciRenderText, MessagesRecordsTables) {
  EXPECT_EQ(Text(Result::Nothing()), "");
  EXPECT_EQ(Text(Result::Lines({"a", "b"})), "a\nb\n");
  EXPECT_EQ(Text(Result::Of(Record().Add("Name", "c").Add("Default", "yes"))),
            "Name    : c\nDefault : yes\n");
  Record wide;
  wide.min_key_width = 8;
  EXPECT_EQ(Text(Result::Of(wide.Add("Name", "x"))), "Name     : x\n");
  Table t{{{"A"}, {"LONG TITLE"}, {"LAST"}}, {{"xxx", "y", "z"}, {"q"}}};
  EXPECT_EQ(Text(Result::Of(t)), "A    LONG TITLE  LAST\nxxx  y           z\nq                \n");
  Table fixed{{{"T", 3}, {"U"}}, {{"abcd", "e"}}};
  EXPECT_EQ(Text(Result::Of(fixed)), "T  U\nabcde\n");
  EXPECT_EQ(Text(Result::Lines({"one"}).Add(Record().Add("k", "v"))), "one\nk : v\n");
}

TEST(SwciTextProgress, TicksShareALineThatEndsBeforeOtherOutput) {
  std::ostringstream out;
  TextProgress p(out);
  p.Show(Message{{"WAITING"}});
  p.Tick();
  p.Tick();
  p.Show(Message{{"WARNING"}});
  p.Tick();
  p.EndLine();
  p.EndLine();
  EXPECT_EQ(out.str(), "WAITING\n##\nWARNING\n#\n");
}

TEST(SwciRenderError, OneLine) {
  std::ostringstream out;
  RenderError(NotFound("no task named 'x'"), out);
  EXPECT_EQ(out.str(), "ERROR: no task named 'x'\n");
}

}  // namespace
}  // namespace swarm::swci
