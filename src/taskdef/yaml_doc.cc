#include "taskdef/yaml_doc.h"

#include <yaml.h>

#include <cstdio>
#include <map>
#include <optional>

#include "taskdef/yaml_writer.h"

namespace swarm::taskdef {
namespace {

constexpr std::string_view kNullTag = "tag:yaml.org,2002:null";

Status ErrorAt(std::string_view source, size_t line, std::string_view what) {
  return InvalidArgument(std::string(source) + ", line " + std::to_string(line) + ": " + std::string(what));
}

// 1-based line of a byte offset, for reader errors that have no mark.
size_t LineOfOffset(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

Status ParserError(const yaml_parser_t& parser, std::string_view text, std::string_view source) {
  if (parser.error == YAML_MEMORY_ERROR) return ResourceExhausted(std::string(source) + ": out of memory reading YAML");
  const std::string problem = parser.problem != nullptr ? parser.problem : "unknown problem";
  if (parser.error == YAML_READER_ERROR) {
    return ErrorAt(source, LineOfOffset(text, parser.problem_offset), "YAML syntax error: " + problem);
  }
  std::string what = "YAML syntax error: " + problem;
  if (parser.context != nullptr) {
    what += std::string(" (") + parser.context;
    if (parser.context_mark.line != parser.problem_mark.line) {
      what += " started on line " + std::to_string(parser.context_mark.line + 1);
    }
    what += ")";
  }
  return ErrorAt(source, parser.problem_mark.line + 1, what);
}

// YAML is text: a control character (NUL above all) or bytes that are not UTF-8 are refused
// naming the line and the byte, in clearer words than a parser's.
Status CheckText(std::string_view text, std::string_view source) {
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u == '\n') ++line;
    const auto code = [u] {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02x", u);
      return std::string(hex);
    };
    if ((u < 0x20 && u != '\n' && u != '\r' && u != '\t') || u == 0x7f) {
      return ErrorAt(source, line, "holds the control character " + code() + "; expected YAML text");
    }
    if (u < 0x80) continue;
    // A UTF-8 sequence: its lead byte says how many continuation bytes (10xxxxxx) follow.
    const size_t more = (u & 0xE0) == 0xC0 && u >= 0xC2 ? 1 : (u & 0xF0) == 0xE0 ? 2 : (u & 0xF8) == 0xF0 && u <= 0xF4 ? 3 : 0;
    bool ok = more > 0;
    for (size_t k = 1; ok && k <= more; ++k) ok = i + k < text.size() && (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      return ErrorAt(source, line, "byte " + code() + " is not UTF-8 text; expected a YAML file in UTF-8");
    }
    i += more;
  }
  return Status::Ok();
}

std::string TagOf(const yaml_char_t* tag) { return tag != nullptr ? reinterpret_cast<const char*>(tag) : ""; }

YamlNode ScalarNode(const yaml_event_t& event) {
  const auto& s = event.data.scalar;
  YamlNode node;
  node.line = static_cast<int>(event.start_mark.line) + 1;
  node.tag = TagOf(s.tag);
  node.text.assign(reinterpret_cast<const char*>(s.value), s.length);
  node.plain = s.style == YAML_PLAIN_SCALAR_STYLE && node.tag.empty();
  node.kind = (node.plain && IsNullWord(node.text)) || node.tag == kNullTag ? YamlNode::Kind::kNull
                                                                            : YamlNode::Kind::kScalar;
  if (node.IsNull()) node.text.clear();
  return node;
}

// Builds the documents from libyaml's events.
class Builder {
 public:
  explicit Builder(std::string_view source) : source_(source) {}

