#pragma once

// Checks a YAML document against a schema written as code (HPE's SWOP task and profile
// schemas). Every failed check returns INVALID_ARGUMENT with a message that names the
// document, the 1-based line, the field path and the rule with the expected form:
//
//   swarm_mnist_task.yaml, line 15: Body.SharedContent[0].MType is 'COPY'; expected one of BIND, VOLUME
//
// The rules follow JSON Schema as HPE's schemas use it: `type: string` takes any scalar that
// is not null (the text as written: `Tag: 2.7` is the string "2.7"); lengths count characters
// (UTF-8 code points); `type: integer` takes only an unquoted integer; `oneOf: [const: ~, ...]`
// also takes ~, null or nothing. A key that appears twice in one map is refused (YAML forbids
// it; a parser would silently keep both).
//
// The text is read by taskdef/yaml_doc.h (libyaml), which ends on every input.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "taskdef/key_value.h"
#include "taskdef/yaml_doc.h"

namespace swarm::taskdef {

// A YAML node with the document it came from, its line and its field path
// ("Body.SharedContent[0].MType"; empty for the document itself). Copies share the document.
class Field {
 public:
  Field(std::string_view source, std::shared_ptr<const YamlNode> doc, std::string path);

  const YamlNode& node() const { return *node_; }
  const std::string& path() const { return path_; }
  std::string_view source() const { return source_; }
  int line() const { return line_; }
  bool IsNull() const { return node_->IsNull(); }

  // INVALID_ARGUMENT "<source>, line <line>: <path> <what>" ("the document" when the path is empty).
  Status Error(std::string_view what) const;
  // The value under `key` of this map field, at the key's line. `value` is a node of this
  // field's document, or YamlNode::Null() for a key the document leaves out.
  Field Child(std::string_view key, const YamlNode& value, int line) const;
  // Item `index` of this list field, at the item's line.
  Field Item(size_t index, const YamlNode& item) const;
  // A key of this map field, with this field's path, for messages about the key itself.
  Field Key(const YamlNode& key) const;

 private:
  Field(const Field& parent, const YamlNode& node, int line, std::string path);

  std::string_view source_;  // owned by the caller of the parse function
  std::shared_ptr<const YamlNode> doc_;
  const YamlNode* node_;     // in *doc_, or YamlNode::Null()
  int line_;
  std::string path_;
};

// Parses `text` as exactly one YAML document and returns its root as a Field with `path`.
// Syntax errors read "<source>, line <L>: YAML syntax error: <what libyaml found>".
StatusOr<Field> LoadDocument(std::string_view text, std::string_view source, std::string path = "");

// ---- rules ----

// A string length rule in characters; max = npos means no maximum.
struct Length {
  size_t min = 0;
  size_t max = std::string::npos;
};
inline constexpr Length kAnyString{};

// Characters (UTF-8 code points) in `text`.
size_t CharCount(std::string_view text);
// "a string of 1..160 characters", "a string of at most 160 characters", "a string".
std::string DescribeString(Length length);
// What is wrong with `value` under `length`, if anything: "is empty; expected a string of
// 1..160 characters", "is 161 characters long; expected ...".
std::optional<std::string> LengthProblem(std::string_view value, Length length);

// A map's keys, in schema order, with what it is for the messages ("a RUN_SWARM body").
struct MapRule {
  std::string_view what;
  std::vector<std::string_view> keys;
  std::vector<std::string_view> required;
  // Other spellings accepted for a key without comment: {"resourceMgr", "resourcemgr"}.
  std::vector<std::pair<std::string_view, std::string_view>> aliases = {};
};

// The fields of a map that passed CheckMap, by schema key.
class MapFields {
 public:
  explicit MapFields(Field map) : map_(std::move(map)) {}
  const Field& map() const { return map_; }
  // The field under `key` when the document has it.
  const Field* Find(std::string_view key) const;
  // The field under a key the rule requires (CheckMap has made sure it is there).
  const Field& Get(std::string_view key) const;
  void Add(std::string key, Field field) { fields_.emplace_back(std::move(key), std::move(field)); }

 private:
  Field map_;
  std::vector<std::pair<std::string, Field>> fields_;
};

// `field` must be a map whose keys are all in rule.keys (or their aliases), each once, with
// every rule.required key present.
StatusOr<MapFields> CheckMap(const Field& field, const MapRule& rule);

// type: string, with a length rule.
StatusOr<std::string> GetString(const Field& field, Length length);
// oneOf [const ~, type string]: nullopt for ~.
StatusOr<std::optional<std::string>> GetOptionalString(const Field& field, Length length);
// type: string with an enum.
StatusOr<std::string> GetEnum(const Field& field, const std::vector<std::string_view>& allowed);
// type: integer, minimum `min`.
StatusOr<int64_t> GetInteger(const Field& field, int64_t min);
// oneOf [const ~, type integer minimum `min`]: nullopt for ~.
StatusOr<std::optional<int64_t>> GetOptionalInteger(const Field& field, int64_t min);

struct ListRule {
  size_t min_items = 0;
  size_t max_items = std::numeric_limits<size_t>::max();
  bool nullable = false;  // oneOf [const ~, type array]: ~ reads as an empty list
};
// type: array: the items as Fields ("SharedContent[0]", ...).
StatusOr<std::vector<Field>> GetList(const Field& field, const ListRule& rule);

// A list of `KEY: value` maps (items: type object), flattened in order. `nested_values`: a
// value may be a list or map (kept as its YAML flow text); otherwise it must be a scalar or ~.
StatusOr<std::vector<KeyValue>> GetKeyValues(const Field& field, bool nullable, bool nested_values);

// "null", "a list", "a map" or "'text'": how a value is named in messages.
std::string DescribeValue(const YamlNode& node);
// "A, B, C".
std::string JoinNames(const std::vector<std::string_view>& names);

}  // namespace swarm::taskdef
