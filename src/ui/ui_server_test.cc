// The UI's server over real HTTP(S) with a fake SN: the page and its libraries, the state
// with its ETag, and the access token: write actions need it, a non-loopback listen needs
// HTTPS and a token, and there every /api request needs it.

#include "ui/ui_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/test_util.h"
#include "pki/test_certs.h"
#include "swci/testing/fake_sn_api.h"

namespace swarm::ui {
namespace {

using ::testing::HasSubstr;

class UiServerTest : public ::testing::Test {
 protected:
  UiServerTest() : client_(swci::testing::MakeFakeSnApi(sn_, "127.0.0.1:30304")) {
    monitor_ = std::make_unique<Monitor>(client_.get(), nullptr, [] { return int64_t{1}; });
    swci::Services s;
    s.connect = [this](const snapi::Endpoint& e) -> StatusOr<std::unique_ptr<snapi::SnApi>> {
      return swci::testing::MakeFakeSnApi(sn_, e.ToString());
    };
    s.clock = &clock_;
    session_ = std::make_unique<swci::Session>(std::move(s), dir_.path());
  }

  Status Serve(UiOptions o) {
    o.poll_every = std::chrono::milliseconds(20);
    auto u = UiServer::Start(*monitor_, *session_, std::move(o));
    if (!u.ok()) return u.status();
    server_ = std::move(u).value();
    return Status::Ok();
  }
  httplib::Client Client() { return httplib::Client("127.0.0.1", server_->port()); }
  static httplib::Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

  swci::testing::FakeSn sn_;
  std::unique_ptr<snapi::SnApi> client_;
  swci::testing::FakeClock clock_;
  swarm::testing::ScopedTempDir dir_;
  std::unique_ptr<Monitor> monitor_;
  std::unique_ptr<swci::Session> session_;
  std::unique_ptr<UiServer> server_;
};

nlohmann::json Json(const std::string& body) { return nlohmann::json::parse(body); }

const char kCreate[] = R"({"contextName": "c", "ip": "127.0.0.1"})";

TEST_F(UiServerTest, ThePageAndItsStateWithAnETag) {
  UiOptions o;
  o.token = "s3cret";
  ASSERT_TRUE(Serve(o).ok());
  EXPECT_THAT(server_->Url(), HasSubstr("/?token=s3cret"));
  auto c = Client();
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("<title>Swarm</title>"));
  EXPECT_THAT(c.Get("/app.js")->get_header_value("Content-Type"), HasSubstr("javascript"));
  auto state = c.Get("/api/state");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, 200);
  EXPECT_EQ(Json(state->body)["can_write"], false);
  const std::string etag = state->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(c.Get("/api/state", {{"If-None-Match", etag}})->status, 304);
  auto mine = c.Get("/api/state", Bearer("s3cret"));
  EXPECT_EQ(Json(mine->body)["can_write"], true);
  EXPECT_NE(mine->get_header_value("ETag"), etag) << "a token holder's view differs: its ETag too";
  auto unknown = c.Get("/api/launch");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_THAT(unknown->body, HasSubstr("the UI has no GET /api/launch"));
}

TEST_F(UiServerTest, WriteActionsNeedTheTokenAndChangeNothingWithoutIt) {
  UiOptions o;
  o.token = "s3cret";
  ASSERT_TRUE(Serve(o).ok());
  auto c = Client();
  auto refused = c.Post("/api/swci/commands/create-context", kCreate, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_THAT(refused->body, HasSubstr("need the UI's access token"));
  auto wrong = c.Post("/api/swci/commands/create-context", Bearer("s3cre"), kCreate, "application/json");
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(session_->state().contexts.count("c"), 0u);
  auto ok = c.Post("/api/swci/commands/create-context", Bearer("s3cret"), kCreate, "application/json");
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_THAT(ok->body, HasSubstr("CONTEXT CREATED : c"));
  EXPECT_EQ(session_->state().contexts.count("c"), 1u);
}

TEST_F(UiServerTest, WithoutATokenTheWriteActionsAreOff) {
  ASSERT_TRUE(Serve(UiOptions()).ok());
  auto r = Client().Post("/api/swci/commands/create-context", kCreate, "application/json");
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("started without an access token"));
  EXPECT_EQ(Client().Get("/api/state")->status, 200) << "reads stay open on loopback";
}

TEST_F(UiServerTest, ANonLoopbackListenNeedsHttpsAndAToken) {
  UiOptions o;
  o.http.host = "0.0.0.0";
  o.token = "s3cret";
  Status s = Serve(o);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("not loopback: it then serves HTTPS only"));
  pki::testing::TestCerts certs;
  o.http.tls = certs.Identity(pki::Role::kSwci, 1);
  o.token.clear();
  EXPECT_THAT(Serve(o).message(), HasSubstr("needs an access token"));
  o.token = "s3cret";
  ASSERT_TRUE(Serve(o).ok());
  httplib::SSLClient c("127.0.0.1", server_->port());
  c.enable_server_certificate_verification(false);
  auto page = c.Get("/");
  ASSERT_TRUE(page) << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200) << "the page holds no data";
  auto state = c.Get("/api/state");
  EXPECT_EQ(state->status, 401);
  EXPECT_THAT(state->body, HasSubstr("needs its access token"));
  EXPECT_EQ(c.Get("/api/state", Bearer("s3cret"))->status, 200);
  EXPECT_EQ(c.Get("/api/state?token=s3cret")->status, 200);
}

TEST_F(UiServerTest, AMissingLibrarySaysWhichPackageToInstall) {
  UiOptions o;
  o.assets_dir = dir_.path() / "none";
  ASSERT_TRUE(Serve(o).ok());
  auto r = Client().Get("/vendor/chart.min.js");
  EXPECT_EQ(r->status, 404);
  EXPECT_THAT(r->body, HasSubstr("install libjs-chart.js"));
}

TEST_F(UiServerTest, VerifyAndBlocksComeFromTheSn) {
  ASSERT_TRUE(Serve(UiOptions()).ok());
  sn_.verify.set_ok(true);
  sn_.verify.set_blocks(3);
  swarm::v1::BlockSummary b;
  b.set_height(1);
  b.set_appended_by("sn-1");
  b.add_transactions()->set_type("register_node");
  sn_.blocks.push_back(b);
  auto c = Client();
  auto v = c.Post("/api/verify", "{}", "application/json");
  EXPECT_EQ(v->status, 200) << v->body;
  EXPECT_EQ(Json(v->body)["blocks"], 3);
  EXPECT_EQ(c.Post("/api/verify", "{\"sn\": 5}", "application/json")->status, 400);
  auto blocks = c.Get("/api/blocks?limit=10");
  EXPECT_EQ(blocks->status, 200);
  EXPECT_THAT(blocks->body, HasSubstr("register_node"));
  EXPECT_EQ(c.Get("/api/blocks?limit=ten")->status, 400);
}

}  // namespace
}  // namespace swarm::ui
