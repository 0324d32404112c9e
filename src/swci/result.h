#pragma once

// What a command produces, as data: lines of a message, a record of key/value fields, a
// table, or nothing. Handlers return a Result and never format text themselves, so the same
// Result can be shown as HPE's transcript (render_text.h) or, later, as JSON.

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace swarm::swci {

// Free lines of text ("CONTEXT CREATED : c", a list of names, a task's body).
struct Message {
  std::vector<std::string> lines;
};

// Named fields in order. Keys are padded to one width: the longest key's, or
// `min_key_width` when that is larger (so related records line up).
struct Record {
  std::vector<std::pair<std::string, std::string>> fields;
  size_t min_key_width = 0;

  Record& Add(std::string key, std::string value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
};

// Rows under column titles. A column of width 0 is as wide as its widest cell plus two
// blanks; a fixed width pads to exactly that. The last column is never padded.
struct Table {
  struct Column {
    std::string title;
    size_t width = 0;
  };
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;
};

using Part = std::variant<Message, Record, Table>;

struct Result {
  std::vector<Part> parts;  // none: the command shows nothing

  static Result Nothing() { return {}; }
  static Result Lines(std::vector<std::string> lines) { return Of(Message{std::move(lines)}); }
  static Result Line(std::string line) { return Lines({std::move(line)}); }
  static Result Of(Part part) {
    Result r;
    r.parts.push_back(std::move(part));
    return r;
  }
  Result& Add(Part part) {
    parts.push_back(std::move(part));
    return *this;
  }
};

// What a long command shows while it runs, before its Result: notices (e.g. "WAITING FOR
// TASKRUNNER TO COMPLETE ...") and ticks of progress ('#' in the transcript).
class Progress {
 public:
  virtual ~Progress() = default;
  virtual void Show(const Part& part) = 0;
  virtual void Tick() = 0;
};

// Shows nothing: for callers that do not watch progress.
class NoProgress final : public Progress {
 public:
  void Show(const Part&) override {}
  void Tick() override {}
};

}  // namespace swarm::swci
