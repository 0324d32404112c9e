#pragma once

// The grammar of one SWCI command, read from its usage string: the usage line that HELP
// prints is also what parses the command's arguments and what an error shows, so the
// three never disagree.
//
//   "CREATE CONTEXT <contextName : string> WITH IP <ip : string> [port : string]"
//
// Bare words are keywords (matched case-insensitively). The leading keywords name the
// command; later ones (WITH, TO, PEERS) must appear where they stand. <name : type> is a
// required parameter, [name : type] an optional one; the type (string or int) may be left
// out, and blanks around the colon do not matter. Optional parameters come last; a name
// ending in "..." takes all the remaining words ([command...]).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace swarm::swci {

enum class ParamType { kAny, kString, kInt };

// The arguments of one command line, by parameter name.
class Args {
 public:
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The value given for `name`; "" for an optional parameter that was left out.
  const std::string& String(const std::string& name) const;
  std::string Get(const std::string& name, const std::string& fallback) const {
    return Has(name) ? String(name) : fallback;
  }
  // The value as a whole number in [min, max]; the error names the parameter and the range.
  StatusOr<long> Int(const std::string& name, long min, long max) const;
  // The words taken by a "name..." parameter (none when left out).
  const std::vector<std::string>& Rest(const std::string& name) const;

  void Set(const std::string& name, std::string value) { values_[name] = std::move(value); }
  void SetRest(const std::string& name, std::vector<std::string> words) { rest_[name] = std::move(words); }

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> rest_;
};

class CommandSpec {
 public:
  struct Element {
    bool keyword = false;  // else a parameter
    std::string text;      // a keyword in upper case, or the parameter's name
    ParamType type = ParamType::kAny;
    bool optional = false;
    bool rest = false;  // takes the remaining words
  };

  // Fails, saying why, on a usage string that is not of the form above (a programmer's
  // error: the registry refuses to start with it).
  static StatusOr<CommandSpec> Parse(std::string_view usage);

  const std::string& usage() const { return usage_; }
  // The leading keywords, upper case: the command's name, as HELP lists it.
  const std::vector<std::string>& words() const { return words_; }
  std::string name() const;
  // The elements after the name.
  const std::vector<Element>& elements() const { return elements_; }

  // Matches `args` (the words after the name) against the elements. A missing argument,
  // a wrong keyword or an extra word is "Usage: <usage>".
  StatusOr<Args> Bind(const std::vector<std::string>& args) const;
  // "Usage: <usage>": the one error for arguments that do not fit.
  Status UsageError() const { return InvalidArgument("Usage: " + usage_); }

 private:
  std::string usage_;
  std::vector<std::string> words_;
  std::vector<Element> elements_;
};

// ASCII upper case: keywords are compared this way.
std::string Upper(std::string_view s);

}  // namespace swarm::swci
