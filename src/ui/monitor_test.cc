// The UI's monitor over a fake SN: what the SN says now, folded into a view that remembers
// (curves, the rounds timeline, nodes that finished), with a version that moves exactly when
// the view does.

#include "ui/monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snapi/testing/unimplemented_sn_api.h"
#include "swci/testing/fake_sn_api.h"

namespace swarm::ui {
namespace {

using ::testing::HasSubstr;
const char kContract[] = "defaultbb.cqdb.sml.hpe";

class MonitorTest : public ::testing::Test {
 protected:
  MonitorTest() : client_(swci::testing::MakeFakeSnApi(sn_, "127.0.0.1:30304")) {
    AddNode(swarm::v1::NODE_TYPE_SENTINEL, "sn-1", "s1", "127.0.0.1", 30304, "", "");
    AddNode(swarm::v1::NODE_TYPE_SN, "sn-2", "s2", "127.0.0.2", 30304, "", "");
    AddNode(swarm::v1::NODE_TYPE_SWOP, "swop-1", "w1", "127.0.0.1", 30304, "", "127.0.0.1:30304");
    for (const char* sl : {"a", "b"}) {
      AddNode(swarm::v1::NODE_TYPE_SL, std::string("sl-") + sl, sl, "127.0.0.1", 30305, "w1",
              "127.0.0.2:30304");
    }
    auto& t = sn_.trainings[kContract];
    auto* tensor = t.mutable_schema()->add_tensors();
    tensor->set_dtype(swarm::v1::DTYPE_F32);
    tensor->add_shape(1000);
    monitor_ = std::make_unique<Monitor>(
        client_.get(),
        [this](const snapi::Endpoint& e) -> StatusOr<std::unique_ptr<snapi::SnApi>> {
          connected_.push_back(e.ToString());
          return swci::testing::MakeFakeSnApi(other_sn_, e.ToString());
        },
        [this] { return now_ms_; }, MonitorOptions{std::chrono::minutes(1), 3, 2});
  }

  void AddNode(swarm::v1::NodeType type, const std::string& name, const std::string& uid,
               const std::string& host, uint32_t port, const std::string& parent, const std::string& sn) {
    swarm::v1::NodeInfo n;
    n.mutable_record()->set_type(type);
    n.mutable_record()->set_name(name);
    n.mutable_record()->set_uid(uid);
    n.mutable_record()->set_host(host);
    n.mutable_record()->set_port(port);
    n.mutable_record()->set_parent_uid(parent);
    n.mutable_record()->set_sn_endpoint(sn);
    n.set_alive(true);
    sn_.nodes.push_back(n);
  }
  void Report(const std::string& uid, double loss, uint32_t epochs) {
    swarm::v1::Progress p;
    p.set_uid(uid);
    p.set_contract(kContract);
    p.set_loss(loss);
    p.set_metric(1 - loss);
    p.set_epochs_done(epochs);
    p.set_total_epochs(4);
    p.set_updated_unix_ms(now_ms_);
    for (auto& q : sn_.progress) {
      if (q.uid() == uid) q = p;
    }
    if (std::none_of(sn_.progress.begin(), sn_.progress.end(),
                     [&](const auto& q) { return q.uid() == uid; })) {
      sn_.progress.push_back(p);
    }
  }
  // Round `n` open with both SLs checked in, then merged by `a`.
  void Round(uint64_t n, bool merged) {
    auto& t = sn_.trainings[kContract];
    swarm::v1::RoundInfo r;
    r.set_number(n);
    for (const char* uid : {"a", "b"}) {
      auto* c = r.add_checkins();
      c->set_uid(uid);
      c->set_model_digest(std::string(32, 'x'));
    }
    r.set_contributors(2);
    if (!merged) {
      *t.mutable_current() = r;
      return;
    }
    r.set_closed(true);
    r.set_merged_by("a");
    r.set_leader("a");
    r.set_merge_method("mean");
    *t.mutable_last() = r;
    t.mutable_current()->Clear();
    t.mutable_current()->set_number(n + 1);
  }
  nlohmann::ordered_json Contract() { return monitor_->View()["contracts"][0]; }

