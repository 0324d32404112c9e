#include "proxy/proxy_config.h"

#include <algorithm>
#include <set>

#include "core/listen_check.h"

namespace swarm::proxy {
namespace fs = std::filesystem;
namespace {

// Splits "name=value", naming the flag's expected form in errors.
StatusOr<std::pair<std::string, std::string>> SplitAt(std::string_view text, std::string_view form) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return InvalidArgument("'" + std::string(text) + "' is not " + std::string(form));
  }
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// NGINX names an upstream by a word: the service with its dots as underscores.
std::string UpstreamName(const std::string& service) {
  std::string name = "swarm_";
  for (char c : service) name += (c == '.' || c == '-') ? '_' : c;
  return name;
}

}  // namespace

StatusOr<Route> ParseRoute(std::string_view text) {
  constexpr std::string_view kForm =
      "a route; expected SERVICE=HOST:PORT, such as api.sn-1.swarm=10.0.0.3:30304";
  ASSIGN_OR_RETURN(auto parts, SplitAt(text, kForm));
  ASSIGN_OR_RETURN(snapi::Endpoint service,
                   snapi::ParseService(parts.first, snapi::kDefaultServicePort, "route"));
  if (parts.first.find(':') != std::string::npos) {
    return InvalidArgument("route '" + std::string(text) + "': the service is a name without a port (" +
                           "the proxy's port is --listen)");
  }
  StatusOr<std::vector<snapi::Endpoint>> node = snapi::ParseEndpoints(parts.second, 1);
  if (!node.ok()) return node.status().WithContext("route '" + std::string(text) + "'");
  if (node->size() != 1 || parts.second.find(':') == std::string::npos) {
    return InvalidArgument("route '" + std::string(text) + "': '" + parts.second +
                           "' is not one HOST:PORT; expected where the node listens, such as 10.0.0.3:30304");
  }
  return Route{Lower(service.host), (*node)[0]};
}

StatusOr<std::string> NginxConfig(const NginxOptions& o) {
  if (o.routes.empty()) {
    return InvalidArgument("no routes; give each service with --route SERVICE=HOST:PORT");
  }
  if (o.run_dir.empty()) return InvalidArgument("no --run-dir for NGINX's pid file and logs");
  // NGINX's listen: a port alone (every address) or address:port.
  const bool port_only = !o.listen.empty() && o.listen.find_first_not_of("0123456789") == std::string::npos;
  StatusOr<std::vector<snapi::Endpoint>> listen =
      snapi::ParseEndpoints(port_only ? "0.0.0.0:" + o.listen : o.listen, 1);
  if (o.listen.empty() || !listen.ok() || listen->size() != 1 ||
      (!port_only && o.listen.find(':') == std::string::npos)) {
    return InvalidArgument("--listen '" + o.listen + "' is not PORT or IP:PORT, such as 443 or 10.0.0.1:443");
  }
  std::set<std::string> seen;
  for (const Route& r : o.routes) {
    if (!seen.insert(r.service).second) {
      return InvalidArgument("service '" + r.service + "' is routed twice; give each service one route");
    }
  }
  const fs::path run = fs::absolute(o.run_dir);
  std::string c;
  c += "# Made by swarm proxy-config nginx. NGINX forwards each TLS connection by its server name\n";
  c += "# (ssl_preread) without terminating it: the nodes' mutual TLS runs end to end.\n";
  c += "worker_processes 1;\n";
  c += "pid " + (run / "nginx.pid").string() + ";\n";
  c += "error_log " + (run / "nginx-error.log").string() + " notice;\n";
  if (!o.stream_module.empty()) c += "load_module " + o.stream_module.string() + ";\n";
  c += "\nevents {\n    worker_connections 1024;\n}\n\nstream {\n";
  c += "    log_format swarm '$remote_addr [$time_local] $ssl_preread_server_name -> $upstream_addr "
       "$status $bytes_sent $bytes_received $session_time';\n";
  c += "    access_log " + (run / "nginx-access.log").string() + " swarm;\n\n";
  c += "    # service (TLS server name) -> the node serving it; a name not listed is refused\n";
  c += "    map $ssl_preread_server_name $swarm_upstream {\n";
  size_t width = 0;
  for (const Route& r : o.routes) width = std::max(width, r.service.size());
  for (const Route& r : o.routes) {
    c += "        " + r.service + std::string(width - r.service.size() + 1, ' ') + UpstreamName(r.service) +
         ";\n";
  }
  c += "        default" + std::string(width > 7 ? width - 7 + 1 : 1, ' ') + "swarm_unknown_service;\n";
  c += "    }\n\n";
  for (const Route& r : o.routes) {
    c += "    upstream " + UpstreamName(r.service) + " {\n        server " + r.node.ToString() + ";\n    }\n";
  }
  // An unknown name goes nowhere: the client's handshake ends at once instead of waiting.
  c += "    upstream swarm_unknown_service {\n        server 127.0.0.1:1 down;\n    }\n\n";
  c += "    server {\n        listen " + o.listen + ";\n        ssl_preread on;\n";
  c += "        proxy_connect_timeout " + std::to_string(o.connect_timeout.count()) + "s;\n";
  c += "        proxy_pass $swarm_upstream;\n    }\n}\n";
  return c;
}

