#pragma once

// SWCI's web mode on the wire (HPE's SWCI_MODE=WEB): the REST API of web_api.h over HTTPS
// on SWCI_WEB_PORT, where every request must come with a client certificate of role swci
// from a CA in SWCI's --capath (the Python `Swci` client's clientCert/clientPKey).

#include <memory>

#include "http/server.h"
#include "swci/web_api.h"

namespace swarm::swci {

// HPE's SWCI_WEB_PORT default.
inline constexpr int kDefaultWebPort = 30306;

class WebServer {
 public:
  // Serves `session` on `options` (options.tls is required) until Stop.
  static StatusOr<std::unique_ptr<WebServer>> Start(Session& session, http::ServerOptions options);
  ~WebServer() { Stop(); }

  // Refuses new commands, stops a running wait, and closes the server.
  void Stop();
  int port() const { return server_->port(); }
  std::string Url() const { return server_->Url(); }

 private:
  WebServer(Session& session) : api_(session) {}

  WebApi api_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace swarm::swci
