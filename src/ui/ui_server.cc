#include "ui/ui_server.h"

#include <openssl/crypto.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/listen_check.h"
#include "core/log.h"
#include "http/json_reply.h"
#include "ui/web_assets.h"

namespace swarm::ui {
namespace {

using json = nlohmann::ordered_json;

const char* MimeOf(const std::string& name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

// The libraries the page loads, as served under /vendor/, and where Debian keeps them.
struct Vendor {
  const char* path;
  const char* file;  // under UiOptions::assets_dir
  const char* package;
};
// Sleeps `d` unless a stop is asked for first; false when it was.
bool SleepUnlessStopped(std::stop_token stop, std::chrono::milliseconds d) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

constexpr Vendor kVendor[] = {
    {"/vendor/chart.min.js", "chart.js/chart.min.js", "libjs-chart.js"},
    {"/vendor/bootstrap.min.css", "bootstrap5/css/bootstrap.min.css", "libjs-bootstrap5"},
};

}  // namespace

StatusOr<std::unique_ptr<UiServer>> UiServer::Start(Monitor& monitor, swci::Session& session,
                                                    UiOptions options) {
  const bool loopback = IsLoopbackHost(options.http.host);
  if (!loopback && !options.http.tls) {
    return InvalidArgument(
        "the UI listens on " + options.http.host +
        ", which is not loopback: it then serves HTTPS only; give it a certificate and key "
        "(--cert, --key), or listen on 127.0.0.1");
  }
  if (!loopback && options.token.empty()) {
    return InvalidArgument(
        "the UI listens on " + options.http.host +
        ", which is not loopback: it then needs an access token (--token, or let it make one)");
  }
  options.http.name = "UI";
  options.http.ask_client_certificate = false;  // browsers log in with the token
  std::unique_ptr<UiServer> u(new UiServer(monitor, session, std::move(options)));
  ASSIGN_OR_RETURN(u->server_, http::Server::Create(u->o_.http));
  u->Route();
  RETURN_IF_ERROR(u->server_->Start());
  u->poller_ = std::jthread([self = u.get()](std::stop_token stop) {
    do {
      if (Status s = self->monitor_.Poll(); !s.ok()) LogWarning("ui", s.message());
    } while (SleepUnlessStopped(stop, self->o_.poll_every));
  });
  // Between polls, every training's changes as they come (the SN's long poll).
  u->watcher_ = std::jthread([self = u.get()](std::stop_token stop) {
    while (!stop.stop_requested()) {
      const std::vector<std::string> contracts = self->monitor_.Contracts();
      bool failed = contracts.empty();
      for (const std::string& c : contracts) {
        if (stop.stop_requested()) break;
        failed |= !self->monitor_.Watch(c, std::chrono::milliseconds(contracts.size() > 1 ? 200 : 1000)).ok();
      }
      if (failed) SleepUnlessStopped(stop, std::chrono::seconds(1));
    }
  });
  return u;
}

void UiServer::Stop() {
  poller_.request_stop();
  watcher_.request_stop();
  api_.Close();
  if (server_) server_->Stop();
  if (poller_.joinable()) poller_.join();
  if (watcher_.joinable()) watcher_.join();
}

std::string UiServer::Url() const {
  return server_->Url() + "/" + (o_.token.empty() ? "" : "?token=" + o_.token);
}

bool UiServer::HasToken(const httplib::Request& req) const {
  if (o_.token.empty()) return false;
  std::string given = req.get_header_value("Authorization");
  if (given.starts_with("Bearer ")) {
    given = given.substr(7);
  } else {
    given = req.get_param_value("token");
  }
  return given.size() == o_.token.size() && CRYPTO_memcmp(given.data(), o_.token.data(), given.size()) == 0;
}

void UiServer::Route() {
  httplib::Server& h = server_->http();
  const bool loopback = IsLoopbackHost(o_.http.host);
  // Off loopback every /api request needs the token; the page itself holds no data.
  h.set_pre_routing_handler([this, loopback](const httplib::Request& req, httplib::Response& res) {
    if (!req.path.starts_with("/api/") || loopback || HasToken(req))
      return httplib::Server::HandlerResponse::Unhandled;
    LogWarning("ui",
               "refused " + req.method + " " + req.path + " from " + req.remote_addr + ": no access token");
    http::ReplyError(res,
                     Unauthenticated("this UI needs its access token (printed when it started, or given by "
                                     "--token): open the address it printed, or send Authorization: Bearer "
                                     "<token>"));
    return httplib::Server::HandlerResponse::Handled;
  });
  for (const WebAsset& a : WebAssets()) {
    const std::string path = a.name == "index.html" ? "/" : "/" + a.name;
    h.Get(path, [&a](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(a.bytes, MimeOf(a.name));
    });
  }
  // Read once: the files of a Debian package do not change under a running UI.
  for (const Vendor& v : kVendor) {
    const std::filesystem::path file = o_.assets_dir / v.file;
    StatusOr<std::string> content = NotFound("the UI serves " + file.string() +
                                             ", which is not there: install " + v.package + " (scripts/setup does)");
    if (std::ifstream in(file, std::ios::binary); in) {
      std::stringstream bytes;
      bytes << in.rdbuf();
      content = bytes.str();
    }
    if (!content.ok()) LogWarning("ui", content.status().message() + "; the page's charts or styles are missing");
    h.Get(v.path, [content = std::move(content), mime = MimeOf(v.file)](const httplib::Request&,
                                                                       httplib::Response& res) {
      if (!content.ok()) return http::ReplyError(res, content.status());
      res.set_header("Cache-Control", "max-age=3600");
      res.set_content(*content, mime);
    });
  }
  h.Get("/api/state", [this](const httplib::Request& req, httplib::Response& res) {
    json view = monitor_.View();
    const bool can_write = HasToken(req);
    const std::string etag =
        "\"" + std::to_string(view["version"].get<uint64_t>()) + (can_write ? "w" : "r") + "\"";
    res.set_header("ETag", etag);
    res.set_header("Cache-Control", "no-cache");
    if (req.get_header_value("If-None-Match") == etag) {
      res.status = 304;
      return;
    }
    view["can_write"] = can_write;
    view["writes_off"] = o_.token.empty();
    http::ReplyJson(res, view);
  });
  h.Get("/api/blocks", [this](const httplib::Request& req, httplib::Response& res) {
    uint32_t limit = 50;
    uint64_t below = 0;
    try {
      if (req.has_param("limit")) limit = static_cast<uint32_t>(std::stoul(req.get_param_value("limit")));
      if (req.has_param("below")) below = std::stoull(req.get_param_value("below"));
    } catch (const std::exception&) {
      return http::ReplyError(res,
                              InvalidArgument("limit and below are whole numbers, e.g. ?limit=50&below=120"));
    }
    auto blocks = monitor_.Blocks(limit, below);
    if (!blocks.ok()) return http::ReplyError(res, blocks.status());
    http::ReplyJson(res, *blocks);
  });
  h.Post("/api/verify", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = http::ParseJsonObject(req);
    if (!body.ok()) return http::ReplyError(res, body.status());
    if (body->contains("sn") && !(*body)["sn"].is_string()) {
      return http::ReplyError(res, InvalidArgument("\"sn\" is the uid of an SN, a string"));
    }
    auto r = monitor_.Verify(body->value("sn", ""));
    if (!r.ok()) return http::ReplyError(res, r.status());
    http::ReplyJson(res, {{"ok", r->ok()},
                          {"blocks", r->blocks()},
                          {"first_bad_height", r->first_bad_height()},
                          {"reason", r->reason()}});
  });
  const auto swci = [this](const httplib::Request& req, httplib::Response& res) {
    if (!HasToken(req)) {
      LogWarning("ui",
                 "refused " + req.method + " " + req.path + " from " + req.remote_addr + ": no access token");
      return http::ReplyError(
          res, o_.token.empty()
                   ? PermissionDenied("this UI was started without an access token: its write actions "
                                      "are off (start it with --token, or without --no-token)")
                   : Unauthenticated("the write actions need the UI's access token (Authorization: "
                                     "Bearer <token>, as the page sends it when opened with ?token=)"));
    }
    swci::WebReply reply =
        api_.Handle(req.method, "/v1" + req.path.substr(std::string("/api/swci").size()), req.body);
    LogInfo("ui", req.method + " " + req.path + " from " + req.remote_addr + " -> " +
                      std::to_string(reply.http_status));
    res.status = reply.http_status;
    res.set_content(reply.body.dump(), "application/json");
  };
  h.Get("/api/swci/.*", swci);
  h.Post("/api/swci/.*", swci);
  h.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    http::ReplyError(res, NotFound("the UI has no " + req.method + " " + req.path +
                                   "; its API is /api/state, /api/blocks, /api/verify and /api/swci/..."));
  });
}

}  // namespace swarm::ui