  // Handles one event; `done` is set at the end of the stream.
  Status Handle(const yaml_event_t& event, bool& done) {
    const int line = static_cast<int>(event.start_mark.line) + 1;
    switch (event.type) {
      case YAML_STREAM_END_EVENT: done = true; return Status::Ok();
      case YAML_DOCUMENT_START_EVENT:
        docs_.emplace_back();
        docs_.back().line = line;
        anchors_.clear();
        return Status::Ok();
      case YAML_SCALAR_EVENT: {
        YamlNode node = ScalarNode(event);
        RETURN_IF_ERROR(Count(1, line));
        if (event.data.scalar.anchor != nullptr) Remember(TagOf(event.data.scalar.anchor), node, 1);
        return Add(std::move(node));
      }
      case YAML_ALIAS_EVENT: {
        const std::string name = TagOf(event.data.alias.anchor);
        auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          return ErrorAt(source_, line, "the alias *" + name + " names no anchor (&" + name + ") before it");
        }
        RETURN_IF_ERROR(Count(it->second.second, line));
        return Add(it->second.first);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (open_.size() >= kMaxYamlDepth) {
          return ErrorAt(source_, line, "values are nested deeper than " + std::to_string(kMaxYamlDepth) +
                                            " levels; expected a flatter document");
        }
        const bool list = event.type == YAML_SEQUENCE_START_EVENT;
        Open open;
        open.nodes_before = nodes_;
        RETURN_IF_ERROR(Count(1, line));
        open.node.kind = list ? YamlNode::Kind::kList : YamlNode::Kind::kMap;
        open.node.line = line;
        open.node.tag = TagOf(list ? event.data.sequence_start.tag : event.data.mapping_start.tag);
        open.anchor = TagOf(list ? event.data.sequence_start.anchor : event.data.mapping_start.anchor);
        open_.push_back(std::move(open));
        return Status::Ok();
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Open open = std::move(open_.back());  // libyaml pairs every end with its start
        open_.pop_back();
        if (!open.anchor.empty()) Remember(open.anchor, open.node, nodes_ - open.nodes_before);
        return Add(std::move(open.node));
      }
      default: return Status::Ok();  // stream start, document end, no event
    }
  }

  std::vector<YamlNode> Take() { return std::move(docs_); }

 private:
  struct Open {
    YamlNode node;
    std::string anchor;
    std::optional<YamlNode> key;  // a map's key waiting for its value
    size_t nodes_before = 0;      // nodes_ when it opened: its size, aliases expanded, is the rest
  };

  Status Count(size_t n, int line) {
    nodes_ += n;
    if (nodes_ > kMaxYamlNodes) {
      return ErrorAt(source_, line, "the document holds more than " + std::to_string(kMaxYamlNodes) +
                                        " values (aliases included); expected a smaller document");
    }
    return Status::Ok();
  }

  // An anchored value and how many values it counts for when an alias repeats it.
  void Remember(const std::string& anchor, const YamlNode& node, size_t size) { anchors_[anchor] = {node, size}; }

  Status Add(YamlNode node) {
    if (open_.empty()) {
      const int line = docs_.back().line;
      docs_.back() = std::move(node);
      if (docs_.back().IsNull()) docs_.back().line = line;
      return Status::Ok();
    }
    Open& top = open_.back();
    if (top.node.IsList()) {
      top.node.items.push_back(std::move(node));
    } else if (!top.key) {
      top.key = std::move(node);
    } else {
      top.node.entries.push_back({std::move(*top.key), std::move(node)});
      top.key.reset();
    }
    return Status::Ok();
  }

  std::string_view source_;
  std::vector<YamlNode> docs_;
  std::vector<Open> open_;
  std::map<std::string, std::pair<YamlNode, size_t>> anchors_;  // value, its node count
  size_t nodes_ = 0;
};

bool IsFlowSafe(std::string_view text) {
  return IsPlainSafe(text) && text.find_first_of(",[]{}") == std::string_view::npos;
}

}  // namespace

const YamlNode& YamlNode::Null() {
  static const YamlNode null;
  return null;
}

StatusOr<std::vector<YamlNode>> ParseYamlStream(std::string_view text, std::string_view source) {
  RETURN_IF_ERROR(CheckText(text, source));
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    return ResourceExhausted(std::string(source) + ": out of memory starting the YAML parser");
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  Builder builder(source);
  Status status;
  for (bool done = false; !done && status.ok();) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      status = ParserError(parser, text, source);
      break;
    }
    status = builder.Handle(event, done);
    yaml_event_delete(&event);
  }
  yaml_parser_delete(&parser);
  RETURN_IF_ERROR(status);
  return builder.Take();
}

std::string FlowText(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull: return "~";
    case YamlNode::Kind::kScalar:
      return IsFlowSafe(node.text) ? node.text : DoubleQuoted(node.text);
    case YamlNode::Kind::kList: {
      std::string text = "[";
      for (const YamlNode& item : node.items) text += (text.size() > 1 ? ", " : "") + FlowText(item);
      return text + "]";
    }
    case YamlNode::Kind::kMap: {
      std::string text = "{";
      for (const auto& [key, value] : node.entries) {
        text += (text.size() > 1 ? ", " : "") + FlowText(key) + ": " + FlowText(value);
      }
      return text + "}";
    }
  }
  return "~";
}

}  // namespace swarm::taskdef
