#include "swci/grammar.h"

#include <cassert>
#include <cctype>
#include <charconv>

namespace swarm::swci {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// "name : type", "name:type", "name" or "name..." between the brackets.
StatusOr<CommandSpec::Element> ParseParam(std::string_view inside, bool optional) {
  CommandSpec::Element e;
  e.optional = optional;
  std::string name = Trim(inside);
  if (const size_t colon = inside.find(':'); colon != std::string_view::npos) {
    name = Trim(inside.substr(0, colon));
    const std::string type = Trim(inside.substr(colon + 1));
    if (type == "string") {
      e.type = ParamType::kString;
    } else if (type == "int") {
      e.type = ParamType::kInt;
    } else {
      return InvalidArgument("parameter '" + name + "' has type '" + type + "'; expected string or int");
    }
  }
  if (name.size() > 3 && name.ends_with("...")) {
    e.rest = true;
    name.resize(name.size() - 3);
  }
  if (name.empty()) return InvalidArgument("a parameter has no name");
  e.text = name;
  return e;
}

}  // namespace

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

const std::string& Args::String(const std::string& name) const {
  static const std::string kNone;
  const auto it = values_.find(name);
  return it == values_.end() ? kNone : it->second;
}

StatusOr<long> Args::Int(const std::string& name, long min, long max) const {
  const std::string& s = String(name);
  long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < min || v > max) {
    return InvalidArgument(name + " '" + s + "' is not a number from " + std::to_string(min) + " to " +
                           std::to_string(max));
  }
  return v;
}

const std::vector<std::string>& Args::Rest(const std::string& name) const {
  static const std::vector<std::string> kNone;
  const auto it = rest_.find(name);
  return it == rest_.end() ? kNone : it->second;
}

StatusOr<CommandSpec> CommandSpec::Parse(std::string_view usage) {
  CommandSpec spec;
  spec.usage_ = std::string(usage);
  std::vector<Element> all;
  for (size_t i = 0; i < usage.size();) {
    const char c = usage[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '<' || c == '[') {
      const char close = c == '<' ? '>' : ']';
      const size_t end = usage.find(close, i);
      if (end == std::string_view::npos) {
        return InvalidArgument("'" + std::string(1, c) + "' at column " + std::to_string(i + 1) + " of '" +
                               spec.usage_ + "' is never closed");
      }
      ASSIGN_OR_RETURN(Element e, ParseParam(usage.substr(i + 1, end - i - 1), c == '['));
      all.push_back(std::move(e));
      i = end + 1;
    } else {
      size_t end = i;
      while (end < usage.size() && !std::isspace(static_cast<unsigned char>(usage[end])) &&
             usage[end] != '<' && usage[end] != '[') {
        ++end;
      }
      all.push_back({true, Upper(usage.substr(i, end - i))});
      i = end;
    }
  }
  size_t first = 0;
  while (first < all.size() && all[first].keyword) spec.words_.push_back(all[first++].text);
  if (spec.words_.empty())
    return InvalidArgument("usage '" + spec.usage_ + "' does not start with a keyword");
  spec.elements_.assign(all.begin() + static_cast<long>(first), all.end());
  bool optional_seen = false;
  for (size_t i = 0; i < spec.elements_.size(); ++i) {
    const Element& e = spec.elements_[i];
    if (e.rest && i + 1 != spec.elements_.size()) {
      return InvalidArgument("in '" + spec.usage_ + "', '" + e.text + "...' must be the last parameter");
    }
    if (optional_seen && !e.optional) {
      return InvalidArgument("in '" + spec.usage_ + "', '" + e.text + "' follows an optional parameter");
    }
    optional_seen = optional_seen || e.optional;
  }
  return spec;
}

std::string CommandSpec::name() const {
  std::string n;
  for (const auto& w : words_) n += (n.empty() ? "" : " ") + w;
  return n;
}

StatusOr<Args> CommandSpec::Bind(const std::vector<std::string>& args) const {
  const Status usage = UsageError();
  Args out;
  size_t at = 0;
  for (const Element& e : elements_) {
    if (e.rest) {
      out.SetRest(e.text, std::vector<std::string>(args.begin() + static_cast<long>(at), args.end()));
      at = args.size();
    } else if (at == args.size()) {
      if (!e.optional) return usage;
    } else if (e.keyword) {
      if (Upper(args[at]) != e.text) return usage;
      ++at;
    } else {
      out.Set(e.text, args[at++]);
    }
  }
  if (at < args.size()) {
    const bool one = at + 1 == args.size();
    return InvalidArgument(
        usage.message() + " (" +
        (one ? "'" + args[at] + "' is one word too many" : "too many words from '" + args[at] + "' on") +
        "; quote an argument that holds blanks)");
  }
  return out;
}

}  // namespace swarm::swci
