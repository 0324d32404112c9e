#include "http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/json_reply.h"
#include "pki/test_certs.h"

namespace swarm::http {
namespace {

using pki::Role;
using pki::testing::TestCerts;
using ::testing::HasSubstr;

// A server whose one route answers with the caller's identity, or the reason it has none.
class ServerTest : public ::testing::Test {
 protected:
  void Serve(bool tls) {
    ServerOptions o;
    o.name = "test server";
    if (tls) o.tls = certs_.Identity(Role::kSwci, 1);
    auto s = Server::Create(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    server_->http().Get("/who", [this](const httplib::Request& req, httplib::Response& res) {
      auto peer = server_->ClientIdentity(req, {Role::kSwci});
      if (!peer.ok()) return ReplyError(res, peer.status());
      ReplyJson(res, Json{{"cn", peer->common_name}});
    });
    ASSERT_TRUE(server_->Start().ok());
  }

  // GET /who with the certificate of `role` on `host` (none when host is 0).
  httplib::Result Who(Role role, int host) {
    std::unique_ptr<httplib::SSLClient> c;
    if (host == 0) {
      c = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port());
    } else {
      const pki::TlsFiles f = host == -1 ? certs_.Expired(role) : certs_.Files(role, host);
      c = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port(), f.cert.string(), f.key.string());
    }
    c->enable_server_certificate_verification(false);
    return c->Get("/who");
  }

  static Json Body(const httplib::Result& r) { return Json::parse(r->body); }

  TestCerts certs_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, ATrustedClientCertificateOfTheRightRoleNamesItsOwner) {
  Serve(true);
  EXPECT_THAT(server_->Url(), HasSubstr("https://127.0.0.1:"));
  auto r = Who(Role::kSwci, 2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["cn"], "swci-2");
}

TEST_F(ServerTest, NoClientCertificateIsAJsonErrorSayingWhatIsExpected) {
  Serve(true);
  auto r = Who(Role::kSwci, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Body(r)["error"]["code"], "UNAUTHENTICATED");
  EXPECT_THAT(Body(r)["error"]["message"].get<std::string>(),
              HasSubstr("no client certificate was presented; expected a certificate of role swci"));
}

TEST_F(ServerTest, ACertificateOfAnotherRoleIsForbiddenNamingTheRoles) {
  Serve(true);
  auto r = Who(Role::kSl, 1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(Body(r)["error"]["message"].get<std::string>(),
              HasSubstr("has role sl; test server takes a certificate of role swci"));
}

TEST_F(ServerTest, UntrustedAndExpiredCertificatesAreRefusedSayingWhy) {
  Serve(true);
  auto unknown = Who(Role::kSwci, 3);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_THAT(Body(unknown)["error"]["message"].get<std::string>(), HasSubstr("unknown CA"));
  auto expired = Who(Role::kSwci, -1);
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->status, 401);
  EXPECT_THAT(Body(expired)["error"]["message"].get<std::string>(), HasSubstr("expired"));
}

TEST_F(ServerTest, PlainHttpHasNoClientIdentity) {
  Serve(false);
  httplib::Client c("127.0.0.1", server_->port());
  auto r = c.Get("/who");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_THAT(Body(r)["error"]["message"].get<std::string>(), HasSubstr("over HTTPS only"));
}

TEST_F(ServerTest, APortInUseIsAnErrorNamingIt) {
  Serve(false);
  ServerOptions o;
  o.name = "second";
  o.port = server_->port();
  auto second = Server::Create(o);
  ASSERT_TRUE(second.ok());
  Status s = (*second)->Start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("second: "));
  EXPECT_THAT(s.message(), HasSubstr(std::to_string(server_->port())));
}

TEST(JsonReplyTest, StatusCodesMapAsGrpcGatewayMapsThem) {
  EXPECT_EQ(HttpStatus(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatus(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatus(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatus(StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatus(StatusCode::kInternal), 500);
}

TEST(JsonReplyTest, BodiesThatAreNotAJsonObjectAreRefusedSayingWhere) {
  httplib::Request req;
  EXPECT_TRUE(ParseJsonObject(req).ok());  // empty: {}
  req.body = "{\"a\": 1";
  auto bad = ParseJsonObject(req);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("not valid JSON (byte"));
  req.body = "[1, 2]";
  EXPECT_THAT(ParseJsonObject(req).status().message(), HasSubstr("is JSON array; expected a JSON object"));
  req.body = "{\"a\": 1}";
  EXPECT_EQ((*ParseJsonObject(req))["a"], 1);
}

}  // namespace
}  // namespace swarm::http
