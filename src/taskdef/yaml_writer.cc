#include "taskdef/yaml_writer.h"

#include <algorithm>
#include <cstdio>

namespace swarm::taskdef {
namespace {

// Below this much room after a key, a folded value starts on its own line instead.
constexpr size_t kMinRoom = 12;
// The widest token QuotedTokens makes ("\u2028") plus the closing quote or the "\" of a split.
constexpr size_t kMaxTokenWidth = 7;
constexpr std::string_view kEscapedSpace = "\\x20";

size_t Utf8Length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

std::string Hex(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", c);
  return buf;
}

std::string Join(const std::vector<std::string>& tokens) {
  std::string text;
  for (const std::string& token : tokens) text += token;
  return text;
}

std::string TrimRight(std::string text) {
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

YamlLineWriter::YamlLineWriter(size_t max_line) : max_line_(max_line) {}

void YamlLineWriter::KeyValue(std::string_view prefix, std::string_view key,
                              const std::optional<std::string>& value) {
  const size_t indent = prefix.size() + 2;
  std::string key_text = IsPlainSafe(key) ? std::string(key) : DoubleQuoted(key);
  if (prefix.size() + key_text.size() + 1 + kMaxTokenWidth <= max_line_) {
    Scalar(std::string(prefix) + key_text + ": ", indent, value);
    return;
  }
  // An implicit key must stay on one line: write "? key" and ": value" instead.
  Scalar(std::string(prefix) + "? ", indent, std::string(key));
  Scalar(std::string(prefix.size(), ' ') + ": ", indent, value);
}

void YamlLineWriter::Key(std::string_view prefix, std::string_view key, std::string_view suffix) {
  lines_.push_back(std::string(prefix) + std::string(key) + ":" + std::string(suffix));
}

void YamlLineWriter::Item(std::string_view prefix, const std::optional<std::string>& value) {
  Scalar(std::string(prefix) + "- ", prefix.size() + 2, value);
}

void YamlLineWriter::Scalar(std::string first, size_t indent, const std::optional<std::string>& value) {
  if (!value) {
    lines_.push_back(first + "~");
    return;
  }
  if (IsPlainSafe(*value) && first.size() + value->size() <= max_line_) {
    lines_.push_back(first + *value);
    return;
  }
  const std::vector<std::string> tokens = QuotedTokens(*value);
  const std::string quoted = "\"" + Join(tokens) + "\"";
  if (first.size() + quoted.size() <= max_line_) {
    lines_.push_back(first + quoted);
    return;
  }
  if (first.size() + kMinRoom > max_line_) {
    lines_.push_back(TrimRight(first));
    first = std::string(indent, ' ');
  }
  Fold(first + "\"", indent, tokens);
}

// Greedy: each token goes on the current line if it and one closing character (the quote or the
// backslash of a split) fit. A raw space must be neither the first token of a continuation line (YAML
// trims it) nor the last before a split (YAML keeps it only by a rule parsers get wrong), so a
// leading space is written \x20, and raw spaces that end up last move to the next line.
void YamlLineWriter::Fold(std::string line, size_t indent, const std::vector<std::string>& tokens) {
  bool line_has_tokens = false;
  bool continuation = false;
  size_t trailing_spaces = 0;  // raw spaces at the end of `line`
  size_t first_trailing = 0;   // the token index of the first of them
  size_t i = 0;
  while (i < tokens.size()) {
    const bool space = tokens[i] == " ";
    const std::string_view form =
        space && continuation && !line_has_tokens ? kEscapedSpace : std::string_view(tokens[i]);
    if (line_has_tokens && line.size() + form.size() + 1 > max_line_) {
      if (trailing_spaces > 0) {
        line.resize(line.size() - trailing_spaces);
        i = first_trailing;
      }
      lines_.push_back(line + "\\");
      line.assign(indent, ' ');
      line_has_tokens = false;
      continuation = true;
      trailing_spaces = 0;
      continue;
    }
    if (form == " ") {
      if (trailing_spaces == 0) first_trailing = i;
      ++trailing_spaces;
    } else {
      trailing_spaces = 0;
    }
    line += form;
    line_has_tokens = true;
    ++i;
  }
  lines_.push_back(line + "\"");
}

bool IsNullWord(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

bool IsPlainSafe(std::string_view text) {
  if (IsNullWord(text)) return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@` ").find(text.front()) != std::string_view::npos) return false;
  if (text.back() == ' ' || text.back() == ':') return false;
  if (text.find(": ") != std::string_view::npos || text.find(" #") != std::string_view::npos) return false;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E) return false;  // also every byte of a UTF-8 character
  }
  return true;
}

std::vector<std::string> QuotedTokens(std::string_view text) {
  std::vector<std::string> tokens;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t n = std::min(Utf8Length(c), text.size() - i);
      const std::string_view ch = text.substr(i, n);
      // Characters YAML 1.1 reads as line breaks, written as \u escapes.
      if (ch == "\xC2\x85")
        tokens.emplace_back("\\u0085");
      else if (ch == "\xE2\x80\xA8")
        tokens.emplace_back("\\u2028");
      else if (ch == "\xE2\x80\xA9")
        tokens.emplace_back("\\u2029");
      else
        tokens.emplace_back(ch);
      i += n;
      continue;
    }
    switch (c) {
      case '"': tokens.emplace_back("\\\""); break;
      case '\\': tokens.emplace_back("\\\\"); break;
      case '\n': tokens.emplace_back("\\n"); break;
      case '\t': tokens.emplace_back("\\t"); break;
      case '\r': tokens.emplace_back("\\r"); break;
      default: tokens.push_back(c < 0x20 || c == 0x7F ? Hex(c) : std::string(1, static_cast<char>(c)));
    }
    ++i;
  }
  return tokens;
}

std::string DoubleQuoted(std::string_view text) { return "\"" + Join(QuotedTokens(text)) + "\""; }

}  // namespace swarm::taskdef
