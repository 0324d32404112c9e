#include "sl/ml_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swarm::sl {
namespace {
using ::testing::HasSubstr;

TEST(MlViewTest, MapsThroughTheLongestMountOrFallsBack) {
  const std::vector<ViewMount> view = {{"/tmp/test", "/srv/w"}, {"/tmp/test/app-data", "/data/user1"}};
  EXPECT_EQ(HostPathOf("/tmp/test/app-data/model", view, "/fb"), "/data/user1/model");
  EXPECT_EQ(HostPathOf("/tmp/test/app-data", view, "/fb"), "/data/user1");
  EXPECT_EQ(HostPathOf("/tmp/test/model/../x", view, "/fb"), "/srv/w/x");
  EXPECT_EQ(HostPathOf("/tmp/other", view, "/fb"), "/fb");
  EXPECT_EQ(HostPathOf("/tmp/testing", view, "/fb"), "/fb");  // a prefix of the name is not a parent
  EXPECT_EQ(HostPathOf("/tmp/other", {}, "/fb"), "/tmp/other");  // no view: the host's own path
}

TEST(MlViewTest, ParsesTargetEqualsSource) {
  auto m = ParseViewMount("/tmp/test/model=/srv/model");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->target, "/tmp/test/model");
  EXPECT_EQ(m->source, "/srv/model");
  EXPECT_THAT(ParseViewMount("/a").status().message(), HasSubstr("is not TARGET=SOURCE"));
  EXPECT_THAT(ParseViewMount("a=/b").status().message(), HasSubstr("must be absolute"));
}

}  // namespace
}  // namespace swarm::sl
