// The agent against a scripted SN and a resource manager whose workloads the test ends:
// no processes, no clock.

#include "swop/agent.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snapi/testing/unimplemented_sn_api.h"
#include "taskdef/body_lines.h"

namespace swarm::swop {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using swarm::v1::PeerState;

// Answers GetTaskRunner and GetTask from fields the test sets; records every report.
class ScriptedSn final : public snapi::testing::UnimplementedSnApi {
 public:
  swarm::v1::TaskRunnerInfo tr;
  std::map<std::string, swarm::v1::TaskInfo> tasks;
  std::vector<swarm::v1::ReportTaskPeer> reports;
  int unavailable = 0;  // the next N submissions find no SN

  std::string target() const override { return "sn:1"; }
  Status Health() override { return Status::Ok(); }
  StatusOr<uint64_t> Submit(std::vector<swarm::v1::Transaction> txs) override {
    if (unavailable > 0 && unavailable--) return Unavailable("no SN answered");
    for (const auto& tx : txs) reports.push_back(tx.report_task_peer());
    return reports.size();
  }
  StatusOr<swarm::v1::TaskRunnerInfo> GetTaskRunner(const std::string&) override { return tr; }
  StatusOr<swarm::v1::TaskInfo> GetTask(const std::string& name) override {
    if (!tasks.count(name)) return NotFound("no task " + name);
    return tasks[name];
  }
};

struct FakeWorkload final : Workload {
  std::optional<ExitStatus> exit;
  bool stopped = false;
  std::optional<ExitStatus> Poll() override { return exit; }
  ExitStatus Stop(std::chrono::milliseconds) override {
    stopped = true;
    exit = ExitStatus{0, 15};
    return *exit;
  }
  std::string LogTail(int) const override { return "last words"; }
};

class FakeManager final : public ResourceManager {
 public:
  std::vector<FakeWorkload*> launched;  // owned by the task run
  std::vector<SlLaunchSpec> specs;
  std::string_view name() const override { return "FAKE"; }
  Status Supports(std::string_view type) const override {
    if (type == "PULL_IMAGE") return FailedPrecondition("PULL_IMAGE needs a container resource manager");
    return Status::Ok();
  }
  StatusOr<std::unique_ptr<Workload>> Launch(const SlLaunchSpec& spec) override {
    specs.push_back(spec);
    auto w = std::make_unique<FakeWorkload>();
    launched.push_back(w.get());
    return std::unique_ptr<Workload>(std::move(w));
  }
};

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("agent-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    profile_.groupname = "demo";
    profile_.taskrunner = "tr";
    for (int i = 0; i < 2; ++i) {
      SlNodeDef n;
      n.idx = i;
      n.identity = {{"KEY", "BIND", "/k", "/t", {}}, {"CERT", "BIND", "/c", "/t", {}},
                    {"CAPATH", "BIND", "/ca", "/t", {}}};
      profile_.nodes.push_back(n);
    }
    env_.profile = &profile_;
    env_.manager = &manager_;
    env_.swop_uid = "swop-a";
    env_.usr_dir = dir_;
    env_.data_dir = dir_ / "data";
    env_.sn_endpoints = "sn:1";
    taskdef::RunSwarmBody body{"model/x.py", "python3", "/tmp/test", {}, std::nullopt, {}};
    AddTask("run", "RUN_SWARM", taskdef::BodyLines(taskdef::TaskBody(body)));
    taskdef::PullImageBody pull{"1.0", "repo", "org/", {}};
    AddTask("pull", "PULL_IMAGE", taskdef::BodyLines(taskdef::TaskBody(pull)));
  }
  void TearDown() override { fs::remove_all(dir_); }
  void AddTask(const std::string& name, const std::string& type, const std::vector<std::string>& lines) {
    swarm::v1::TaskInfo t;
    t.set_name(name);
    t.set_type(type);
    t.set_finalized(true);
    for (const auto& l : lines) t.add_body(l);
    sn_.tasks[name] = t;
  }
  void Assign(const std::string& task, uint64_t n) {
    sn_.tr.set_task(task);
    sn_.tr.set_assignment(n);
    sn_.tr.set_state(swarm::v1::TASK_STATE_ACTIVE);
  }
  fs::path dir_;
  SwopProfile profile_;
  ScriptedSn sn_;
  FakeManager manager_;
  TaskEnv env_;
};

