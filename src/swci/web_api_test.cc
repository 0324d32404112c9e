// The REST API's rules without sockets: a WebApi over a Session whose SN is a fake.

#include "swci/web_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "swci/testing/fake_sn_api.h"

namespace swarm::swci {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

class WebApiTest : public ::testing::Test {
 protected:
  WebApiTest() {
    Services s;
    s.connect = [this](const snapi::Endpoint& e) -> StatusOr<std::unique_ptr<snapi::SnApi>> {
      return testing::MakeFakeSnApi(sn_, e.ToString());
    };
    s.clock = &clock_;
    session_ = std::make_unique<Session>(std::move(s), fs::temp_directory_path());
    api_ = std::make_unique<WebApi>(*session_);
  }

  WebReply Post(const std::string& path, const WebJson& body) {
    return api_->Handle("POST", path, body.dump());
  }
  std::string Message(const WebReply& r) { return r.body["error"]["message"].get<std::string>(); }
  void Connect() {
    ASSERT_EQ(Post("/v1/commands/create-context", {{"contextName", "c"}, {"ip", "127.0.0.1"}}).http_status,
              200);
    ASSERT_EQ(Post("/v1/commands/switch-context", {{"contextName", "c"}}).http_status, 200);
  }

  testing::FakeSn sn_;
  testing::FakeClock clock_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<WebApi> api_;
};

TEST_F(WebApiTest, EveryCommandOfTheRegistryIsListedWithItsEndpointAndParameters) {
  WebReply r = api_->Handle("GET", "/v1/commands", "");
  ASSERT_EQ(r.http_status, 200);
  const auto& commands = r.body["commands"];
  EXPECT_EQ(commands.size(), session_->registry().All().size());
  std::vector<std::string> forms;
  for (const auto& c : commands) {
    if (c["name"] != "CREATE CONTEXT") continue;
    forms.push_back(c["endpoint"]);  // its two forms, each with an endpoint of its own
    EXPECT_EQ(c["method"], "POST");
    ASSERT_GE(c["params"].size(), 2u);
    EXPECT_EQ(c["params"][0]["name"], "contextName");
    EXPECT_EQ(c["params"][0]["required"], true);
    EXPECT_EQ(c["params"][1]["name"], forms.size() == 1 ? "ip" : "service");
  }
  EXPECT_EQ(forms, (std::vector<std::string>{"/v1/commands/create-context",
                                             "/v1/commands/create-context-with-service"}));
}

// The reference in docs/ is the registry's, not written twice.
TEST_F(WebApiTest, TheApiReferenceInTheDocsIsTheRegistrys) {
  const fs::path doc = fs::path(SWARM_SOURCE_DIR) / "docs" / "swci-web-api.md";
  const std::string md = ApiReferenceMarkdown(api_->ListCommands());
  if (std::getenv("SWARM_UPDATE_DOCS") != nullptr) std::ofstream(doc) << md;
  std::ifstream in(doc);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, md) << doc << " differs from the registry: SWARM_UPDATE_DOCS=1 swci_test "
                      << "--gtest_filter='*ApiReference*' writes it anew";
  EXPECT_THAT(md, HasSubstr("| `POST /v1/commands/create-context` | `contextName` (string), `ip` (string)"));
}

TEST_F(WebApiTest, ACommandRunsWithItsParametersByNameAndAnswersDataAndTheTranscript) {
  WebReply r =
      Post("/v1/commands/create-context", {{"contextName", "c"}, {"ip", "127.0.0.1"}, {"port", 7000}});
  ASSERT_EQ(r.http_status, 200) << r.body.dump();
  EXPECT_EQ(r.body["ok"], true);
  EXPECT_EQ(r.body["command"], "CREATE CONTEXT c WITH IP 127.0.0.1 7000");
  EXPECT_EQ(r.body["output"], "API Server is UP!\nCONTEXT CREATED : c\n");
  EXPECT_EQ(r.body["result"][0]["type"], "message");
  EXPECT_EQ(r.body["count"], 1);
  ASSERT_EQ(Post("/v1/commands/switch-context", {{"contextName", "c"}}).http_status, 200);
  WebReply info = Post("/v1/commands/get-context-info", WebJson::object());
  ASSERT_EQ(info.http_status, 200) << info.body.dump();
  EXPECT_EQ(info.body["result"][0]["type"], "record");
  EXPECT_EQ(info.body["result"][0]["fields"]["Name"], "c");
  EXPECT_EQ(info.body["result"][0]["fields"]["Port"], "7000");
}