  swci::testing::FakeSn sn_, other_sn_;
  std::unique_ptr<snapi::SnApi> client_;
  std::vector<std::string> connected_;
  int64_t now_ms_ = 1'000'000;
  std::unique_ptr<Monitor> monitor_;
};

TEST_F(MonitorTest, NodesAreLinkedToTheirSnAndSwopAndEachSnSaysItsHeight) {
  sn_.submissions.resize(7);        // the UI's SN is at height 7
  other_sn_.submissions.resize(5);  // the other one lags
  ASSERT_TRUE(monitor_->Poll().ok());
  auto v = monitor_->View();
  ASSERT_EQ(v["nodes"].size(), 5u);
  for (const auto& n : v["nodes"]) {
    if (n["type"] == "SL") {
      EXPECT_EQ(n["parent"], "w1");
      EXPECT_EQ(n["sn"], "s2") << "matched by the SN endpoint it registered through";
    }
  }
  ASSERT_EQ(v["sns"].size(), 2u);
  EXPECT_EQ(v["sns"][0]["height"], 7);
  EXPECT_EQ(v["sns"][1]["height"], 5);
  EXPECT_EQ(connected_, std::vector<std::string>{"127.0.0.2:30304"})
      << "its own SN is asked through its own client";
}

TEST_F(MonitorTest, CurvesGrowAndTheRoundsTimelineRecordsEachMergeOnce) {
  Round(1, false);
  Report("a", 0.9, 1);
  ASSERT_TRUE(monitor_->Poll().ok());
  now_ms_ += 2000;
  Round(1, true);
  Report("a", 0.5, 2);
  ASSERT_TRUE(monitor_->Poll().ok());
  ASSERT_TRUE(monitor_->Poll().ok());  // nothing new: no second row, no second point
  auto c = Contract();
  ASSERT_EQ(c["rounds"].size(), 1u);
  EXPECT_EQ(c["rounds"][0]["round"], 1);
  EXPECT_EQ(c["rounds"][0]["duration_ms"], 2000);
  EXPECT_EQ(c["rounds"][0]["bytes_moved"], 4000 * 3) << "two contributions in, the merged model out to one";
  EXPECT_EQ(c["series"]["a"].size(), 2u);
  EXPECT_EQ(c["nodes"][0]["status"], "training");
  // 1 epoch in 2 s, 2 to go.
  EXPECT_EQ(c["nodes"][0]["eta_s"], 4);
  // The caps: 3 points, 2 rounds.
  for (int k = 2; k <= 4; ++k) {
    now_ms_ += 1000;
    Round(k, true);
    Report("a", 0.5 / k, 2);
    ASSERT_TRUE(monitor_->Poll().ok());
  }
  Round(9, true);  // rounds 5 to 9 went by between two polls
  ASSERT_TRUE(monitor_->Poll().ok());
  c = Contract();
  EXPECT_EQ(c["series"]["a"].size(), 3u);
  ASSERT_EQ(c["rounds"].size(), 2u);
  EXPECT_EQ(c["rounds"][0]["round"], 4);
  EXPECT_EQ(c["rounds"][0]["duration_ms"], 1000) << "open from round 3's merge to its own";
  EXPECT_EQ(c["rounds"][1]["round"], 9);
  EXPECT_TRUE(c["rounds"][1]["duration_ms"].is_null()) << "round 9 was never seen open";
}

TEST_F(MonitorTest, WatchingATrainingBetweenPollsSeesEveryRound) {
  ASSERT_TRUE(monitor_->Poll().ok());
  EXPECT_EQ(monitor_->Contracts(), std::vector<std::string>{kContract});
  for (uint64_t k = 1; k <= 2; ++k) {
    Round(k, false);
    ASSERT_TRUE(monitor_->Watch(kContract, std::chrono::milliseconds(10)).ok());
    now_ms_ += 300;
    Round(k, true);
    ASSERT_TRUE(monitor_->Watch(kContract, std::chrono::milliseconds(10)).ok());
  }
  auto c = Contract();
  ASSERT_EQ(c["rounds"].size(), 2u);
  EXPECT_EQ(c["rounds"][0]["round"], 1);
  EXPECT_EQ(c["rounds"][1]["round"], 2);
  EXPECT_EQ(c["rounds"][1]["duration_ms"], 300);
  EXPECT_EQ(monitor_->Watch("nope", std::chrono::milliseconds(10)).code(), StatusCode::kNotFound);
}

TEST_F(MonitorTest, FinishedAndGoneNodesStayMarkedForAWhileThenLeave) {
  Report("a", 0.2, 4);  // all 4 epochs
  Report("b", 0.3, 1);
  ASSERT_TRUE(monitor_->Poll().ok());
  sn_.nodes[4].set_alive(false);  // b stops
  now_ms_ += 30'000;
  ASSERT_TRUE(monitor_->Poll().ok());
  auto c = Contract();
  ASSERT_EQ(c["nodes"].size(), 2u);
  EXPECT_EQ(c["nodes"][0]["status"], "done");
  EXPECT_EQ(c["nodes"][1]["status"], "gone");
  now_ms_ += 61'000;  // past keep_gone (1 min)
  ASSERT_TRUE(monitor_->Poll().ok());
  c = Contract();
  ASSERT_EQ(c["nodes"].size(), 1u);
  EXPECT_EQ(c["nodes"][0]["uid"], "a");
  bool listed = false;
  for (const auto& n : monitor_->View()["nodes"]) listed |= n["uid"] == "b";
  EXPECT_FALSE(listed);
}

TEST_F(MonitorTest, TheVersionMovesOnlyWhenTheViewDoes) {
  ASSERT_TRUE(monitor_->Poll().ok());
  const uint64_t v = monitor_->version();
  ASSERT_TRUE(monitor_->Poll().ok());
  EXPECT_EQ(monitor_->version(), v);
  Report("a", 0.4, 1);
  ASSERT_TRUE(monitor_->Poll().ok());
  EXPECT_GT(monitor_->version(), v);
}

TEST_F(MonitorTest, AnUnreachableSnIsShownOnThePage) {
  // The UI's SN cannot be reached, as a real one's client says.
  class Failing final : public snapi::testing::UnimplementedSnApi {
   public:
    std::string target() const override { return "127.0.0.1:1"; }
    StatusOr<swarm::v1::ListNodesResponse> ListNodes() override { return Unavailable("connection refused"); }
  } failing;
  Monitor m(&failing, nullptr, [this] { return now_ms_; });
  EXPECT_FALSE(m.Poll().ok());
  EXPECT_THAT(m.View()["sn"]["error"].get<std::string>(),
              HasSubstr("cannot read the swarm from SN 127.0.0.1:1: connection refused"));
}

TEST_F(MonitorTest, VerifyAsksTheNamedSnAndShowsItsAnswer) {
  ASSERT_TRUE(monitor_->Poll().ok());
  other_sn_.verify.set_ok(true);
  other_sn_.verify.set_blocks(5);
  auto r = monitor_->Verify("s2");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(other_sn_.verify_calls, 1);
  EXPECT_EQ(sn_.verify_calls, 0);
  EXPECT_EQ(monitor_->View()["sns"][1]["verify"]["blocks"], 5);
  EXPECT_THAT(monitor_->Verify("w1").status().message(), HasSubstr("no SN with uid 'w1'"));
  ASSERT_TRUE(monitor_->Verify("").ok());  // the UI's own SN
  EXPECT_EQ(sn_.verify_calls, 1);
}

}  // namespace
}  // namespace swarm::ui
