#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snapi/sn_api.h"

namespace swarm::snapi {
namespace {
using ::testing::HasSubstr;

// An SN whose health check answers from a script; nothing else is called.
class HealthScript final : public SnApi {
 public:
  explicit HealthScript(std::vector<Status> answers) : answers_(std::move(answers)) {}
  int calls = 0;

  std::string target() const override { return "127.0.0.1:30304"; }
  Status Health() override {
    const size_t i = std::min<size_t>(static_cast<size_t>(calls++), answers_.size() - 1);
    return answers_[i];
  }
  StatusOr<uint64_t> Submit(std::vector<swarm::v1::Transaction>) override { return No(); }
  Status KeepAlive(const std::string&) override { return No(); }
  StatusOr<swarm::v1::ListNodesResponse> ListNodes() override { return No(); }
  StatusOr<swarm::v1::VersionInfo> GetVersion() override { return No(); }
  StatusOr<swarm::v1::ListContractsResponse> ListContracts() override { return No(); }
  StatusOr<swarm::v1::ContractInfo> GetContract(const std::string&) override { return No(); }
  StatusOr<swarm::v1::TrainingInfo> GetTraining(const std::string&) override { return No(); }
  Status ReportProgress(const swarm::v1::Progress&) override { return No(); }
  StatusOr<swarm::v1::ListProgressResponse> ListProgress(const std::string&) override { return No(); }
  StatusOr<swarm::v1::TaskInfo> GetTask(const std::string&) override { return No(); }
  StatusOr<swarm::v1::ListTasksResponse> ListTasks() override { return No(); }
  StatusOr<swarm::v1::TaskRunnerInfo> GetTaskRunner(const std::string&) override { return No(); }
  StatusOr<swarm::v1::ListTaskRunnersResponse> ListTaskRunners() override { return No(); }
  StatusOr<swarm::v1::JoinResponse> Join(const swarm::v1::JoinRequest&) override { return No(); }
  StatusOr<swarm::v1::VerifyResponse> Verify() override { return No(); }

 private:
  static Status No() { return Unimplemented("not in this test"); }
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
