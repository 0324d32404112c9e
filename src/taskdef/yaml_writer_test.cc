#include "taskdef/yaml_writer.h"

#include "taskdef/yaml_doc.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace swarm::taskdef {
namespace {

constexpr size_t kMax = 79;

std::string Joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

// The one document in `text`, read with the parser the project reads YAML with.
YamlNode Read(const std::string& text) {
  auto docs = ParseYamlStream(text, "w.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().ToString() << "\n" << text;
  if (!docs.ok() || docs->size() != 1) return YamlNode();
  return std::move((*docs)[0]);
}

// Writes `key: value` under a map at `prefix` and reads the value back.
struct Written {
  std::vector<std::string> lines;
  YamlNode value;
};
Written WriteAndRead(std::string_view key, const std::optional<std::string>& value) {
  YamlLineWriter out(kMax);
  out.Key("", "Outer");
  out.KeyValue("- ", key, value);
  Written w{out.Take(), {}};
  const YamlNode doc = Read(Joined(w.lines));
  // Outer: [ {key: value} ]
  if (doc.IsMap() && doc.entries.size() == 1 && doc.entries[0].value.IsList() &&
      doc.entries[0].value.items.size() == 1 && doc.entries[0].value.items[0].IsMap()) {
    for (const auto& [k, v] : doc.entries[0].value.items[0].entries) {
      if (k.text == key) w.value = v;
    }
  }
  return w;
}

void ExpectRoundTrip(std::string_view key, const std::string& value) {
  SCOPED_TRACE("value: " + value);
  Written w = WriteAndRead(key, value);
  for (const auto& line : w.lines) EXPECT_LE(line.size(), kMax) << line;
  ASSERT_TRUE(w.value.IsScalar()) << Joined(w.lines);
  EXPECT_EQ(w.value.text, value) << Joined(w.lines);
}

TEST(YamlWriterTest, WritesSafeValuesPlain) {
  YamlLineWriter out(kMax);
  out.KeyValue("", "Command", std::string("model/mnist_tf.py --epochs=3"));
  out.KeyValue("  ", "Src", std::string("<CURRENT-PATH>/workspace/mnist/model"));
  out.KeyValue("- ", "Target", std::string("http://172.2.2.2:9292/mnist/model/mnist_tf.py"));
  out.KeyValue("", "PrivateContent", std::nullopt);
  out.Item("", std::string("RUN pip3 install --upgrade pip && pip3 install \\"));
  out.Key("  ", "Options", " []");
  EXPECT_EQ(out.Take(),
            (std::vector<std::string>{
                "Command: model/mnist_tf.py --epochs=3", "  Src: <CURRENT-PATH>/workspace/mnist/model",
                "- Target: http://172.2.2.2:9292/mnist/model/mnist_tf.py", "PrivateContent: ~",
                "- RUN pip3 install --upgrade pip && pip3 install \\", "  Options: []"}));
}

TEST(YamlWriterTest, QuotesWhatPlainWouldChange) {
  YamlLineWriter out(kMax);
  for (const char* v : {"", " ", "~", "null", "- x", "a: b", "a #b", "x:", "'q'", "\"q\"", "[1]", "*a",
                        "tab\there", "caf\xC3\xA9", "trailing "}) {
    out.Item("", std::string(v));
  }
  EXPECT_EQ(out.Take(), (std::vector<std::string>{
                            "- \"\"", "- \" \"", "- \"~\"", "- \"null\"", "- \"- x\"", "- \"a: b\"",
                            "- \"a #b\"", "- \"x:\"", "- \"'q'\"", "- \"\\\"q\\\"\"", "- \"[1]\"", "- \"*a\"",
                            "- \"tab\\there\"", "- \"caf\xC3\xA9\"", "- \"trailing \""}));
  EXPECT_TRUE(IsPlainSafe("2"));
  EXPECT_TRUE(IsPlainSafe("True"));
  EXPECT_FALSE(IsPlainSafe("Null"));
  EXPECT_FALSE(IsPlainSafe("NULL"));
}

TEST(YamlWriterTest, FoldsLongValuesWithEscapedLineBreaks) {
  const std::string step =
      "COPY swarmlearning-client-py3-none-manylinux_2_24_x86_64.whl "
      "/tmp/hpe-swarmcli-pkg/swarmlearning-client-py3-none-manylinux_2_24_x86_64.whl";
  YamlLineWriter out(kMax);
  out.Item("", step);
  const std::vector<std::string> lines = out.Take();
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "- \"COPY swarmlearning-client-py3-none-manylinux_2_24_x86_64.whl /tmp/hpe-swarm\\",
                       "  cli-pkg/swarmlearning-client-py3-none-manylinux_2_24_x86_64.whl\""}));
  EXPECT_EQ(lines[0].size(), kMax);
  const YamlNode read = Read(Joined(lines));
  ASSERT_TRUE(read.IsList() && read.items.size() == 1);
  EXPECT_EQ(read.items[0].text, step);
}

