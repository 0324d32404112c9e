#pragma once

// `swarm ui` on the wire: the page (src/ui/web/, built in), Debian's Chart.js and Bootstrap,
// and a JSON API over the monitor and an SWCI session:
//
//   GET  /api/state             the monitor's view; ETag, so a poll that finds nothing new is a 304
//   GET  /api/blocks?limit=&below=   the UI's SN's newest blocks
//   POST /api/verify {"sn": uid}     replays that SN's chain (the UI's own SN without one)
//   POST /api/swci/...               SWCI's web API (swci/web_api.h) under /api/swci instead of /v1:
//                                    the write actions (create, finalize, assign, reset, ...)
//
// The access token: on a loopback listen the page and its reads are open to the machine's
// users and the write actions need the token; on any other listen (HTTPS only) every /api
// request needs it. It comes as "Authorization: Bearer <token>", or once as ?token= on the
// page's address (which the page then keeps).

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "http/server.h"
#include "swci/web_api.h"
#include "ui/monitor.h"

namespace swarm::ui {

// The UI's default port.
inline constexpr int kDefaultPort = 30307;

struct UiOptions {
  http::ServerOptions http;  // host, port; tls for HTTPS (required off loopback)
  std::string token;         // empty: write actions are off
  // Where Debian's libjs-chart.js and libjs-bootstrap5 put their files.
  std::filesystem::path assets_dir = "/usr/share/javascript";
  std::chrono::milliseconds poll_every{1000};  // how often the monitor reads the SN
};

class UiServer {
 public:
  // Serves `monitor` and `session` (both outlive the server) and polls the monitor on a
  // thread of its own. Refuses a non-loopback listen without HTTPS and a token.
  static StatusOr<std::unique_ptr<UiServer>> Start(Monitor& monitor, swci::Session& session,
                                                   UiOptions options);
  ~UiServer() { Stop(); }

  void Stop();
  int port() const { return server_->port(); }
  // The page's address, with the token when there is one.
  std::string Url() const;

 private:
  UiServer(Monitor& monitor, swci::Session& session, UiOptions options)
      : monitor_(monitor), api_(session), o_(std::move(options)) {}
  void Route();
  // Whether `req` carries the token.
  bool HasToken(const httplib::Request& req) const;

  Monitor& monitor_;
  swci::WebApi api_;
  UiOptions o_;
  std::unique_ptr<http::Server> server_;
  std::jthread poller_, watcher_;
};

}  // namespace swarm::ui
