#pragma once

// SWCI's web mode as data: the REST API over one Session, apart from any socket, so its
// rules are tested without HTTP (web_server.h puts it on the wire). Every command of the
// registry is one endpoint, POST /v1/commands/<name in lower case, words joined by '-'>,
// taking its parameters by the names its usage string gives them; POST /v1/execute takes
// a line as typed at the prompt. Both run through the session's own parsing and handlers,
// so the checks and the messages are the prompt's. POST /v1/upload puts a file (a task
// definition) into SWCI's current directory, where CREATE TASK FROM reads it.
//
//   POST /v1/commands/create-context  {"contextName": "c", "ip": "10.0.0.1"}
//   -> 200 {"ok": true, "command": "CREATE CONTEXT c WITH IP 10.0.0.1", "count": 1,
//           "result": [{"type": "message", "lines": ["CONTEXT CREATED : c"]}],
//           "output": "CONTEXT CREATED : c\n", "progress": []}
//   failure -> 4xx/5xx {"ok": false, "command": ..., "error": {"code", "message"},
//                       "output": "ERROR: <message>\n", "progress": [...]}

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "swci/registry.h"
#include "swci/session.h"

namespace swarm::swci {

using WebJson = nlohmann::ordered_json;

struct WebReply {
  int http_status = 200;
  WebJson body;
};

// "create-context" for CREATE CONTEXT, "exit-on-failure", "ls"; a later form of a command
// adds its keywords: "create-context-with-service".
std::string EndpointName(const Command& command);

// The words of `spec`'s command with `params` (a JSON object of parameters by name: strings,
// whole numbers, true for a flag such as FORCE, a list of words for a "name..." parameter).
// An unknown or ill-typed parameter, or a missing one, is INVALID_ARGUMENT naming it and
// the usage.
StatusOr<std::vector<std::string>> WordsFromJson(const CommandSpec& spec, const WebJson& params);

// docs/swci-web-api.md: the reference of every endpoint, as Markdown, from ListCommands().
std::string ApiReferenceMarkdown(const WebJson& commands);

class WebApi {
 public:
  explicit WebApi(Session& session) : session_(session) {}

  // GET /v1/commands: every command with its endpoint, usage, help and parameters.
  WebJson ListCommands() const;
  // Any request: the route's reply, a 404 naming the unknown path, or a 405 naming the
  // method a known path takes. `body` is the request's text.
  WebReply Handle(std::string_view method, std::string_view path, const std::string& body);

  // Refuses every later command (UNAVAILABLE) and stops a running wait: for shutdown.
  void Close();

 private:
  WebReply Run(const StatusOr<std::vector<std::string>>& words);
  WebReply Upload(const WebJson& body);

  Session& session_;
  Mutex mu_;  // one command at a time, as at the prompt
  std::atomic<bool> closed_{false};
};

}  // namespace swarm::swci
