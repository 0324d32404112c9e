#include "swci/web_api.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/json_reply.h"
#include "swci/render_json.h"
#include "swci/render_text.h"
#include "swci/tokenizer.h"

namespace swarm::swci {
namespace {

constexpr std::string_view kCommandsPath = "/v1/commands";
constexpr std::string_view kExecutePath = "/v1/execute";
constexpr std::string_view kUploadPath = "/v1/upload";
constexpr size_t kMaxUploadBytes = 4 << 20;  // task definitions are a few kB

std::string TypeName(const CommandSpec::Element& e) {
  if (e.rest) return "words";
  if (e.type == ParamType::kInt) return "int";
  return "string";
}

std::string ParamList(const CommandSpec& spec) {
  std::string out;
  for (const auto& e : spec.elements()) {
    if (!e.keyword) out += (out.empty() ? "" : ", ") + e.text;
  }
  return out.empty() ? "no parameters" : "the parameters " + out;
}

// Shows a wait's notices as lines of text; its ticks are left out.
class CollectProgress final : public Progress {
 public:
  void Show(const Part& part) override {
    std::ostringstream text;
    RenderText(part, text);
    std::string line;
    std::istringstream lines(text.str());
    while (std::getline(lines, line)) lines_.push_back(line);
  }
  void Tick() override {}
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

std::string Joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) {
    const bool quote = w.empty() || w.find_first_of(" \t\"'#") != std::string::npos;
    s += (s.empty() ? "" : " ") + (quote ? "'" + w + "'" : w);
  }
  return s;
}

WebReply Failure(const Status& status, const std::string& command = "") {
  WebJson body{{"ok", false}};
  if (!command.empty()) body["command"] = command;
  body["error"] = http::ErrorJson(status);
  return {http::HttpStatus(status.code()), std::move(body)};
}

}  // namespace

