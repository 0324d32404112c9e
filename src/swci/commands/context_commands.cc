// Contexts: which SN API server the session talks to, and per-context settings.

#include <cctype>

#include "swci/command_env.h"
#include "swci/commands/commands.h"
#include "swci/commands/common.h"

namespace swarm::swci {
namespace {

constexpr std::string_view kMaxWaitVariable = "SWCI_TASK_MAX_WAIT_TIME";

// A context named `name` (a new one) for the SN API at `endpoint`, once it answers.
StatusOr<Result> AddContext(CommandEnv& env, const std::string& name, const snapi::Endpoint& endpoint) {
  if (env.state.contexts.count(name)) return AlreadyExists("context '" + name + "' already exists");
  ASSIGN_OR_RETURN(std::unique_ptr<snapi::SnApi> api, WaitUntilUp(env, endpoint, 1, {}));
  env.state.contexts[name] = Context{name, endpoint, std::move(api), {}};
  return Result::Lines({std::string(kApiServerUp), "CONTEXT CREATED : " + name});
}

StatusOr<Result> CreateContext(CommandEnv& env, const Args& a) {
  snapi::Endpoint endpoint{a.String("ip"), kDefaultSnApiPort};
  if (a.Has("port")) {
    ASSIGN_OR_RETURN(long port, a.Int("port", 1, 65535));
    endpoint.port = static_cast<int>(port);
  }
  return AddContext(env, a.String("contextName"), endpoint);
}

// CREATE CONTEXT ... WITH SERVICE: the SN API behind a reverse proxy, by its FQDN (port 443
// unless given); the TLS server name is the FQDN, which the proxy routes by.
StatusOr<Result> CreateContextWithService(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(snapi::Endpoint endpoint,
                   snapi::ParseService(a.String("service"), snapi::kDefaultServicePort, "service"));
  return AddContext(env, a.String("contextName"), endpoint);
}

StatusOr<Result> SwitchContext(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(Context * c, env.Named(a.String("contextName")));
  env.state.default_context = c->name;
  return Result::Line("DEFAULT CONTEXT SET TO : " + c->name);
}

StatusOr<Result> GetContextInfo(CommandEnv& env, const Args& a) {
  Context* c = nullptr;
  if (a.Has("contextName")) {
    ASSIGN_OR_RETURN(c, env.Named(a.String("contextName")));
  } else {
    ASSIGN_OR_RETURN(c, env.Current());
  }
  return Result::Of(Record()
                        .Add("Name", c->name)
                        .Add("IP", c->endpoint.host)
                        .Add("Port", std::to_string(c->endpoint.port))
                        .Add("Default", YesNo(env.state.default_context == c->name)));
}

StatusOr<Result> ListContexts(CommandEnv& env, const Args&) {
  std::vector<std::string> lines;
  for (const auto& [name, c] : env.state.contexts) {
    lines.push_back(name + (env.state.default_context == name ? " (default)" : ""));
  }
  return Result::Lines(std::move(lines));
}

StatusOr<Result> GetContextVersion(CommandEnv& env, const Args&) {
  ASSIGN_OR_RETURN(Context * c, env.Current());
  ASSIGN_OR_RETURN(swarm::v1::VersionInfo v, c->api->GetVersion());
  return Result::Of(Record()
                        .Add("Context", c->name)
                        .Add("API server", c->endpoint.ToString())
                        .Add("SN version", v.version())
                        .Add("API version", std::to_string(v.api_version())));
}

Status CheckVariableName(const std::string& name) {
  bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char ch : name) ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
  if (ok) return Status::Ok();
  return InvalidArgument("variable name '" + name + "' is not a name; expected letters, digits and _");
}

StatusOr<Result> SetContextEnv(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(Context * c, env.Named(a.String("contextName")));
  const std::string& name = a.String("env");
  const std::string& value = a.String("envValue");
  RETURN_IF_ERROR(CheckVariableName(name));
  // Checked now rather than at the WAIT FOR TASKRUNNER that reads it.
  if (name == kMaxWaitVariable) RETURN_IF_ERROR(ParseMinutes(value, name).status());
  c->env[name] = value;
  return Result::Line("CONTEXT ENV SET : " + name + " = " + value + " (context " + c->name + ")");
}

StatusOr<Result> GetContextEnv(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(Context * c, env.Named(a.String("contextName")));
  const std::string& name = a.String("env");
  const auto it = c->env.find(name);
  if (it == c->env.end()) {
    return NotFound("context '" + c->name + "' has no variable '" + name +
                    "'; SET CONTEXT ENV sets one, LIST CONTEXT ENV lists them");
  }
  return Result::Of(Record().Add(name, it->second));
}

StatusOr<Result> ListContextEnv(CommandEnv& env, const Args& a) {
  ASSIGN_OR_RETURN(Context * c, env.Named(a.String("contextName")));
  Record r;
  for (const auto& [name, value] : c->env) r.Add(name, value);
  return Result::Of(std::move(r));
}

}  // namespace

void RegisterContextCommands(CommandRegistry& r) {
  r.Add(
      "CREATE CONTEXT <contextName : string> WITH IP <ip : string> [port : string]",
      "Checks that the SN API server at ip (port 30304 unless given) answers, then creates a context for it "
      "under the given name. SWITCH CONTEXT makes it the one that commands use.",
      CreateContext);
  r.Add(
      "CREATE CONTEXT <contextName : string> WITH SERVICE <service : string>",
      "For a reverse proxy: checks that the SN API service answers, then creates a context for it under the "
      "given name. service is the FQDN of the SN's API service, with :port when the proxy is not on 443 "
      "(api.sn-1.swarm, api.sn-1.swarm:17000); the SN's certificate must carry that name.",
      CreateContextWithService);
  r.Add("SWITCH CONTEXT <contextName : string>",
        "Makes the context the default one: later commands go to its SN.", SwitchContext);
  r.Add("GET CONTEXT INFO [contextName : string]",
        "Shows a context's API server and whether it is the default; without a name, the default context's.",
        GetContextInfo);
  r.Add("LIST CONTEXTS", "Lists the contexts of this session; the default one is marked.", ListContexts);
  r.Add("GET CONTEXT VERSION", "Asks the default context's SN for its release and the version of its API.",
        GetContextVersion);
  r.Add("SET CONTEXT ENV <contextName : string> <env : string> <envValue : string>",
        "Sets a variable of the context. While the context is the default one, its value takes the place of "
        "the "
        "process environment's: SWCI_TASK_MAX_WAIT_TIME (minutes) bounds WAIT FOR TASKRUNNER.",
        SetContextEnv);
  r.Add("GET CONTEXT ENV <contextName:string> <env:string>",
        "Shows the value of one variable of the context.", GetContextEnv);
  r.Add("LIST CONTEXT ENV <contextName : string>", "Shows every variable set in the context, by name.",
        ListContextEnv);
}

}  // namespace swarm::swci
