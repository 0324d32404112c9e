#pragma once

// Writes YAML block text as lines of at most a given number of bytes (so of characters too),
// folding scalars that do not fit so that the text reads back to the same values.
//
// A scalar is written plain when that is safe (printable ASCII, no indicator at its start, no
// ": " or " #", not a null word such as ~) and fits; otherwise double-quoted, with escapes such
// as \" and \xNN. A double-quoted scalar that does not fit is split with escaped line breaks: the
// line ends with "\", the next line is indented two columns deeper than the key, and YAML joins
// the two without adding or dropping anything. Spaces next to a split are written \x20, since
// YAML would trim a raw space that starts a continuation line. A split never falls inside an
// escape or a UTF-8 character. When the key leaves too little room, the value starts on the next
// line; a key too long for any line becomes an explicit key ("? key" then ": value").

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarm::taskdef {

class YamlLineWriter {
 public:
  explicit YamlLineWriter(size_t max_line);

  // `prefix` is what comes before the key on its line ("", "  ", "- ", "  - "); the map's
  // column is prefix.size(). A nullopt value is written ~.
  void KeyValue(std::string_view prefix, std::string_view key, const std::optional<std::string>& value);
  // "<prefix><key>:<suffix>", opening a nested block (suffix " []" writes an empty list).
  void Key(std::string_view prefix, std::string_view key, std::string_view suffix = "");
  // A scalar list item "<prefix>- <value>".
  void Item(std::string_view prefix, const std::optional<std::string>& value);

  std::vector<std::string> Take() { return std::move(lines_); }

 private:
  // Writes `value` after `first` (the line so far); continuation lines start at column `indent`.
  void Scalar(std::string first, size_t indent, const std::optional<std::string>& value);
  void Fold(std::string line, size_t indent, const std::vector<std::string>& tokens);

  size_t max_line_;
  std::vector<std::string> lines_;
};

// Whether `text` is a word YAML reads as null when written plain: "", ~, null, Null, NULL.
bool IsNullWord(std::string_view text);

// Whether `text` reads back as itself when written as a plain scalar in block context.
bool IsPlainSafe(std::string_view text);

// `text` as double-quoted-scalar pieces: one per character, escaped where needed.
std::vector<std::string> QuotedTokens(std::string_view text);

// `text` as one double-quoted scalar, quotes included.
std::string DoubleQuoted(std::string_view text);

}  // namespace swarm::taskdef
