#include "swci/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm::swci {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Words(std::string_view line) {
  auto w = Tokenize(line);
  EXPECT_TRUE(w.ok()) << w.status().message();
  return w.ok() ? *w : std::vector<std::string>{};
}

TEST(SwciTokenize, SplitsOnBlanks) {
  EXPECT_THAT(Words("  CREATE   CONTEXT\tc WITH IP 1.2.3.4 "),
              ElementsAre("CREATE", "CONTEXT", "c", "WITH", "IP", "1.2.3.4"));
  EXPECT_THAT(Words(""), IsEmpty());
  EXPECT_THAT(Words("   \t "), IsEmpty());
}

TEST(SwciTokenize, QuotesKeepBlanksAndHashes) {
  EXPECT_THAT(Words("APPEND TASK BODY t 1 \"  Command: a # b\""),
              ElementsAre("APPEND", "TASK", "BODY", "t", "1", "  Command: a # b"));
  EXPECT_THAT(Words("a\"b c\"d"), ElementsAre("ab cd"));
  EXPECT_THAT(Words("x \"\" y"), ElementsAre("x", "", "y"));
}

TEST(SwciTokenize, EscapesInsideQuotes) {
  EXPECT_THAT(Words(R"(say "a \"quoted\" word" "back\\slash" "c:\dir")"),
              ElementsAre("say", "a \"quoted\" word", "back\\slash", "c:\\dir"));
}

TEST(SwciTokenize, HashStartsAComment) {
  EXPECT_THAT(Words("LIST NODES # the live ones"), ElementsAre("LIST", "NODES"));
  EXPECT_THAT(Words("# only a comment"), IsEmpty());
  EXPECT_THAT(Words("a#b"), ElementsAre("a"));
}

TEST(SwciTokenize, UnterminatedQuoteIsAnErrorNamingTheColumn) {
  auto w = Tokenize("CREATE CONTRACT \"bad name");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.status().message(), "unterminated quote: the '\"' at column 17 has no closing '\"'");
  EXPECT_FALSE(Tokenize("\"a\" \"b").ok());
  EXPECT_FALSE(Tokenize(R"("ends in an escaped quote \")").ok());
}

}  // namespace
}  // namespace swarm::swci