// "create-context", and for a command's later form its keywords too: "create-context-with-service".
std::string EndpointName(const Command& command) {
  std::string out;
  for (char c : command.spec.name() + (command.form.empty() ? "" : " " + command.form)) {
    out += c == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

StatusOr<std::vector<std::string>> WordsFromJson(const CommandSpec& spec, const WebJson& params) {
  const std::string usage = "Usage: " + spec.usage();
  for (const auto& [key, value] : params.items()) {
    bool known = false;
    for (const auto& e : spec.elements()) known = known || (!e.keyword && e.text == key);
    if (!known) {
      return InvalidArgument("unknown parameter '" + key + "' for " + spec.name() + ", which takes " +
                             ParamList(spec) + " (" + usage + ")");
    }
  }
  std::vector<std::string> words = spec.words();
  std::string left_out;  // the first optional parameter not given
  for (const auto& e : spec.elements()) {
    if (e.keyword) {
      words.push_back(e.text);
      continue;
    }
    const WebJson* v = params.contains(e.text) ? &params[e.text] : nullptr;
    if (v != nullptr && (v->is_null() || (v->is_boolean() && !v->get<bool>()))) v = nullptr;
    if (v == nullptr) {
      if (!e.optional) return InvalidArgument(usage + " (the parameter '" + e.text + "' is missing)");
      if (left_out.empty()) left_out = e.text;
      continue;
    }
    if (!left_out.empty()) {
      return InvalidArgument(usage + " ('" + e.text + "' comes after '" + left_out +
                             "': give both, or neither)");
    }
    const auto ill_typed = [&](std::string_view expected) {
      return InvalidArgument("the parameter '" + e.text + "' of " + spec.name() + " is JSON " +
                             v->type_name() + "; expected " + std::string(expected) + " (" + usage + ")");
    };
    if (e.rest) {
      if (v->is_string()) {
        ASSIGN_OR_RETURN(std::vector<std::string> more, Tokenize(v->get<std::string>()));
        words.insert(words.end(), more.begin(), more.end());
      } else if (v->is_array()) {
        for (const auto& w : *v) {
          if (!w.is_string()) return ill_typed("a list of strings");
          words.push_back(w.get<std::string>());
        }
      } else {
        return ill_typed("a string or a list of strings");
      }
    } else if (v->is_string()) {
      words.push_back(v->get<std::string>());
    } else if (v->is_number_integer()) {
      words.push_back(std::to_string(v->get<long long>()));
    } else if (v->is_boolean()) {
      words.push_back(e.text);  // a flag such as [FORCE]: true says it
    } else {
      return ill_typed(e.type == ParamType::kInt ? "a whole number" : "a string");
    }
  }
  return words;
}

std::string ApiReferenceMarkdown(const WebJson& list) {
  const auto cell = [](std::string s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string md =
      "# SWCI web mode: the REST API\n\n"
      "Every SWCI command is one endpoint (`swarm swci --web`, [swci-web.md](swci-web.md)). This page is\n"
      "generated from SWCI's command registry, as `GET /v1/commands` answers; a unit test fails when\n"
      "it differs, and `SWARM_UPDATE_DOCS=1 build/src/swci/swci_test --gtest_filter='*ApiReference*'`\n"
      "writes it anew. Each takes a JSON object of its parameters by name (a flag such as `FORCE`\n"
      "is `true`, a `name...` parameter a list of words) and answers as described in swci-web.md.\n\n"
      "Besides: `POST /v1/execute {\"command\": \"<a line as typed at the prompt>\"}`, and\n"
      "`POST /v1/upload {\"fileName\": \"task.yaml\", \"content\": \"...\"}` (a task definition into\n"
      "SWCI's current directory).\n\n"
      "| endpoint | parameters | command | what it does |\n|---|---|---|---|\n";
  for (const auto& c : list["commands"]) {
    std::string params;
    for (const auto& p : c["params"]) {
      params += (params.empty() ? "" : ", ") + std::string("`") + p["name"].get<std::string>() + "` (" +
                p["type"].get<std::string>() + (p["required"].get<bool>() ? "" : ", optional") + ")";
    }
    md += "| `POST " + c["endpoint"].get<std::string>() + "` | " + (params.empty() ? "—" : params) + " | `" +
          cell(c["usage"].get<std::string>()) + "` | " + cell(c["help"].get<std::string>()) + " |\n";
  }
  return md;
}

WebJson WebApi::ListCommands() const {
  WebJson commands = WebJson::array();
  for (const Command* c : session_.registry().All()) {
    WebJson params = WebJson::array();
    for (const auto& e : c->spec.elements()) {
      if (e.keyword) continue;
      params.push_back({{"name", e.text}, {"type", TypeName(e)}, {"required", !e.optional}});
    }
    commands.push_back({{"name", c->spec.name()},
                        {"endpoint", std::string(kCommandsPath) + "/" + EndpointName(*c)},
                        {"method", "POST"},
                        {"usage", c->spec.usage()},
                        {"help", c->help},
                        {"params", std::move(params)}});
  }
  return WebJson{{"commands", std::move(commands)}};
}

WebReply WebApi::Handle(std::string_view method, std::string_view path, const std::string& body) {
  const auto parsed = [&]() -> StatusOr<WebJson> {
    httplib::Request req;
    req.body = body;
    return http::ParseJsonObject(req);
  };
  const auto wrong_method = [&](std::string_view takes) {
    return Failure(
        InvalidArgument(std::string(path) + " takes " + std::string(takes) + ", not " + std::string(method)));
  };
  if (path == kCommandsPath) {
    if (method != "GET") return {405, wrong_method("GET").body};
    return {200, ListCommands()};
  }
  if (path == kExecutePath) {
    if (method != "POST") return {405, wrong_method("POST").body};
    auto json = parsed();
    if (!json.ok()) return Failure(json.status());
    if (!json->contains("command") || !(*json)["command"].is_string() || json->size() != 1) {
      return Failure(
          InvalidArgument("POST /v1/execute takes {\"command\": \"<an SWCI command line>\"}, e.g. "
                          "{\"command\": \"LIST NODES\"}"));
    }
    auto words = Tokenize((*json)["command"].get<std::string>());
    if (words.ok() && words->empty()) return Failure(InvalidArgument("the command line is empty"));
    return Run(words);
  }
  if (path == kUploadPath) {
    if (method != "POST") return {405, wrong_method("POST").body};
    auto json = parsed();
    if (!json.ok()) return Failure(json.status());
    return Upload(*json);
  }
  if (path.starts_with(std::string(kCommandsPath) + "/")) {
    const std::string_view name = path.substr(kCommandsPath.size() + 1);
    for (const Command* c : session_.registry().All()) {
      if (EndpointName(*c) != name) continue;
      if (method != "POST") return {405, wrong_method("POST").body};
      auto json = parsed();
      if (!json.ok()) return Failure(json.status(), c->spec.name());
      return Run(WordsFromJson(c->spec, *json));
    }
    return Failure(NotFound("no SWCI command has the endpoint " + std::string(path) + "; GET " +
                            std::string(kCommandsPath) + " lists them"));
  }
  return Failure(NotFound("no endpoint " + std::string(method) + " " + std::string(path) +
                          "; the API is GET " + std::string(kCommandsPath) + ", POST " +
                          std::string(kCommandsPath) + "/<command>, POST " + std::string(kExecutePath) +
                          " and POST " + std::string(kUploadPath)));
}

WebReply WebApi::Run(const StatusOr<std::vector<std::string>>& words) {
  if (!words.ok()) return Failure(words.status());
  const std::string command = Joined(*words);
  if (closed_) return Failure(Unavailable("SWCI is shutting down"), command);
  MutexLock lock(mu_);
  CollectProgress progress;
  Outcome out = session_.ExecuteWords(*words, progress);
  std::ostringstream text;
  WebReply reply;
  if (out.status.ok()) {
    RenderText(out.result, text);
    reply.body = WebJson{{"ok", true}, {"command", command}, {"count", session_.state().count}};
    reply.body["result"] = ResultToJson(out.result);
  } else {
    RenderError(out.status, text);
    reply = Failure(out.status, command);
    reply.body["count"] = session_.state().count;
  }
  reply.body["output"] = text.str();
  reply.body["progress"] = progress.lines();
  return reply;
}

WebReply WebApi::Upload(const WebJson& body) {
  const auto usage = [](std::string why) {
    return Failure(InvalidArgument(
        why + "; POST /v1/upload takes {\"fileName\": \"<a file name>\", \"content\": \"<its text>\"}"));
  };
  if (!body.contains("fileName") || !body["fileName"].is_string() || !body.contains("content") ||
      !body["content"].is_string() || body.size() != 2) {
    return usage("the upload is not of the expected form");
  }
  const std::string name = body["fileName"].get<std::string>();
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return usage("the file name '" + name + "' is not a plain file name (no '/', not '.' or '..')");
  }
  const std::string& content = body["content"].get_ref<const std::string&>();
  if (content.size() > kMaxUploadBytes) {
    return usage("the file is " + std::to_string(content.size()) + " bytes, more than the " +
                 std::to_string(kMaxUploadBytes) + " an upload may hold");
  }
  if (closed_) return Failure(Unavailable("SWCI is shutting down"));
  MutexLock lock(mu_);
  namespace fs = std::filesystem;
  const fs::path target = session_.state().cwd / name;
  std::error_code ec;
  if (fs::is_directory(target, ec))
    return Failure(InvalidArgument("'" + target.string() + "' is a directory"));
  // Written beside the target and renamed over it: a reader sees the old file or the new one.
  const fs::path tmp = session_.state().cwd / ("." + name + ".upload");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return Failure(Internal("cannot write '" + tmp.string() + "' in SWCI's current directory"));
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Failure(Internal("cannot put '" + target.string() + "' in place: " + ec.message()));
  }
  const std::string line = "FILE UPLOADED : " + target.string();
  return {
      200,
      WebJson{{"ok", true}, {"path", target.string()}, {"bytes", content.size()}, {"output", line + "\n"}}};
}

void WebApi::Close() {
  closed_ = true;
  session_.stop().Request(0);
}

}  // namespace swarm::swci