TEST(YamlWriterTest, EscapesSpacesAtSplits) {
  // A space that would start a continuation line, or end a line before the split, is \x20.
  const std::string value = std::string(70, 'a') + "     " + std::string(20, 'b') + "  ";
  Written w = WriteAndRead("K", value);
  EXPECT_EQ(w.value.text, value);
  for (size_t i = 0; i + 1 < w.lines.size(); ++i) {
    const std::string& line = w.lines[i];
    ASSERT_GE(line.size(), 2u);
    EXPECT_NE(line[line.size() - 2], ' ') << line;
    EXPECT_NE(w.lines[i + 1].find_first_not_of(' '), std::string::npos);
    EXPECT_NE(w.lines[i + 1][w.lines[i + 1].find_first_not_of(' ')], ' ');
  }
}

TEST(YamlWriterTest, RoundTripsHardValues) {
  ExpectRoundTrip("K", std::string(200, ' '));
  ExpectRoundTrip("K", std::string(160, '"'));
  ExpectRoundTrip("K", std::string(160, '\\'));
  ExpectRoundTrip("K", "line one\nline two\n" + std::string(100, 'x'));
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9 ";
  ExpectRoundTrip("K", accents);
  ExpectRoundTrip("K", "ctrl \x01\x02\x7F and \r\n" + std::string(90, '-'));
  ExpectRoundTrip("K", "\xE2\x80\xA8 separators \xE2\x80\xA9 \xC2\x85" + std::string(80, 'z'));
  ExpectRoundTrip("K", "# not a comment " + std::string(80, '#'));
}

TEST(YamlWriterTest, RoundTripsRandomValues) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("ab :#-'\"\\\t~[]{},&*!|>%@`?\n") + "\xC3\xA9";
  for (int n = 0; n < 300; ++n) {
    std::string value;
    const size_t length = rng() % 170;
    while (value.size() < length) {
      const size_t i = rng() % (alphabet.size() - 1);
      value += i == alphabet.size() - 2 ? std::string("\xC3\xA9") : std::string(1, alphabet[i]);
    }
    ExpectRoundTrip("K", value);
  }
}

TEST(YamlWriterTest, LongKeysBecomeExplicitKeys) {
  const std::string key = "VERY_" + std::string(100, 'L') + "_NAME";
  Written w = WriteAndRead(key, std::string("v"));
  EXPECT_EQ(w.lines[1].substr(0, 5), "- ? \"");
  for (const auto& line : w.lines) EXPECT_LE(line.size(), kMax) << line;
  ASSERT_TRUE(w.value.IsScalar()) << Joined(w.lines);
  EXPECT_EQ(w.value.text, "v");

  // A key that fits but leaves little room: the value starts on its own line.
  const std::string long_key(68, 'K');
  const std::string value(60, 'v');
  Written w2 = WriteAndRead(long_key, value);
  EXPECT_EQ(w2.lines[1], "- " + long_key + ":");
  EXPECT_EQ(w2.value.text, value);
  for (const auto& line : w2.lines) EXPECT_LE(line.size(), kMax) << line;

  Written w3 = WriteAndRead(key, std::nullopt);
  EXPECT_TRUE(w3.value.IsNull()) << Joined(w3.lines);
}

TEST(YamlWriterTest, QuotedTokensAreWholeCharacters) {
  EXPECT_EQ(QuotedTokens("a\"\xC3\xA9\x01"), (std::vector<std::string>{"a", "\\\"", "\xC3\xA9", "\\x01"}));
}

}  // namespace
}  // namespace swarm::taskdef