TEST_F(WebApiTest, ALineRunsAsAtThePrompt) {
  Connect();
  WebReply r = Post("/v1/execute", {{"command", "LIST CONTRACTS"}});
  ASSERT_EQ(r.http_status, 200) << r.body.dump();
  EXPECT_EQ(r.body["result"][0]["type"], "message");
  EXPECT_EQ(r.body["command"], "LIST CONTRACTS");
  WebReply empty = Post("/v1/execute", {{"command", "  # only a comment"}});
  EXPECT_EQ(empty.http_status, 400);
  EXPECT_EQ(Message(empty), "the command line is empty");
  WebReply bad = Post("/v1/execute", {{"line", "LIST NODES"}});
  EXPECT_EQ(bad.http_status, 400);
  EXPECT_THAT(Message(bad), HasSubstr("takes {\"command\": \"<an SWCI command line>\"}"));
}

TEST_F(WebApiTest, AFailedCommandHasThePromptsMessageAndAMappedStatus) {
  WebReply no_context = Post("/v1/commands/list-contracts", WebJson::object());
  EXPECT_EQ(no_context.http_status / 100, 4) << no_context.body.dump();
  EXPECT_EQ(no_context.body["output"], "ERROR: " + Message(no_context) + "\n");
  Connect();
  WebReply r = Post("/v1/commands/get-contract-status", {{"TrainingContractName", "nope"}});
  EXPECT_EQ(r.http_status, 404) << r.body.dump();
  EXPECT_EQ(r.body["ok"], false);
  EXPECT_EQ(r.body["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(r.body["output"], "ERROR: " + Message(r) + "\n");
}

TEST_F(WebApiTest, MissingUnknownAndIllTypedParametersAreRefusedNamingThemAndTheUsage) {
  WebReply missing = Post("/v1/commands/create-context", {{"contextName", "c"}});
  EXPECT_EQ(missing.http_status, 400);
  EXPECT_THAT(Message(missing), HasSubstr("Usage: CREATE CONTEXT"));
  EXPECT_THAT(Message(missing), HasSubstr("the parameter 'ip' is missing"));
  WebReply unknown =
      Post("/v1/commands/create-context", {{"contextName", "c"}, {"ip", "h"}, {"colour", "red"}});
  EXPECT_EQ(unknown.http_status, 400);
  EXPECT_THAT(
      Message(unknown),
      HasSubstr("unknown parameter 'colour' for CREATE CONTEXT, which takes the parameters contextName, ip"));
  WebReply typed = Post("/v1/commands/create-context", {{"contextName", WebJson::array({1})}, {"ip", "h"}});
  EXPECT_EQ(typed.http_status, 400);
  EXPECT_THAT(Message(typed), HasSubstr("'contextName' of CREATE CONTEXT is JSON array; expected a string"));
  WebReply gap = Post("/v1/commands/wait-for-ip", {{"ip", "127.0.0.1"}, {"retries", 2}});
  EXPECT_EQ(gap.http_status, 400);
  EXPECT_THAT(Message(gap), HasSubstr("'retries' comes after 'port'"));
  // The prompt's own checks still apply to what the JSON gave.
  WebReply range = Post("/v1/commands/create-context", {{"contextName", "c"}, {"ip", "h"}, {"port", 70000}});
  EXPECT_EQ(range.http_status, 400);
  EXPECT_EQ(session_->state().contexts.size(), 0u);  // nothing was made
}

TEST_F(WebApiTest, AFlagIsTrueAndAWordsParameterTakesAListOrALine) {
  WebReply help = Post("/v1/commands/help", {{"command", WebJson::array({"CREATE", "CONTEXT"})}});
  ASSERT_EQ(help.http_status, 200) << help.body.dump();
  EXPECT_THAT(help.body["output"].get<std::string>(), HasSubstr("CREATE CONTEXT <contextName"));
  WebReply line = Post("/v1/commands/help", {{"command", "list contexts"}});
  EXPECT_THAT(line.body["output"].get<std::string>(), HasSubstr("LIST CONTEXTS"));
  EXPECT_EQ(Post("/v1/execute", {{"command", "RESET CONTRACT x FORCE"}}).body["command"],
            "RESET CONTRACT x FORCE");
  WebReply flag = Post("/v1/commands/reset-contract", {{"TrainingContractName", "x"}, {"FORCE", true}});
  EXPECT_EQ(flag.body["command"], "RESET CONTRACT x FORCE");
  WebReply off = Post("/v1/commands/reset-contract", {{"TrainingContractName", "x"}, {"FORCE", false}});
  EXPECT_EQ(off.body["command"], "RESET CONTRACT x");
}

TEST_F(WebApiTest, UnknownPathsAndMethodsAreRefusedPointingToTheList) {
  WebReply path = api_->Handle("GET", "/v2/things", "");
  EXPECT_EQ(path.http_status, 404);
  EXPECT_THAT(Message(path), HasSubstr("no endpoint GET /v2/things; the API is GET /v1/commands"));
  WebReply command = Post("/v1/commands/launch-rocket", WebJson::object());
  EXPECT_EQ(command.http_status, 404);
  EXPECT_THAT(Message(command), HasSubstr("no SWCI command has the endpoint /v1/commands/launch-rocket"));
  WebReply method = api_->Handle("GET", "/v1/commands/list-nodes", "");
  EXPECT_EQ(method.http_status, 405);
  WebReply json = api_->Handle("POST", "/v1/commands/list-nodes", "{nope");
  EXPECT_EQ(json.http_status, 400);
  EXPECT_THAT(Message(json), HasSubstr("not valid JSON"));
  EXPECT_EQ(session_->state().count, 0);  // none of these ran a command
}

TEST_F(WebApiTest, AnUploadLandsInTheCurrentDirectoryWhereCreateTaskFromReadsIt) {
  const fs::path dir = fs::temp_directory_path() / ("web_api_upload_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_EQ(Post("/v1/execute", {{"command", "cd " + dir.string()}}).http_status, 200);
  WebReply up = Post("/v1/upload", {{"fileName", "t.yaml"}, {"content", "Name: t\n"}});
  ASSERT_EQ(up.http_status, 200) << up.body.dump();
  EXPECT_EQ(up.body["path"], (dir / "t.yaml").string());
  std::ifstream in(dir / "t.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "Name: t\n");
  for (const WebJson& bad : {WebJson{{"fileName", "../t.yaml"}, {"content", "x"}},
                             WebJson{{"fileName", "t.yaml"}}, WebJson{{"fileName", ".."}, {"content", ""}}}) {
    WebReply r = Post("/v1/upload", bad);
    EXPECT_EQ(r.http_status, 400) << bad.dump();
    EXPECT_THAT(Message(r), HasSubstr("POST /v1/upload takes {\"fileName\""));
  }
  EXPECT_FALSE(fs::exists(dir.parent_path() / "t.yaml.x"));
  fs::remove_all(dir);
}

TEST_F(WebApiTest, AfterCloseCommandsAreRefused) {
  api_->Close();
  WebReply r = Post("/v1/commands/list-contexts", WebJson::object());
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(Message(r), "SWCI is shutting down");
}

}  // namespace
}  // namespace swarm::swci
