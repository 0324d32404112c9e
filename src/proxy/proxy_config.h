#pragma once

// The configuration of HPE's reverse-proxy setup, made from the routes a user gives
// (`swarm proxy-config`):
//
//  - NGINX: one stream server on the proxy's port (443) that reads the TLS server name of
//    each connection (ssl_preread) and forwards the bytes to the node serving that name. It
//    does not terminate TLS: the nodes' mutual TLS runs end to end through it, so identities
//    and roles are still checked by the nodes themselves.
//  - BIND9: a zone that resolves each service name to where its proxy (or, for an SN's P2P
//    service, its host) is reached, served by a named of its own.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "snapi/sn_api.h"

namespace swarm::proxy {

// "api.sn-1.swarm=10.0.0.3:30304": connections for the service go to that address.
struct Route {
  std::string service;   // the TLS server name (an FQDN)
  snapi::Endpoint node;  // where the node listens, as the proxy reaches it
};
StatusOr<Route> ParseRoute(std::string_view text);

struct NginxOptions {
  std::vector<Route> routes;
  std::string listen = "443";               // NGINX's listen: "443", "10.0.0.1:443", "[::]:443"
  std::filesystem::path run_dir;            // its pid file and logs
  std::filesystem::path stream_module;      // load_module path; empty: none (built in)
  std::chrono::seconds connect_timeout{5};  // to a node
};
// The whole nginx.conf. Refuses no routes, a service routed twice and a bad listen.
StatusOr<std::string> NginxConfig(const NginxOptions& options);

// "api.sn-1.swarm=172.1.1.1": the name resolves to that IPv4 or IPv6 address.
struct Record {
  std::string name;
  std::string address;
};
StatusOr<Record> ParseRecord(std::string_view text);

struct Bind9Options {
  std::string zone = "swarm";
  std::vector<Record> records;  // each inside the zone
  std::string listen_ip;        // where named answers (required: an IP of this host)
  int port = 53;
  std::filesystem::path dir;  // named.conf, the zone file, pid and session key
};
struct Bind9Files {
  std::string named_conf;  // DIR/named.conf
  std::string zone_file;   // DIR/db.<zone>
  std::string zone_file_name;
};
StatusOr<Bind9Files> Bind9Config(const Bind9Options& options);

// The ngx_stream_module path of Debian's libnginx-mod-stream when it is installed, else empty.
std::filesystem::path FindStreamModule();

}  // namespace swarm::proxy
