#include "core/listen_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

TEST(ListenCheckTest, AnAddressOfThisHostIsListenedOnItself) {
  EXPECT_EQ(DefaultListenHost("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(DefaultListenHost("127.0.0.2"), "127.0.0.2");  // all of 127/8 is this host's
  EXPECT_THAT(DefaultListenHost("localhost"), AnyOf("127.0.0.1", "::1"));
}

TEST(ListenCheckTest, AnAddressPeersDialThatIsNotThisHostsListensOnEveryInterface) {
  // Documentation ranges (RFC 5737, RFC 3849): never an address of this host.
  EXPECT_EQ(DefaultListenHost("203.0.113.7"), "0.0.0.0");
  EXPECT_EQ(DefaultListenHost("2001:db8::7"), "::");
  EXPECT_EQ(DefaultListenHost("no-such-host.invalid"), "0.0.0.0");
}

TEST(ListenCheckTest, HostPortBracketsAnIpv6AddressOnce) {
  EXPECT_EQ(HostPort("10.0.0.1", 30304), "10.0.0.1:30304");
  EXPECT_EQ(HostPort("::1", 30304), "[::1]:30304");
  EXPECT_EQ(HostPort("[::1]", 30304), "[::1]:30304");
  EXPECT_EQ(HostPort("host-1.example", 443), "host-1.example:443");
}

TEST(ListenCheckTest, LoopbackHosts) {
  for (const char* h : {"127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost"})
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  for (const char* h : {"10.0.0.1", "0.0.0.0", "host-1.example", "::", "128.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
}

TEST(ListenCheckTest, AnAddressNotOfThisHostIsNamed) {
  EXPECT_THAT(ListenProblem("203.0.113.7", 0), HasSubstr("'203.0.113.7' is not an address of this host"));
  EXPECT_EQ(ListenProblem("127.0.0.1", 0), "");
}

}  // namespace
}  // namespace swarm
