#pragma once

// YAML text as a tree of nodes, read with libyaml's event parser.
//
// Task files, task bodies and SWOP profiles come from users, and a task body is parsed again
// by every SN when FINALIZE TASK is applied, so the parser must end on every input: yaml-cpp
// 0.7 looped forever on some inputs found by fuzzing, libyaml is a state machine without
// recursion that is fuzzed continuously upstream. The tree is built here without recursion
// too, with bounds that end a document before it is costly: nesting deeper than kMaxYamlDepth
// and more than kMaxYamlNodes values (aliases count every value they repeat, so a "billion
// laughs" document is refused, not expanded).
//
// Values follow YAML 1.1 as yaml-cpp read them, so that the schemas' rules keep their meaning:
// a plain scalar ~, null, Null, NULL or nothing is null; any other scalar keeps its text as
// written ("2.7" stays "2.7"); `plain` tells an unquoted untagged scalar from a quoted one.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace swarm::taskdef {

inline constexpr size_t kMaxYamlDepth = 64;
inline constexpr size_t kMaxYamlNodes = 100000;

struct YamlEntry;

struct YamlNode {
  enum class Kind { kNull, kScalar, kList, kMap };

  Kind kind = Kind::kNull;
  std::string text;     // a scalar's value
  std::string tag;      // as resolved by libyaml ("tag:yaml.org,2002:int", "!x"); empty when none
  bool plain = false;   // a scalar written without quotes and without a tag
  int line = 1;         // 1-based line where the value starts
  std::vector<YamlNode> items;                          // kList
  std::vector<YamlEntry> entries;  // kMap, in document order

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsList() const { return kind == Kind::kList; }
  bool IsMap() const { return kind == Kind::kMap; }

  // A null node at line 1, for fields a document leaves out.
  static const YamlNode& Null();
};

// One `key: value` of a map.
struct YamlEntry {
  YamlNode key;
  YamlNode value;
};

// Every document in `text`, in order (none for an empty stream). Errors are INVALID_ARGUMENT
// "<source>, line <L>: YAML syntax error: <libyaml's problem> (<its context>)", or name the
// bound that was passed; text with a control character or bytes that are not UTF-8 is
// refused first, naming the line and the byte.
StatusOr<std::vector<YamlNode>> ParseYamlStream(std::string_view text, std::string_view source);

// The node as YAML flow text on one line: "[/dev/kfd, /dev/dri]", "{a: 1}", "~"; scalars plain
// where that reads back the same, else double-quoted.
std::string FlowText(const YamlNode& node);

}  // namespace swarm::taskdef
