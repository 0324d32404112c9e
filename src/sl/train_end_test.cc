#include "sl/train_end.h"

#include <gtest/gtest.h>

namespace swarm::sl {
namespace {

Digest D(uint8_t b) {
  Digest d;
  d.bytes.fill(b);
  return d;
}

TEST(TrainEndTest, SnapshotAlwaysContributesTheFinalLocalWeights) {
  EXPECT_EQ(TrainEndContribution("snapshot", D(1), std::nullopt), D(1));
  EXPECT_EQ(TrainEndContribution("snapshot", D(1), D(2)), D(1));  // it does not accept merged weights
}

TEST(TrainEndTest, InactiveContributesNothing) {
  EXPECT_EQ(TrainEndContribution("inactive", D(1), std::nullopt), std::nullopt);
  EXPECT_EQ(TrainEndContribution("inactive", D(1), D(2)), std::nullopt);
}

TEST(TrainEndTest, ActiveHandsBackTheLatestMergedWeights) {
  EXPECT_EQ(TrainEndContribution("active", D(1), std::nullopt), D(1));  // no merge since it finished yet
  EXPECT_EQ(TrainEndContribution("active", D(1), D(2)), D(2));
}

}  // namespace
}  // namespace swarm::sl