StatusOr<Record> ParseRecord(std::string_view text) {
  constexpr std::string_view kForm = "a record; expected NAME=IP, such as api.sn-1.swarm=172.1.1.1";
  ASSIGN_OR_RETURN(auto parts, SplitAt(text, kForm));
  ASSIGN_OR_RETURN(snapi::Endpoint name, snapi::ParseService(parts.first, 1, "record"));
  if (parts.first.find(':') != std::string::npos) {
    return InvalidArgument("record '" + std::string(text) + "': a DNS name has no port");
  }
  if (!IsIpAddress(parts.second)) {
    return InvalidArgument("record '" + std::string(text) + "': '" + parts.second +
                           "' is not an IP address; expected NAME=IP, such as api.sn-1.swarm=172.1.1.1");
  }
  return Record{Lower(name.host), parts.second};
}

StatusOr<Bind9Files> Bind9Config(const Bind9Options& o) {
  ASSIGN_OR_RETURN(snapi::Endpoint zone, snapi::ParseService(o.zone, 1, "--zone"));
  const std::string z = Lower(zone.host);
  if (o.records.empty()) return InvalidArgument("no records; give each name with --record NAME=IP");
  if (!IsIpAddress(o.listen_ip)) {
    return InvalidArgument("--listen-ip '" + o.listen_ip +
                           "' is not an IP address; expected where named answers");
  }
  RETURN_IF_ERROR(snapi::CheckPort(o.port, "--port"));
  if (o.dir.empty()) return InvalidArgument("no --dir for named's files");
  Bind9Files f;
  f.zone_file_name = "db." + z;
  const fs::path dir = fs::absolute(o.dir);
  std::set<std::string> seen;
  std::string records;
  for (const Record& r : o.records) {
    if (r.name != z && !r.name.ends_with("." + z)) {
      return InvalidArgument("record '" + r.name + "' is not in the zone '" + z + "'; expected NAME." + z);
    }
    bool v6 = false;
    IsIpAddress(r.address, &v6);
    if (!seen.insert(r.name + (v6 ? "/6" : "/4")).second) {
      return InvalidArgument("record '" + r.name + "' is given twice");
    }
    records += r.name + ". IN " + (v6 ? "AAAA " : "A ") + r.address + "\n";
  }
  bool listen_v6 = false;
  IsIpAddress(o.listen_ip, &listen_v6);
  const std::string port = std::to_string(o.port);
  f.named_conf =
      "// Made by swarm proxy-config bind9: an authoritative server for the zone " + z + " only.\n";
  f.named_conf += "options {\n";
  f.named_conf += "    directory \"" + dir.string() + "\";\n";
  f.named_conf += "    pid-file \"" + (dir / "named.pid").string() + "\";\n";
  f.named_conf += "    session-keyfile \"" + (dir / "session.key").string() + "\";\n";
  f.named_conf += "    managed-keys-directory \"" + dir.string() + "\";\n";
  if (listen_v6) {
    f.named_conf +=
        "    listen-on { none; };\n    listen-on-v6 port " + port + " { " + o.listen_ip + "; };\n";
  } else {
    f.named_conf +=
        "    listen-on port " + port + " { " + o.listen_ip + "; };\n    listen-on-v6 { none; };\n";
  }
  f.named_conf += "    recursion no;\n    allow-query { any; };\n    dnssec-validation no;\n};\n";
  f.named_conf += "controls { };  // no rndc channel: this named is started and stopped as a process\n\n";
  f.named_conf += "zone \"" + z + "\" {\n    type primary;\n    file \"" + (dir / f.zone_file_name).string() +
                  "\";\n};\n";
  f.zone_file = "; Made by swarm proxy-config bind9\n$TTL 60\n";
  f.zone_file += "@ IN SOA ns." + z + ". hostmaster." + z + ". (1 60 60 600 60)\n";
  f.zone_file += "@ IN NS ns." + z + ".\n";
  f.zone_file += "ns." + z + ". IN " + (listen_v6 ? "AAAA " : "A ") + o.listen_ip + "\n";
  f.zone_file += records;
  return f;
}

fs::path FindStreamModule() {
  const fs::path debian = "/usr/lib/nginx/modules/ngx_stream_module.so";
  std::error_code ec;
  return fs::exists(debian, ec) ? debian : fs::path();
}

}  // namespace swarm::proxy
