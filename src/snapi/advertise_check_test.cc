#include "snapi/advertise_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm::snapi {
namespace {

using ::testing::HasSubstr;

swarm::v1::ListNodesResponse Nodes(std::initializer_list<const char*> hosts) {
  swarm::v1::ListNodesResponse r;
  int i = 0;
  for (const char* h : hosts) {
    auto* rec = r.add_nodes()->mutable_record();
    rec->set_host(h);
    rec->set_name("sn-" + std::to_string(++i));
  }
  return r;
}

TEST(AdvertiseCheckTest, LoopbackIsRefusedOnceAnotherNodeIsElsewhere) {
  Status s = CheckAdvertisedHost("127.0.0.1", Nodes({"127.0.0.1", "10.0.0.2"}), "this SL", "--allow-loopback");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("this SL would advertise 127.0.0.1 (its --host-ip) while node 'sn-2' of the "
                                     "network is at 10.0.0.2"));
  EXPECT_THAT(s.message(), HasSubstr("or --allow-loopback if"));
  EXPECT_EQ(CheckAdvertisedHost("::1", Nodes({"10.0.0.2"}), "x", "y").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckAdvertisedHost("localhost", Nodes({"host-2.example"}), "x", "y").code(),
            StatusCode::kFailedPrecondition);
}

TEST(AdvertiseCheckTest, AllOnLoopbackOrNotAdvertisingLoopbackIsFine) {
  EXPECT_TRUE(CheckAdvertisedHost("127.0.0.1", Nodes({"127.0.0.1", "127.0.1.1", "localhost"}), "x", "y").ok());
  EXPECT_TRUE(CheckAdvertisedHost("127.0.0.1", Nodes({}), "x", "y").ok());
  EXPECT_TRUE(CheckAdvertisedHost("10.0.0.3", Nodes({"127.0.0.1", "10.0.0.2"}), "x", "y").ok());
}

}  // namespace
}  // namespace swarm::snapi
