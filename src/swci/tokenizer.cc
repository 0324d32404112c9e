#include "swci/tokenizer.h"

#include <cctype>

namespace swarm::swci {

StatusOr<std::vector<std::string>> Tokenize(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // a word has started (a quoted empty word counts)
  size_t quote_at = 0;   // column of the open quote; 0: not in quotes
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote_at != 0) {
      if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        word += line[++i];
      } else if (c == '"') {
        quote_at = 0;
      } else {
        word += c;
      }
    } else if (c == '"') {
      quote_at = i + 1;
      in_word = true;
    } else if (c == '#') {
      break;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote_at != 0) {
    return InvalidArgument("unterminated quote: the '\"' at column " + std::to_string(quote_at) +
                           " has no closing '\"'");
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace swarm::swci
