#include "swci/web_server.h"

#include "core/log.h"
#include "http/json_reply.h"

namespace swarm::swci {

StatusOr<std::unique_ptr<WebServer>> WebServer::Start(Session& session, http::ServerOptions options) {
  if (!options.tls) return InvalidArgument("SWCI's web mode serves HTTPS only: it needs SWCI's certificate");
  options.name = "SWCI web mode";
  std::unique_ptr<WebServer> w(new WebServer(session));
  ASSIGN_OR_RETURN(w->server_, http::Server::Create(std::move(options)));
  http::Server* server = w->server_.get();
  WebApi* api = &w->api_;
  const auto handle = [server, api](const httplib::Request& req, httplib::Response& res) {
    auto peer = server->ClientIdentity(req, {pki::Role::kSwci});
    if (!peer.ok()) {
      LogWarning("swci", "web: refused " + req.method + " " + req.path + " from " + req.remote_addr + ": " +
                             peer.status().message());
      return http::ReplyError(res, peer.status());
    }
    WebReply reply = api->Handle(req.method, req.path, req.body);
    LogInfo("swci", "web: " + req.method + " " + req.path + " from " + peer->common_name + " -> " +
                        std::to_string(reply.http_status));
    http::ReplyJson(res, reply.body, reply.http_status);
  };
  httplib::Server& h = server->http();
  h.Get(".*", handle);
  h.Post(".*", handle);
  h.Put(".*", handle);
  h.Delete(".*", handle);
  h.Patch(".*", handle);
  RETURN_IF_ERROR(server->Start());
  return w;
}

void WebServer::Stop() {
  api_.Close();
  if (server_) server_->Stop();
}

}  // namespace swarm::swci
