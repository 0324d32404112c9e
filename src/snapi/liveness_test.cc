#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snapi/sn_api.h"
#include "snapi/testing/unimplemented_sn_api.h"

namespace swarm::snapi {
namespace {
using ::testing::HasSubstr;

// An SN whose health check answers from a script; nothing else is called.
class HealthScript final : public testing::UnimplementedSnApi {
 public:
  explicit HealthScript(std::vector<Status> answers) : answers_(std::move(answers)) {}
  int calls = 0;

  Status Health() override {
    const size_t i = std::min<size_t>(static_cast<size_t>(calls++), answers_.size() - 1);
    return answers_[i];
  }

 private:
  std::vector<Status> answers_;
};

TEST(WaitForSnTest, RetriesAnSnThatIsNotUpYetUntilItAnswers) {
  HealthScript sn({Unavailable("connection refused"), Status::Ok()});
  int retries = 0;
  EXPECT_TRUE(WaitForSn(sn, std::chrono::seconds(10), [&](const Status&) { ++retries; }).ok());
  EXPECT_EQ(retries, 1);
}

// A refusal of this node's certificate does not change by waiting: it ends the wait at once.
TEST(WaitForSnTest, APermanentRefusalIsNotRetried) {
  for (Status refusal : {Unauthenticated("unknown CA: certificate 'CN=sl-2' is issued by 'CN=ca-2'"),
                         PermissionDenied("wrong role")}) {
    HealthScript sn({refusal});
    int retries = 0;
    const Status s = WaitForSn(sn, std::chrono::seconds(120), [&](const Status&) { ++retries; });
    EXPECT_EQ(s.code(), refusal.code());
    EXPECT_THAT(s.message(), HasSubstr(refusal.message()));
    EXPECT_THAT(s.message(), HasSubstr("refused by the SN at 127.0.0.1:30304"));
    EXPECT_EQ(retries, 0);
    EXPECT_EQ(sn.calls, 1);
  }
}

}  // namespace
}  // namespace swarm::snapi
