#include "taskdef/yaml_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace swarm::taskdef {
namespace {

// The field `key` of a one-line document "key: <value>".
Field FieldOf(const std::string& value_text) {
  auto root = LoadDocument("key: " + value_text + "\n", "d.yaml");
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  return root->Child("key", root->node().entries.at(0).value, 1);
}

template <typename T>
std::string ErrorOf(const StatusOr<T>& result) {
  return result.ok() ? "OK" : result.status().message();
}

TEST(YamlCheckTest, IntegersMustBeUnquotedIntegers) {
  EXPECT_EQ(*GetInteger(FieldOf("16000"), 0), 16000);
  EXPECT_EQ(*GetInteger(FieldOf("+7"), 0), 7);
  EXPECT_EQ(*GetInteger(FieldOf("!!int 5"), 0), 5);
  EXPECT_EQ(*GetInteger(FieldOf("0"), 0), 0);
  EXPECT_EQ(ErrorOf(GetInteger(FieldOf("-1"), 0)), "d.yaml, line 1: key is -1; expected an integer >= 0");
  EXPECT_EQ(ErrorOf(GetInteger(FieldOf("\"16000\""), 0)),
            "d.yaml, line 1: key is '16000' in quotes; expected an integer >= 0 without quotes");
  EXPECT_EQ(ErrorOf(GetInteger(FieldOf("1.5"), 0)), "d.yaml, line 1: key is '1.5'; expected an integer >= 0");
  EXPECT_EQ(ErrorOf(GetInteger(FieldOf("12abc"), 0)),
            "d.yaml, line 1: key is '12abc'; expected an integer >= 0");
  EXPECT_EQ(ErrorOf(GetInteger(FieldOf("99999999999999999999"), 0)),
            "d.yaml, line 1: key is '99999999999999999999'; expected an integer >= 0");
  EXPECT_EQ(ErrorOf(GetInteger(FieldOf("~"), 0)), "d.yaml, line 1: key is null; expected an integer >= 0");
  EXPECT_EQ(*GetOptionalInteger(FieldOf("~"), 0), std::nullopt);
  EXPECT_EQ(ErrorOf(GetOptionalInteger(FieldOf("[1]"), 0)),
            "d.yaml, line 1: key is a list; expected ~ or an integer >= 0");
}

TEST(YamlCheckTest, StringsTakeAnyScalarAsWritten) {
  EXPECT_EQ(*GetString(FieldOf("2.70"), kAnyString), "2.70");
  EXPECT_EQ(*GetString(FieldOf("yes"), kAnyString), "yes");
  EXPECT_EQ(*GetString(FieldOf("\"~\""), kAnyString), "~");
  EXPECT_EQ(*GetString(FieldOf("''"), kAnyString), "");
  EXPECT_EQ(ErrorOf(GetString(FieldOf("null"), kAnyString)),
            "d.yaml, line 1: key is null; expected a string");
  EXPECT_EQ(ErrorOf(GetString(FieldOf("{a: 1}"), {2, 240})),
            "d.yaml, line 1: key is a map; expected a string of 2..240 characters");
  EXPECT_EQ(ErrorOf(GetString(FieldOf("''"), {1, std::string::npos})),
            "d.yaml, line 1: key is empty; expected a string of at least 1 character");
  EXPECT_EQ(DescribeString({0, 160}), "a string of at most 160 characters");
  EXPECT_EQ(DescribeString({3, std::string::npos}), "a string of at least 3 characters");
}

TEST(YamlCheckTest, LongValuesAreCutInMessages) {
  const std::string value = std::string(59, 'a') + "\xC3\xA9" + std::string(10, 'b');
  EXPECT_EQ(ErrorOf(GetEnum(FieldOf(value), {"A"})),
            "d.yaml, line 1: key is '" + std::string(59, 'a') + "...'; expected one of A");
}

TEST(YamlCheckTest, ListRulesAreDescribed) {
  EXPECT_EQ(ErrorOf(GetList(FieldOf("x"), {})), "d.yaml, line 1: key is 'x'; expected a list");
  EXPECT_EQ(ErrorOf(GetList(FieldOf("[1, 2]"), {0, 1})),
            "d.yaml, line 1: key has 2 items; expected a list of at most 1 item");
  EXPECT_EQ(ErrorOf(GetList(FieldOf("[]"), {1})),
            "d.yaml, line 1: key is empty; expected a list of at least 1 item");
  EXPECT_EQ(GetList(FieldOf("~"), {1, 5, true})->size(), 0u);
  auto items = GetList(FieldOf("[a, b]"), {});
  ASSERT_TRUE(items.ok());
  EXPECT_EQ((*items)[1].path(), "key[1]");
}

TEST(YamlCheckTest, NestedValuesKeepTheirFlowText) {
  auto pairs =
      GetKeyValues(FieldOf("[device: [\"/dev/kfd\", \"/dev/dri\"], privileged: True, shm: {a: 1}]"), true,
                   /*nested_values=*/true);
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  EXPECT_EQ(*pairs, (std::vector<KeyValue>{
                        {"device", "[/dev/kfd, /dev/dri]"}, {"privileged", "True"}, {"shm", "{a: 1}"}}));
}

// YAML is text: control characters and bytes that are not UTF-8 are refused, naming the line
// and the byte, before the parser sees the text.
TEST(YamlCheckTest, AControlCharacterIsRefusedNamingItsLine) {
  std::string text = "Name: a\nType: b";
  text += '\0';
  text += "c\n";
  auto root = LoadDocument(text, "t.yaml");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().message(), "t.yaml, line 2: holds the control character 0x00; expected YAML text");
  EXPECT_TRUE(LoadDocument("a: 1\r\nb:\t2\n", "ok.yaml").ok());  // CR LF and tabs are text
  // Nor is what is not UTF-8.
  EXPECT_EQ(LoadDocument("a: 1\nb: \xfe\xff\n", "u.yaml").status().message(),
            "u.yaml, line 2: byte 0xfe is not UTF-8 text; expected a YAML file in UTF-8");
  EXPECT_FALSE(LoadDocument("a: \xe7\n", "u.yaml").ok());                // a lead byte without its tail
  EXPECT_TRUE(LoadDocument("name: caf\xc3\xa9 \xe2\x82\xac\n", "ok.yaml").ok());  // é and € are text
}

