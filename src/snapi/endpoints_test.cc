#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snapi/sn_api.h"

namespace swarm::snapi {
namespace {
using ::testing::HasSubstr;

TEST(EndpointsTest, HostsPortsAndLists) {
  auto e = ParseEndpoints("10.0.0.1", 30304);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->size(), 1u);
  EXPECT_EQ((*e)[0].ToString(), "10.0.0.1:30304");
  e = ParseEndpoints("sn1.swarm:16000, 10.0.0.2,[::1]:17000", 30304);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[0].ToString(), "sn1.swarm:16000");
  EXPECT_EQ((*e)[1].ToString(), "10.0.0.2:30304");
  EXPECT_EQ((*e)[2].host, "::1");
  EXPECT_EQ((*e)[2].port, 17000);
  EXPECT_EQ((*e)[2].ToString(), "[::1]:17000");  // a gRPC target, and what ParseEndpoints reads back
}

TEST(EndpointsTest, BadInputNamesTheProblem) {
  EXPECT_THAT(ParseEndpoints("a:70000", 30304).status().message(),
              HasSubstr("is 70000; expected a port from 1 to 65535"));
  EXPECT_THAT(ParseEndpoints("a:x", 30304).status().message(), HasSubstr("port 'x' is not a number"));
  EXPECT_THAT(ParseEndpoints("a,,b", 30304).status().message(), HasSubstr("has an empty entry"));
  EXPECT_THAT(ParseEndpoints("::1", 30304).status().message(), HasSubstr("in brackets"));
  EXPECT_THAT(ParseEndpoints(":5", 30304).status().message(), HasSubstr("has no host"));
  EXPECT_THAT(ParseEndpoints("a", 0).status().message(), HasSubstr("expected a port from 1 to 65535"));
  EXPECT_THAT(EndpointsFromFlags({}, 30304).status().message(), HasSubstr("no SN given"));
}

TEST(EndpointsTest, FlagsCombine) {
  auto e = EndpointsFromFlags({"a", "b:2,c"}, 7);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[2].ToString(), "c:7");
}

TEST(EndpointsTest, AServiceIsAnFqdnWithItsDefaultPort) {
  auto e = ParseService("api.sn-1.swarm", kDefaultServicePort, "--sn-api-service");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->ToString(), "api.sn-1.swarm:443");
  e = ParseService("p2p.sn-1.swarm:30313", kDefaultP2pServicePort, "--sn-p2p-service");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->ToString(), "p2p.sn-1.swarm:30313");
  EXPECT_EQ(ParseService("fs.sl-1.swarm.", 443, "f")->host, "fs.sl-1.swarm.");
}

TEST(EndpointsTest, AServiceThatIsNoDnsNameIsRefusedNamingTheFlag) {
  const auto message = [](std::string_view text) {
    return ParseService(text, kDefaultServicePort, "--sl-fs-service").status().message();
  };
  EXPECT_THAT(message("10.0.0.1"),
              HasSubstr("--sl-fs-service '10.0.0.1' is an IP address, not a service name"));
  EXPECT_THAT(message("10.0.0.1:443"), HasSubstr("give an address with --sn-ip or --host-ip instead"));
  EXPECT_THAT(message("[::1]:443"), HasSubstr("is an IPv6 address"));
  EXPECT_THAT(message("fs_sl.swarm"), HasSubstr("'fs_sl.swarm' is not a DNS name"));
  EXPECT_THAT(message("-fs.swarm"), HasSubstr("is not a DNS name"));
  EXPECT_THAT(message("fs..swarm"), HasSubstr("is not a DNS name"));
  EXPECT_THAT(message(std::string(64, 'a') + ".swarm"), HasSubstr("is not a DNS name"));
  EXPECT_THAT(message("a.swarm,b.swarm"), HasSubstr("names more than one service"));
  EXPECT_THAT(message("fs.swarm:0"), HasSubstr("--sl-fs-service"));
  EXPECT_THAT(message("fs.swarm:0"), HasSubstr("expected a port from 1 to 65535"));
  EXPECT_THAT(message(""), HasSubstr("--sl-fs-service is empty; expected an FQDN"));
}

}  // namespace
}  // namespace swarm::snapi