TEST_F(AgentTest, RunsOnePairPerNodeAndReportsEachUntilTheyEnd) {
  Agent agent(&sn_, env_, {"tr", std::chrono::milliseconds(1)});
  agent.Turn();
  EXPECT_TRUE(manager_.launched.empty());  // nothing assigned yet
  Assign("run", 1);
  agent.Turn();
  ASSERT_EQ(manager_.launched.size(), 2u);
  EXPECT_EQ(manager_.specs[1].parent_uid, "swop-a");
  ASSERT_EQ(sn_.reports.size(), 1u);
  EXPECT_EQ(sn_.reports[0].assignment(), 1u);
  EXPECT_EQ(sn_.reports[0].state(), swarm::v1::PEER_STATE_RUNNING);
  EXPECT_EQ(sn_.reports[0].sl_peers_planned(), 2u);
  ASSERT_EQ(sn_.reports[0].sl_peers_size(), 2);
  EXPECT_EQ(sn_.reports[0].sl_peers(0).uid().size(), 32u);  // the SL's uid, made before it starts
  agent.Turn();
  EXPECT_EQ(sn_.reports.size(), 1u);  // nothing changed: nothing reported
  manager_.launched[0]->exit = ExitStatus{0, 0};
  manager_.launched[1]->exit = ExitStatus{3, 0};
  agent.Turn();
  ASSERT_EQ(sn_.reports.size(), 2u);
  const auto& last = sn_.reports[1];
  EXPECT_EQ(last.sl_peers(0).state(), swarm::v1::PEER_STATE_COMPLETED);
  EXPECT_EQ(last.sl_peers(1).state(), swarm::v1::PEER_STATE_FAILED);
  EXPECT_THAT(last.sl_peers(1).description(), HasSubstr("exited with status 3"));
  EXPECT_THAT(last.sl_peers(1).description(), HasSubstr("last words"));
  EXPECT_FALSE(agent.running());
  agent.Turn();  // the same assignment is not taken up twice
  EXPECT_EQ(manager_.launched.size(), 2u);
}

TEST_F(AgentTest, AReportNoSnTookIsSentAgainBeforeTheRunEnds) {
  Agent agent(&sn_, env_, {"tr", std::chrono::milliseconds(1)});
  Assign("run", 1);
  agent.Turn();
  ASSERT_EQ(sn_.reports.size(), 1u);
  manager_.launched[0]->exit = ExitStatus{0, 0};
  manager_.launched[1]->exit = ExitStatus{0, 0};
  sn_.unavailable = 2;
  agent.Turn();  // the final report is lost on the way
  EXPECT_EQ(sn_.reports.size(), 1u);
  EXPECT_TRUE(agent.running());  // kept until its last report is in
  agent.Turn();  // still no SN
  EXPECT_EQ(sn_.reports.size(), 1u);
  agent.Turn();
  ASSERT_EQ(sn_.reports.size(), 2u);
  EXPECT_EQ(sn_.reports[1].state(), swarm::v1::PEER_STATE_COMPLETED);
  agent.Turn();
  EXPECT_FALSE(agent.running());
  EXPECT_EQ(sn_.reports.size(), 2u);
}

TEST_F(AgentTest, AResetStopsWhatTheTaskStarted) {
  Agent agent(&sn_, env_, {"tr", std::chrono::milliseconds(1)});
  Assign("run", 4);
  agent.Turn();
  ASSERT_EQ(manager_.launched.size(), 2u);
  sn_.tr.set_assignment(0);
  sn_.tr.set_state(swarm::v1::TASK_STATE_UNSPECIFIED);
  agent.Turn();
  EXPECT_FALSE(agent.running());
  EXPECT_TRUE(manager_.launched[0]->stopped);
  EXPECT_TRUE(manager_.launched[1]->stopped);
  EXPECT_EQ(sn_.reports.size(), 1u);  // a reset assignment takes no report
}

TEST_F(AgentTest, ARestartedSwopReportsThePairsOfItsPreviousLifeFailedAndStartsNothing) {
  Assign("run", 2);
  auto* me = sn_.tr.add_peers();
  me->set_uid("swop-a");
  me->set_reported(true);
  me->set_state(swarm::v1::PEER_STATE_RUNNING);
  me->set_sl_peers_planned(1);
  auto* sl = me->add_sl_peers();
  sl->set_uid("sl-1");
  sl->set_state(swarm::v1::PEER_STATE_RUNNING);
  Agent agent(&sn_, env_, {"tr", std::chrono::milliseconds(1)});
  agent.Turn();
  EXPECT_TRUE(manager_.launched.empty());
  ASSERT_EQ(sn_.reports.size(), 1u);
  EXPECT_EQ(sn_.reports[0].state(), swarm::v1::PEER_STATE_FAILED);
  EXPECT_THAT(sn_.reports[0].description(), HasSubstr("restarts nothing by itself"));
  EXPECT_EQ(sn_.reports[0].sl_peers(0).state(), swarm::v1::PEER_STATE_FAILED);
}

TEST_F(AgentTest, ATaskTheManagerCannotRunIsThisSwopsFailure) {
  Agent agent(&sn_, env_, {"tr", std::chrono::milliseconds(1)});
  Assign("pull", 1);
  agent.Turn();
  ASSERT_EQ(sn_.reports.size(), 1u);
  EXPECT_EQ(sn_.reports[0].state(), swarm::v1::PEER_STATE_FAILED);
  EXPECT_THAT(sn_.reports[0].description(), HasSubstr("needs a container resource manager"));
}

}  // namespace
}  // namespace swarm::swop
