#include "client/adaptive_sync.h"

#include <gtest/gtest.h>

#include <limits>

namespace swarm {
namespace {

TEST(AdaptiveSyncTest, FirstLossOnlySetsTheBaseline) {
  AdaptiveSync a(100);
  EXPECT_EQ(a.frequency(), 100);
  EXPECT_EQ(a.Update(2.0), 100);
}

TEST(AdaptiveSyncTest, ImprovingLossLengthensTheInterval) {
  AdaptiveSync a(100);
  a.Update(2.0);
  EXPECT_EQ(a.Update(1.5), 150);
  EXPECT_EQ(a.Update(1.2), 225);
}

TEST(AdaptiveSyncTest, LossThatDoesNotImproveShortensIt) {
  AdaptiveSync a(100);
  a.Update(1.0);
  EXPECT_EQ(a.Update(1.0), 50);      // equal is not better
  EXPECT_EQ(a.Update(0.99995), 25);  // within noise of the previous loss is not better
  EXPECT_EQ(a.Update(1.3), 25);      // never below syncFrequency / 4
  EXPECT_EQ(a.Update(1.1), 37);      // better than the previous round: longer again
  EXPECT_EQ(a.previous_loss(), 1.3);
}

TEST(AdaptiveSyncTest, ComparesWithThePreviousRoundNotTheBestSoFar) {
  AdaptiveSync a(100);
  a.Update(0.1);                 // a lucky low loss
  EXPECT_EQ(a.Update(0.9), 50);  // worse
  EXPECT_EQ(a.Update(0.8), 75);  // better than 0.9, though not than 0.1
  EXPECT_EQ(a.Update(0.7), 112);
}

TEST(AdaptiveSyncTest, StaysWithinItsBounds) {
  AdaptiveSync a(8);
  double loss = 10;
  for (int i = 0; i < 30; ++i) a.Update(loss /= 2);
  EXPECT_EQ(a.frequency(), 64);
  EXPECT_EQ(a.max_frequency(), 64);
  for (int i = 0; i < 30; ++i) a.Update(100);
  EXPECT_EQ(a.frequency(), 2);
  AdaptiveSync tiny(1);
  tiny.Update(1);
  EXPECT_EQ(tiny.Update(2), 1);
}

TEST(AdaptiveSyncTest, ANonFiniteLossShortensTheInterval) {
  AdaptiveSync a(40);
  a.Update(1);
  EXPECT_EQ(a.Update(std::numeric_limits<double>::quiet_NaN()), 20);
  EXPECT_EQ(a.Update(std::numeric_limits<double>::infinity()), 10);
  EXPECT_FALSE(a.has_previous());  // the NaN before it is no baseline
  EXPECT_EQ(a.Update(0.5), 10);    // a new baseline after the divergence
  EXPECT_EQ(a.Update(0.4), 15);
}

}  // namespace
}  // namespace swarm
