#include <algorithm>
#include <cctype>
#include <charconv>

#include "snapi/sn_api.h"

namespace swarm::snapi {
namespace {

StatusOr<Endpoint> ParseOne(std::string_view item, int default_port) {
  const std::string text(item);
  Endpoint e{"", default_port};
  std::string_view port;
  if (!item.empty() && item.front() == '[') {  // [v6]:port
    const size_t close = item.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgument("SN endpoint '" + text + "' has no closing ']'; expected [IPv6] or [IPv6]:port");
    }
    e.host = std::string(item.substr(1, close - 1));
    if (close + 1 < item.size()) {
      if (item[close + 1] != ':') return InvalidArgument("SN endpoint '" + text + "': expected ':' after ']'");
      port = item.substr(close + 2);
      if (port.empty()) return InvalidArgument("SN endpoint '" + text + "' ends in ':'; expected a port after it");
    }
  } else if (const size_t colon = item.rfind(':'); colon != std::string_view::npos) {
    if (item.find(':') != colon) {
      return InvalidArgument("SN endpoint '" + text + "': write an IPv6 address in brackets, [addr]:port");
    }
    e.host = std::string(item.substr(0, colon));
    port = item.substr(colon + 1);
    if (port.empty()) return InvalidArgument("SN endpoint '" + text + "' ends in ':'; expected a port after it");
  } else {
    e.host = text;
  }
  if (e.host.empty()) return InvalidArgument("SN endpoint '" + text + "' has no host; expected host or host:port");
  if (!port.empty()) {
    long p = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size()) {
      return InvalidArgument("SN endpoint '" + text + "': port '" + std::string(port) +
                             "' is not a number; expected 1..65535");
    }
    RETURN_IF_ERROR(CheckPort(p, "port of SN endpoint '" + text + "'"));
    e.port = static_cast<int>(p);
  }
  return e;
}

bool IsDnsName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // the root, as in "a.swarm."
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const std::string_view label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (const char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

}  // namespace

StatusOr<Endpoint> ParseService(std::string_view text, int default_port, std::string_view flag) {
  const std::string what = std::string(flag) + " '" + std::string(text) + "'";
  const std::string form =
      "; expected an FQDN, optionally with a port, such as api.sn-1.swarm or api.sn-1.swarm:" +
      std::to_string(default_port);
  if (text.empty()) return InvalidArgument(std::string(flag) + " is empty" + form);
  if (text.front() == '[' || std::count(text.begin(), text.end(), ':') > 1) {
    return InvalidArgument(what + " is an IPv6 address, not a service name" + form);
  }
  if (text.find(',') != std::string_view::npos) {
    return InvalidArgument(what + " names more than one service" + form);
  }
  StatusOr<std::vector<Endpoint>> one = ParseEndpoints(text, default_port);
  if (!one.ok()) return one.status().WithContext(std::string(flag));
  Endpoint e = std::move((*one)[0]);
  if (IsIpAddress(e.host)) {
    return InvalidArgument(what +
                           " is an IP address, not a service name: a service is the DNS name a "
                           "reverse proxy routes by (the TLS server name)" +
                           form + "; give an address with --sn-ip or --host-ip instead");
  }
  if (!IsDnsName(e.host)) {
    return InvalidArgument(what + ": '" + e.host +
                           "' is not a DNS name (labels of letters, digits and '-', " +
                           "separated by dots, at most 253 characters)" + form);
  }
  return e;
}

Status CheckPort(long port, std::string_view what) {
  if (port >= 1 && port <= 65535) return Status::Ok();
  return InvalidArgument(std::string(what) + " is " + std::to_string(port) + "; expected a port from 1 to 65535");
}

StatusOr<std::vector<Endpoint>> ParseEndpoints(std::string_view text, int default_port) {
  RETURN_IF_ERROR(CheckPort(default_port, "the default SN API port"));
  std::vector<Endpoint> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) {
      return InvalidArgument("SN endpoint list '" + std::string(text) +
                             "' has an empty entry; expected host[:port][,host[:port]...]");
    }
    ASSIGN_OR_RETURN(Endpoint e, ParseOne(item, default_port));
    out.push_back(std::move(e));
    start = comma + 1;
  }
  return out;
}

StatusOr<std::vector<Endpoint>> EndpointsFromFlags(const std::vector<std::string>& hosts, int default_port) {
  std::vector<Endpoint> out;
  for (const std::string& h : hosts) {
    ASSIGN_OR_RETURN(std::vector<Endpoint> some, ParseEndpoints(h, default_port));
    out.insert(out.end(), some.begin(), some.end());
  }
  if (out.empty()) return InvalidArgument("no SN given; expected --sn-ip HOST[:PORT][,HOST[:PORT]...]");
  return out;
}

}  // namespace swarm::snapi
