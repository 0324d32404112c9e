#include "swci/registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace swarm::swci {
namespace {

bool StartsWith(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
  if (prefix.size() > words.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Upper(words[i]) != prefix[i]) return false;
  }
  return true;
}

std::string Join(const std::vector<std::string>& words, size_t n) {
  std::string s;
  for (size_t i = 0; i < n && i < words.size(); ++i) s += (i ? " " : "") + words[i];
  return s;
}

}  // namespace

void CommandRegistry::Add(std::string_view usage, std::string help, Handler handler) {
  auto spec = CommandSpec::Parse(usage);
  if (!spec.ok()) {
    std::fprintf(stderr, "swci: bad usage string '%.*s': %s\n", static_cast<int>(usage.size()), usage.data(),
                 spec.status().message().c_str());
    std::abort();
  }
  std::string form;
  bool another_form = false;
  for (const auto& e : spec->elements()) {
    if (e.keyword) form += (form.empty() ? "" : " ") + e.text;
  }
  for (const auto& c : commands_) {
    if (c->spec.words() != spec->words()) continue;
    std::string theirs;
    for (const auto& e : c->spec.elements()) {
      if (e.keyword) theirs += (theirs.empty() ? "" : " ") + e.text;
    }
    if (theirs == form) {
      std::fprintf(stderr, "swci: command '%s' is added twice\n", spec->name().c_str());
      std::abort();
    }
    another_form = true;
  }
  if (!another_form) form.clear();
  commands_.push_back(std::make_unique<Command>(
      Command{std::move(spec).value(), std::move(help), std::move(handler), std::move(form)}));
}

StatusOr<CommandRegistry::Match> CommandRegistry::Find(const std::vector<std::string>& tokens) const {
  const Command* best = nullptr;
  for (const auto& c : commands_) {
    if (StartsWith(tokens, c->spec.words()) &&
        (!best || c->spec.words().size() > best->spec.words().size())) {
      best = c.get();
    }
  }
  if (best != nullptr) {
    std::vector<std::string> args(tokens.begin() + static_cast<long>(best->spec.words().size()),
                                  tokens.end());
    std::vector<const Command*> forms;
    for (const auto& c : commands_) {
      if (c->spec.words() == best->spec.words()) forms.push_back(c.get());
    }
    if (forms.size() == 1) return Match{best, std::move(args)};
    std::string usages;
    for (const Command* c : forms) {
      if (c->spec.Bind(args).ok()) return Match{c, std::move(args)};
      usages += (usages.empty() ? "Usage: " : "\n   or: ") + c->spec.usage();
    }
    return InvalidArgument(usages);
  }
  // Words that begin longer names: say which commands they could be.
  std::vector<std::string> upper;
  for (const auto& t : tokens) upper.push_back(Upper(t));
  std::vector<std::string> could;
  for (const auto& c : commands_) {
    if (StartsWith(c->spec.words(), upper)) could.push_back(c->spec.name());
  }
  std::sort(could.begin(), could.end());
  if (!could.empty()) {
    std::string list;
    for (const auto& n : could) list += (list.empty() ? "" : ", ") + n;
    return InvalidArgument("incomplete command '" + Join(tokens, tokens.size()) + "'; did you mean " + list +
                           "?");
  }
  return InvalidArgument("unknown command '" + Join(tokens, 2) + "'; type HELP for the list of commands");
}

std::vector<std::string> CommandRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& c : commands_) names.push_back(c->spec.name());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::vector<const Command*> CommandRegistry::All() const {
  std::vector<const Command*> all;
  for (const auto& c : commands_) all.push_back(c.get());
  std::stable_sort(all.begin(), all.end(),
                   [](const Command* a, const Command* b) { return a->spec.name() < b->spec.name(); });
  return all;
}

StatusOr<Result> CommandRegistry::Help(const std::vector<std::string>& words) const {
  std::vector<std::string> upper;
  for (const auto& w : words) upper.push_back(Upper(w));
  std::vector<std::string> lines;
  for (const auto& c : commands_) {
    if (c->spec.words() != upper) continue;
    lines.insert(lines.end(),
                 {(lines.empty() ? "" : "\n") + std::string(" ") + c->spec.usage(), "", c->help});
  }
  if (!lines.empty()) return Result::Lines(std::move(lines));
  for (const auto& name : Names()) {
    std::vector<std::string> name_words;
    for (size_t b = 0, e; b <= name.size(); b = e + 1) {
      e = name.find(' ', b);
      if (e == std::string::npos) e = name.size();
      name_words.push_back(name.substr(b, e - b));
    }
    if (StartsWith(name_words, upper)) lines.push_back(" " + name);
  }
  if (lines.empty()) return NotFound("no command '" + Join(upper, upper.size()) + "'; HELP lists them");
  return Result::Lines(std::move(lines));
}

}  // namespace swarm::swci
