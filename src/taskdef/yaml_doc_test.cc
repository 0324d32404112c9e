#include "taskdef/yaml_doc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace swarm::taskdef {
namespace {

YamlNode One(const std::string& text) {
  auto docs = ParseYamlStream(text, "d.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  if (!docs.ok() || docs->size() != 1) return YamlNode();
  return std::move((*docs)[0]);
}

std::string ErrorOf(const std::string& text) {
  auto docs = ParseYamlStream(text, "d.yaml");
  return docs.ok() ? "OK" : docs.status().message();
}

TEST(YamlDocTest, ScalarsKeepTheirTextAndNullWordsAreNull) {
  const YamlNode doc = One("a: 2.7\nb: ~\nc:\nd: Null\ne: \"null\"\nf: ''\ng: !!str 5\nh: !!null x\n");
  ASSERT_TRUE(doc.IsMap());
  ASSERT_EQ(doc.entries.size(), 8u);
  EXPECT_EQ(doc.entries[0].value.text, "2.7");
  EXPECT_TRUE(doc.entries[0].value.plain);
  EXPECT_TRUE(doc.entries[1].value.IsNull());
  EXPECT_TRUE(doc.entries[2].value.IsNull());
  EXPECT_TRUE(doc.entries[3].value.IsNull());
  EXPECT_TRUE(doc.entries[4].value.IsScalar());  // a quoted null word is text
  EXPECT_FALSE(doc.entries[4].value.plain);
  EXPECT_TRUE(doc.entries[5].value.IsScalar());
  EXPECT_EQ(doc.entries[5].value.text, "");
  EXPECT_EQ(doc.entries[6].value.tag, "tag:yaml.org,2002:str");
  EXPECT_FALSE(doc.entries[6].value.plain);
  EXPECT_TRUE(doc.entries[7].value.IsNull());
}

TEST(YamlDocTest, NodesKnowTheirLines) {
  const YamlNode doc = One("# c\nName: x\nList:\n  - a\n  - b: 1\n    c: 2\n");
  ASSERT_TRUE(doc.IsMap());
  EXPECT_EQ(doc.line, 2);
  EXPECT_EQ(doc.entries[1].key.line, 3);
  const YamlNode& list = doc.entries[1].value;
  ASSERT_TRUE(list.IsList());
  EXPECT_EQ(list.items[0].line, 4);
  EXPECT_EQ(list.items[1].line, 5);
  EXPECT_EQ(list.items[1].entries[1].key.line, 6);
}

TEST(YamlDocTest, DoubleQuotedTextWithEscapedLineBreaksIsJoined) {
  const YamlNode doc = One("- \"abc\\\n  def\\x20\\\n  \\x20g\\u00e9\"\n");
  ASSERT_TRUE(doc.IsList());
  EXPECT_EQ(doc.items[0].text, "abcdef  g\xC3\xA9");
}

TEST(YamlDocTest, StreamsHoldEveryDocument) {
  auto docs = ParseYamlStream("a: 1\n---\nb: 2\n", "d.yaml");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1].line, 3);
  EXPECT_EQ(ParseYamlStream("", "d.yaml")->size(), 0u);
  EXPECT_EQ(ParseYamlStream("# only a comment\n", "d.yaml")->size(), 0u);
}

TEST(YamlDocTest, SyntaxErrorsNameTheLineAndWhatWasExpected) {
  EXPECT_EQ(ErrorOf("a: 1\nb: [x\n"),
            "d.yaml, line 3: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence "
            "started on line 2)");
  EXPECT_THAT(ErrorOf("a: 1\n  b: 2\n"), ::testing::StartsWith("d.yaml, line 2: YAML syntax error: "));
  EXPECT_THAT(ErrorOf("a: \"x\n"), ::testing::HasSubstr("YAML syntax error"));
}

TEST(YamlDocTest, AliasesRepeatTheirAnchorsValueWithinABound) {
  const YamlNode doc = One("a: &x [1, 2]\nb: *x\n");
  ASSERT_TRUE(doc.IsMap());
  EXPECT_EQ(FlowText(doc.entries[1].value), "[1, 2]");
  EXPECT_EQ(ErrorOf("a: *nope\n"), "d.yaml, line 1: the alias *nope names no anchor (&nope) before it");
  // Each level doubles the values: 2^20 would be more than a million.
  std::string laughs = "l0: &l0 [x, x]\n";
  for (int i = 1; i <= 20; ++i) {
    laughs += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" + std::to_string(i - 1) + ", *l" +
              std::to_string(i - 1) + "]\n";
  }
  EXPECT_THAT(ErrorOf(laughs), ::testing::HasSubstr("holds more than 100000 values (aliases included)"));
}

TEST(YamlDocTest, NestingIsBounded) {
  EXPECT_TRUE(ParseYamlStream(std::string(64, '[') + std::string(64, ']'), "d.yaml").ok());
  EXPECT_EQ(ErrorOf(std::string(65, '[') + std::string(65, ']')),
            "d.yaml, line 1: values are nested deeper than 64 levels; expected a flatter document");
  EXPECT_THAT(ErrorOf(std::string(100000, '[')), ::testing::HasSubstr("nested deeper than 64 levels"));
}

// Inputs on which yaml-cpp 0.7 never returned (found by fuzzing) end here with an answer.
TEST(YamlDocTest, InputsThatHungTheOldParserEnd) {
  const std::string hung[] = {
      std::string("\"$") + std::string(86, '\"') + "resour\\emgr" + std::string(35, '\"') + ",o",
      std::string("!x") + std::string(73, 'b') + "," + std::string(19, 'b') + "X" + std::string(14, 'b') + " #?A" + std::string(12, 'b') + " e",
      std::string(",", 1), "# c\n,a", "  0 # x\n      ,", "a: \xfe\xff\n", std::string("a\0b", 3),
  };
  for (const std::string& text : hung) {
    auto docs = ParseYamlStream(text, "h.yaml");  // returns, with an error naming a line
    ASSERT_FALSE(docs.ok()) << text;
    EXPECT_THAT(docs.status().message(), ::testing::StartsWith("h.yaml, line ")) << text;
  }
}

TEST(YamlDocTest, FlowTextQuotesWhatPlainWouldChange) {
  const YamlNode doc = One("a: [\"/dev/kfd\", 'x, y', ~, \"\", {k: v}]\n");
  EXPECT_EQ(FlowText(doc.entries[0].value), "[/dev/kfd, \"x, y\", ~, \"\", {k: v}]");
}

}  // namespace
}  // namespace swarm::taskdef
