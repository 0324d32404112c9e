// SWCI's web mode over real HTTPS with real certificates: only swci-role client
// certificates from a trusted CA get through, and refusals change nothing.

#include "swci/web_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pki/test_certs.h"
#include "swci/testing/fake_sn_api.h"

namespace swarm::swci {
namespace {

using pki::Role;
using ::testing::HasSubstr;

class WebServerTest : public ::testing::Test {
 protected:
  WebServerTest() {
    Services s;
    s.connect = [this](const snapi::Endpoint& e) -> StatusOr<std::unique_ptr<snapi::SnApi>> {
      return testing::MakeFakeSnApi(sn_, e.ToString());
    };
    s.clock = &clock_;
    session_ = std::make_unique<Session>(std::move(s), std::filesystem::temp_directory_path());
    http::ServerOptions o;
    o.tls = certs_.Identity(Role::kSwci, 1);
    auto w = WebServer::Start(*session_, std::move(o));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    server_ = std::move(w).value();
  }

  httplib::Result Post(const std::string& path, const std::string& body, Role role, int host) {
    std::unique_ptr<httplib::SSLClient> c;
    if (host == 0) {
      c = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port());
    } else {
      const pki::TlsFiles f = certs_.Files(role, host);
      c = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port(), f.cert.string(), f.key.string());
    }
    c->enable_server_certificate_verification(false);
    return c->Post(path.c_str(), body, "application/json");
  }

  pki::testing::TestCerts certs_;
  testing::FakeSn sn_;
  testing::FakeClock clock_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<WebServer> server_;
};

const char kCreate[] = R"({"contextName": "c", "ip": "127.0.0.1"})";

TEST_F(WebServerTest, AnSwciCertificateRunsCommands) {
  auto r = Post("/v1/commands/create-context", kCreate, Role::kSwci, 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(r->body, HasSubstr("CONTEXT CREATED : c"));
  EXPECT_EQ(session_->state().contexts.count("c"), 1u);
}

TEST_F(WebServerTest, NoCertificateOrAnotherRoleIsRefusedAndChangesNothing) {
  auto none = Post("/v1/commands/create-context", kCreate, Role::kSwci, 0);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_THAT(none->body,
              HasSubstr("no client certificate was presented; expected a certificate of role swci"));
  auto sl = Post("/v1/commands/create-context", kCreate, Role::kSl, 1);
  ASSERT_TRUE(sl);
  EXPECT_EQ(sl->status, 403);
  EXPECT_THAT(sl->body, HasSubstr("has role sl; SWCI web mode takes a certificate of role swci"));
  auto unknown_ca = Post("/v1/commands/create-context", kCreate, Role::kSwci, 3);
  ASSERT_TRUE(unknown_ca);
  EXPECT_EQ(unknown_ca->status, 401);
  EXPECT_EQ(session_->state().count, 0);
  EXPECT_TRUE(session_->state().contexts.empty());
}

TEST_F(WebServerTest, MalformedJsonIsAJsonError) {
  auto r = Post("/v1/commands/create-context", "{\"contextName\": ", Role::kSwci, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("\"code\": \"INVALID_ARGUMENT\""));
  EXPECT_TRUE(session_->state().contexts.empty());
}

}  // namespace
}  // namespace swarm::swci
