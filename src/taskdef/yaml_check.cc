#include "taskdef/yaml_check.h"

#include <algorithm>
#include <charconv>
#include <memory>

namespace swarm::taskdef {
namespace {

// Long values are cut in messages so that one line stays readable.
constexpr size_t kMaxQuotedValue = 60;

std::string Items(size_t n) { return std::to_string(n) + (n == 1 ? " item" : " items"); }

std::string_view Canonical(std::string_view key, const MapRule& rule) {
  for (const auto& [alias, name] : rule.aliases) {
    if (key == alias) return name;
  }
  return key;
}

bool Contains(const std::vector<std::string_view>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string DescribeMap(const MapRule& rule) {
  return std::string(rule.what) + " (a map with the keys " + JoinNames(rule.keys) + ")";
}

std::string DescribeList(const ListRule& rule) {
  std::string text = rule.nullable ? "~ or a list" : "a list";
  const bool bounded = rule.max_items != std::numeric_limits<size_t>::max();
  if (rule.min_items > 0 && bounded) {
    text += " of " + std::to_string(rule.min_items) + ".." + std::to_string(rule.max_items) + " items";
  } else if (bounded) {
    text += " of at most " + Items(rule.max_items);
  } else if (rule.min_items > 0) {
    text += " of at least " + Items(rule.min_items);
  }
  return text;
}

std::string DescribeInteger(int64_t min, bool nullable) {
  return std::string(nullable ? "~ or " : "") + "an integer >= " + std::to_string(min);
}

}  // namespace

Field::Field(std::string_view source, std::shared_ptr<const YamlNode> doc, std::string path)
    : source_(source), doc_(std::move(doc)), node_(doc_.get()), line_(node_->line), path_(std::move(path)) {}

Field::Field(const Field& parent, const YamlNode& node, int line, std::string path)
    : source_(parent.source_), doc_(parent.doc_), node_(&node), line_(line), path_(std::move(path)) {}

Status Field::Error(std::string_view what) const {
  return InvalidArgument(std::string(source_) + ", line " + std::to_string(line_) + ": " +
                         (path_.empty() ? std::string("the document") : path_) + " " + std::string(what));
}

Field Field::Child(std::string_view key, const YamlNode& value, int line) const {
  return Field(*this, value, line, path_.empty() ? std::string(key) : path_ + "." + std::string(key));
}

Field Field::Item(size_t index, const YamlNode& item) const {
  return Field(*this, item, item.line, path_ + "[" + std::to_string(index) + "]");
}

Field Field::Key(const YamlNode& key) const { return Field(*this, key, key.line, path_); }

StatusOr<Field> LoadDocument(std::string_view text, std::string_view source, std::string path) {
  ASSIGN_OR_RETURN(std::vector<YamlNode> docs, ParseYamlStream(text, source));
  if (docs.size() > 1) {
    return InvalidArgument(std::string(source) + ", line " + std::to_string(docs[1].line) +
                           ": a second YAML document starts here; expected one document");
  }
  auto root = std::make_shared<const YamlNode>(docs.empty() ? YamlNode() : std::move(docs[0]));
  return Field(source, std::move(root), std::move(path));
}

size_t CharCount(std::string_view text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string DescribeString(Length length) {
  if (length.min == 0 && length.max == std::string::npos) return "a string";
  if (length.min == 0) return "a string of at most " + std::to_string(length.max) + " characters";
  if (length.max == std::string::npos) {
    return "a string of at least " + std::to_string(length.min) +
           (length.min == 1 ? " character" : " characters");
  }
  return "a string of " + std::to_string(length.min) + ".." + std::to_string(length.max) + " characters";
}

std::optional<std::string> LengthProblem(std::string_view value, Length length) {
  const size_t n = CharCount(value);
  if (n >= length.min && n <= length.max) return std::nullopt;
  const std::string is = n == 0   ? std::string("is empty")
                         : n == 1 ? std::string("is 1 character long")
                                  : "is " + std::to_string(n) + " characters long";
  return is + "; expected " + DescribeString(length);
}

const Field* MapFields::Find(std::string_view key) const {
  for (const auto& [name, field] : fields_) {
    if (name == key) return &field;
  }
  return nullptr;
}

const Field& MapFields::Get(std::string_view key) const {
  const Field* field = Find(key);
  if (field == nullptr) std::abort();  // programmer error: the key is not in the rule's required list
  return *field;
}

StatusOr<MapFields> CheckMap(const Field& field, const MapRule& rule) {
  const YamlNode& node = field.node();
  if (!node.IsMap()) {
    const std::string is = field.path().empty() && node.IsNull() ? "is empty" : "is " + DescribeValue(node);
    return field.Error(is + "; expected " + DescribeMap(rule));
  }
  MapFields fields(field);
  for (const auto& [key, value] : node.entries) {
    if (!key.IsScalar()) {
      return field.Key(key).Error("has a key that is " + DescribeValue(key) + "; expected " + DescribeMap(rule));
    }
    const std::string_view name = Canonical(key.text, rule);
    Field child = field.Child(name, value, key.line);
    if (!Contains(rule.keys, name)) {
      return child.Error("is not allowed; " + std::string(rule.what) + " has only the keys " +
                         JoinNames(rule.keys));
    }
    if (const Field* first = fields.Find(name)) {
      return child.Error("appears twice (first on line " + std::to_string(first->line()) +
                         "); expected each key once");
    }
    fields.Add(std::string(name), std::move(child));
  }
  for (std::string_view key : rule.required) {
    if (fields.Find(key) == nullptr) {
      return field.Child(key, YamlNode::Null(), field.line())
          .Error("is missing; " + std::string(rule.what) + " requires " + JoinNames(rule.required));
    }
  }
  return fields;
}

StatusOr<std::string> GetString(const Field& field, Length length) {
  const YamlNode& node = field.node();
  if (!node.IsScalar())
    return field.Error("is " + DescribeValue(node) + "; expected " + DescribeString(length));
  if (auto problem = LengthProblem(node.text, length)) return field.Error(*problem);
  return node.text;
}

StatusOr<std::optional<std::string>> GetOptionalString(const Field& field, Length length) {
  const YamlNode& node = field.node();
  if (node.IsNull()) return std::optional<std::string>();
  if (!node.IsScalar()) {
    return field.Error("is " + DescribeValue(node) + "; expected ~ or " + DescribeString(length));
  }
  if (auto problem = LengthProblem(node.text, length)) return field.Error(*problem);
  return std::optional<std::string>(node.text);
}

StatusOr<std::string> GetEnum(const Field& field, const std::vector<std::string_view>& allowed) {
  const YamlNode& node = field.node();
  if (!node.IsScalar() || !Contains(allowed, node.text)) {
    return field.Error("is " + DescribeValue(node) + "; expected one of " + JoinNames(allowed));
  }
  return node.text;
}

StatusOr<int64_t> GetInteger(const Field& field, int64_t min) {
  const YamlNode& node = field.node();
  if (!node.IsScalar())
    return field.Error("is " + DescribeValue(node) + "; expected " + DescribeInteger(min, false));
  if (!node.plain && node.tag != "tag:yaml.org,2002:int") {
    return field.Error("is " + DescribeValue(node) + " in quotes; expected " + DescribeInteger(min, false) +
                       " without quotes");
  }
  std::string_view text = node.text;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return field.Error("is " + DescribeValue(node) + "; expected " + DescribeInteger(min, false));
  }
  if (value < min) {
    return field.Error("is " + std::to_string(value) + "; expected " + DescribeInteger(min, false));
  }
  return value;
}

StatusOr<std::optional<int64_t>> GetOptionalInteger(const Field& field, int64_t min) {
  if (field.IsNull()) return std::optional<int64_t>();
  if (!field.node().IsScalar()) {
    return field.Error("is " + DescribeValue(field.node()) + "; expected " + DescribeInteger(min, true));
  }
  ASSIGN_OR_RETURN(int64_t value, GetInteger(field, min));
  return std::optional<int64_t>(value);
}

StatusOr<std::vector<Field>> GetList(const Field& field, const ListRule& rule) {
  const YamlNode& node = field.node();
  std::vector<Field> items;
  if (node.IsNull() && rule.nullable) return items;
  if (!node.IsList())
    return field.Error("is " + DescribeValue(node) + "; expected " + DescribeList(rule));
  const size_t n = node.items.size();
  if (n < rule.min_items || n > rule.max_items) {
    const std::string has = n == 0 ? "is empty" : "has " + Items(n);
    return field.Error(has + "; expected " + DescribeList(rule));
  }
  items.reserve(n);
  for (size_t i = 0; i < n; ++i) items.push_back(field.Item(i, node.items[i]));
  return items;
}

StatusOr<std::vector<KeyValue>> GetKeyValues(const Field& field, bool nullable, bool nested_values) {
  std::vector<KeyValue> pairs;
  if (field.IsNull() && nullable) return pairs;
  if (!field.node().IsList()) {
    return field.Error("is " + DescribeValue(field.node()) + "; expected " + (nullable ? "~ or " : "") +
                       "a list of KEY: value maps");
  }
  ASSIGN_OR_RETURN(std::vector<Field> items, GetList(field, ListRule{}));
  for (const Field& item : items) {
    if (!item.node().IsMap())
      return item.Error("is " + DescribeValue(item.node()) + "; expected a KEY: value map");
    const size_t first_of_item = pairs.size();
    for (const auto& [key, value] : item.node().entries) {
      if (!key.IsScalar() || key.text.empty()) {
        return item.Key(key).Error("has a key that is " + DescribeValue(key) +
                                   "; expected a KEY: value map with a text key");
      }
      Field child = item.Child(key.text, value, key.line);
      for (size_t j = first_of_item; j < pairs.size(); ++j) {
        if (pairs[j].key == key.text) return child.Error("appears twice in one map; expected each key once");
      }
      if (value.IsNull()) {
        pairs.push_back({key.text, "", true});
      } else if (value.IsScalar()) {
        pairs.push_back({key.text, value.text, false});
      } else if (nested_values) {
        pairs.push_back({key.text, FlowText(value), false});
      } else {
        return child.Error("is " + DescribeValue(value) +
                           "; expected a single value (a string, a number, true/false or ~)");
      }
    }
  }
  return pairs;
}

std::string DescribeValue(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull: return "null";
    case YamlNode::Kind::kList: return "a list";
    case YamlNode::Kind::kMap: return "a map";
    case YamlNode::Kind::kScalar: {
      const std::string& text = node.text;
      if (text.size() <= kMaxQuotedValue) return "'" + text + "'";
      size_t cut = kMaxQuotedValue;  // on a character boundary
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
      return "'" + text.substr(0, cut) + "...'";
    }
  }
  return "a value";
}

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string text;
  for (std::string_view name : names) {
    if (!text.empty()) text += ", ";
    text += name;
  }
  return text;
}

}  // namespace swarm::taskdef
