#pragma once

// The one HTTP server of Swarm's human-facing parts (SWCI's web mode, the UI): cpp-httplib
// on one address, plain HTTP or HTTPS with the node's own certificate. Over HTTPS it asks
// every client for a certificate but lets the handshake through without one, so that a
// handler can refuse a missing or wrong certificate with a JSON error that says what is
// expected (ClientIdentity), instead of a bare TLS alert.

#include <httplib.h>

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "core/status.h"
#include "pki/tls.h"

namespace swarm::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: one the kernel picks (port() says which)
  // The server's identity for HTTPS, and the CAs that client certificates must chain to.
  // None: plain HTTP.
  std::optional<pki::TlsIdentity> tls;
  // Over HTTPS, ask clients for a certificate (SWCI's web mode); a browser's page does not
  // need one, and asking makes browsers offer a certificate picker.
  bool ask_client_certificate = true;
  // Seconds a request may take to arrive, and a reply to be taken.
  int io_timeout_s = 30;
  std::string name = "http";  // for log lines and errors ("SWCI web mode", "UI")
};

class Server {
 public:
  // Builds the server; routes are added through http() before Start.
  static StatusOr<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();

  httplib::Server& http() { return *server_; }
  // Binds host:port (an error says why it cannot: port taken, address not this host's) and
  // serves on a thread of its own until Stop.
  Status Start();
  // Stops taking requests and waits for the serving thread. Safe to call twice.
  void Stop();

  int port() const { return port_; }
  bool https() const { return options_.tls.has_value(); }
  // "https://127.0.0.1:30306".
  std::string Url() const;

  // Who sent `req`: its client certificate, verified against the server's trusted CAs, of
  // one of `roles`. UNAUTHENTICATED when no certificate came (or over plain HTTP) or it does
  // not verify, PERMISSION_DENIED for a role not in `roles`; the message says what is
  // expected.
  StatusOr<pki::PeerIdentity> ClientIdentity(const httplib::Request& req,
                                             const std::set<pki::Role>& roles) const;

 private:
  explicit Server(ServerOptions options) : options_(std::move(options)) {}

  ServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> listening_done_{false};  // listen_after_bind returned
};

}  // namespace swarm::http