// yaml-cpp 0.7 looped forever on lines that begin with ',' (found by fuzzing); they are
// syntax errors at their line.
TEST(YamlCheckTest, ALineThatBeginsWithACommaOutsideBracketsIsASyntaxError) {
  for (const char* text : {",", " ,", "\n,", "# note\n,a", ",,", "  0 # x\n      ,"}) {
    auto root = LoadDocument(text, "c.yaml");
    ASSERT_FALSE(root.ok()) << text;
    EXPECT_THAT(root.status().message(), ::testing::HasSubstr("YAML syntax error")) << text;
  }
  EXPECT_EQ(LoadDocument("# note\n,a", "c.yaml").status().message().rfind("c.yaml, line 2:", 0), 0u)
      << LoadDocument("# note\n,a", "c.yaml").status().message();
  EXPECT_TRUE(LoadDocument("a: [1, 2]\n", "ok.yaml").ok());
  EXPECT_TRUE(LoadDocument("a: [1\n  , 2]\nb: 'x, [y'\n", "ok.yaml").ok());  // inside brackets, or quoted
}

TEST(YamlCheckTest, DeepNestingIsAnError) {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  auto root = LoadDocument(deep, "deep.yaml");
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.status().message(),
            "deep.yaml, line 1: values are nested deeper than 64 levels; expected a flatter document");
}

}  // namespace
}  // namespace swarm::taskdef
