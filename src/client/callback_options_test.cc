#include "client/callback_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/swarm_callback.h"

namespace swarm {
namespace {
using ::testing::HasSubstr;

TEST(CallbackOptionsTest, DefaultsWithTheMandatoryParametersAreValid) {
  SwarmCallbackOptions o;
  o.sync_frequency = 128;
  o.min_peers = 2;
  EXPECT_TRUE(ValidateOptions(o).ok());
}

TEST(CallbackOptionsTest, EachRuleNamesItsParameterAndTheValue) {
  const auto refused = [](auto change) {
    SwarmCallbackOptions o;
    o.sync_frequency = 128;
    o.min_peers = 2;
    change(o);
    return ValidateOptions(o).message();
  };
  EXPECT_THAT(refused([](auto& o) { o.sync_frequency = 0; }),
              HasSubstr("syncFrequency must be a positive integer; got 0"));
  EXPECT_THAT(refused([](auto& o) { o.min_peers = -3; }),
              HasSubstr("minPeers must be a positive integer; got -3"));
  EXPECT_THAT(refused([](auto& o) { o.node_weightage = 101; }),
              HasSubstr("nodeWeightage must be an integer from 1 to 100; got 101"));
  EXPECT_THAT(refused([](auto& o) { o.merge_method = "avg"; }),
              HasSubstr("mergeMethod must be one of mean, coordmedian, geomedian; got 'avg'"));
  EXPECT_THAT(refused([](auto& o) { o.checkin_model_on_train_end = "x"; }),
              HasSubstr("checkinModelOnTrainEnd must be one of"));
  EXPECT_THAT(refused([](auto& o) { o.total_epochs = -1; }),
              HasSubstr("totalEpochs must be a positive integer; got -1"));
  EXPECT_THAT(refused([](auto& o) { o.training_contract = ""; }),
              HasSubstr("trainingContract must not be empty"));
}

}  // namespace
}  // namespace swarm
