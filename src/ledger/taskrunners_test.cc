// Taskrunner contracts on their own: pure transitions on a State, no etcd.

#include "ledger/taskrunners.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ledger/contracts.h"
#include "ledger/views.h"

namespace swarm::ledger {
namespace {
using pki::Role;
using swarm::v1::PeerState;
using ::testing::HasSubstr;

const pki::PeerIdentity kSwop1{Role::kSwop, "swop-1", "fp-swop-1"};
const pki::PeerIdentity kSwop2{Role::kSwop, "swop-2", "fp-swop-2"};
const pki::PeerIdentity kSwci{Role::kSwci, "swci-1", "fp-swci-1"};
const pki::PeerIdentity kSl{Role::kSl, "sl-1", "fp-sl-1"};

constexpr PeerState kRunning = swarm::v1::PEER_STATE_RUNNING;
constexpr PeerState kCompleted = swarm::v1::PEER_STATE_COMPLETED;
constexpr PeerState kFailed = swarm::v1::PEER_STATE_FAILED;

// Everything a read shows of the tasks and taskrunners: equal snapshots, equal state.
std::string Snapshot(const State& s) {
  std::string out;
  for (const auto& [name, t] : s.tasks) out += TaskInfoOf(t, true).SerializeAsString();
  for (const auto& [name, tr] : s.task_runners) {
    std::set<std::string> all;
    for (const auto& e : tr.swops) all.insert(e.uid);
    out += TaskRunnerInfoOf(tr, all, true).SerializeAsString() + std::to_string(tr.assignments);
  }
  return out;
}

swarm::v1::SlPeerStatus Sl(const std::string& uid, PeerState state, const std::string& description = "") {
  swarm::v1::SlPeerStatus p;
  p.set_uid(uid);
  p.set_state(state);
  p.set_description(description);
  return p;
}

class TaskRunnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // SWOPs s1, s2, s3 share certificate swop-1; s4 has swop-2.
    for (const char* uid : {"s1", "s2", "s3"}) Register(swarm::v1::NODE_TYPE_SWOP, uid, kSwop1);
    Register(swarm::v1::NODE_TYPE_SWOP, "s4", kSwop2);
    Register(swarm::v1::NODE_TYPE_SL, "sl-a", kSl);
    // Tasks as the task registry leaves them (its rules are tested in tasks_test.cc).
    AddTask("run", "RUN_SWARM", true);
    AddTask("build", "MAKE_USER_CONTAINER", true);
    AddTask("draft", "PULL_IMAGE", false);
    ASSERT_TRUE(Run(CreateRunner("tr"), kSwci).ok());
  }
  void Register(swarm::v1::NodeType type, const std::string& uid, const pki::PeerIdentity& who) {
    swarm::v1::Transaction tx;
    auto* n = tx.mutable_register_node()->mutable_node();
    n->set_type(type);
    n->set_uid(uid);
    ASSERT_TRUE(Run(tx, who).ok());
  }
  void AddTask(const std::string& name, const std::string& type, bool finalized) {
    Task t;
    t.name = name;
    t.type = type;
    t.finalized = finalized;
    state_.tasks[name] = t;
  }
  // Applies `tx` as the next block's, stamped 1000 ms per block.
  Status Run(swarm::v1::Transaction tx, const pki::PeerIdentity& who) {
    ++height_;
    tx.set_timestamp_unix_ms(1000 * height_);
    return Apply(state_, tx, who, height_);
  }
  // Applies `tx`, expecting a refusal with `code` and `words`, and checks nothing changed.
  void ExpectRefused(const swarm::v1::Transaction& tx, const pki::PeerIdentity& who, StatusCode code,
                     const std::string& words) {
    const std::string before = Snapshot(state_);
    Status s = Run(tx, who);
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr(words));
    EXPECT_EQ(Snapshot(state_), before);
  }
  void Enroll(const std::string& uid, const pki::PeerIdentity& who = kSwop1, const std::string& tr = "tr") {
    ASSERT_TRUE(Run(EnrollTx(uid, tr), who).ok());
  }
  void Assign(const std::string& task, uint32_t peers, const std::string& tr = "tr") {
    ASSERT_TRUE(Run(AssignTx(task, peers, tr), kSwci).ok());
  }
  void Report(const swarm::v1::Transaction& tx, const pki::PeerIdentity& who = kSwop1) {
    Status s = Run(tx, who);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  static swarm::v1::Transaction CreateRunner(const std::string& name) {
    swarm::v1::Transaction tx;
    tx.mutable_create_task_runner()->set_name(name);
    return tx;
  }
  static swarm::v1::Transaction EnrollTx(const std::string& uid, const std::string& tr = "tr") {
    swarm::v1::Transaction tx;
    tx.mutable_enroll_swop()->set_taskrunner(tr);
    tx.mutable_enroll_swop()->set_uid(uid);
    return tx;
  }
  static swarm::v1::Transaction AssignTx(const std::string& task, uint32_t peers,
                                         const std::string& tr = "tr") {
    swarm::v1::Transaction tx;
    auto* a = tx.mutable_assign_task();
    a->set_taskrunner(tr);
    a->set_task(task);
    a->set_peers_needed(peers);
    return tx;
  }
  static swarm::v1::Transaction ResetTx(const std::string& tr = "tr") {
    swarm::v1::Transaction tx;
    tx.mutable_reset_task_runner()->set_name(tr);
    return tx;
  }
  // A SWOP's report on assignment `n`: its own state, and for RUN_SWARM its SL peers.
  static swarm::v1::Transaction ReportTx(const std::string& uid, uint64_t n, PeerState state,
                                         uint32_t planned = 0, std::vector<swarm::v1::SlPeerStatus> sl = {},
                                         const std::string& description = "") {
    swarm::v1::Transaction tx;
    auto* r = tx.mutable_report_task_peer();
    r->set_taskrunner("tr");
    r->set_uid(uid);
    r->set_assignment(n);
    r->set_state(state);
    r->set_description(description);
    r->set_sl_peers_planned(planned);
    for (auto& p : sl) *r->add_sl_peers() = std::move(p);
    return tx;
  }

  const TaskRunner& Tr(const std::string& name = "tr") { return state_.task_runners.at(name); }
  const Assignment& Current() { return *Tr().current; }
  TaskRunnerView View(const std::set<std::string>& alive) { return Summarize(Tr(), alive); }

  State state_ = State::Genesis();
  uint64_t height_ = 0;
};

// --- the default taskrunner, creating taskrunners -------------------------------------------

TEST_F(TaskRunnersTest, TheDefaultTaskRunnerExistsFromTheStartWithNothingAssigned) {
  const State s = State::Genesis();
  ASSERT_EQ(s.task_runners.count(kDefaultTaskRunner), 1u);
  const TaskRunner& tr = s.task_runners.at(kDefaultTaskRunner);
  EXPECT_EQ(tr.name, "defaulttaskbb.taskdb.sml.hpe");
  EXPECT_EQ(tr.created.height, 0u);
  EXPECT_TRUE(tr.swops.empty());
  EXPECT_FALSE(tr.current.has_value());
  // SWOPs enrol on it like on any other.
  Enroll("s1", kSwop1, kDefaultTaskRunner);
  EXPECT_EQ(state_.task_runners.at(kDefaultTaskRunner).swops.size(), 1u);
}

TEST_F(TaskRunnersTest, SwciCreatesTaskRunnersThatArePermanent) {
  EXPECT_EQ(Tr().created.height, 1u + 5);  // after the 5 registrations
  EXPECT_EQ(Tr().created.unix_ms, 6000);
  EXPECT_EQ(Tr().creator, "fp-swci-1");
  ExpectRefused(CreateRunner("tr"), kSwci, StatusCode::kAlreadyExists,
                "taskrunner 'tr' already exists; a taskrunner is permanent once created");
  ExpectRefused(CreateRunner(kDefaultTaskRunner), kSwci, StatusCode::kAlreadyExists, "already exists");
  ExpectRefused(CreateRunner("tr2"), kSwop1, StatusCode::kPermissionDenied,
                "CREATE TASKRUNNER tr2 refused: only SWCI may do this, and 'swop-1' (role swop) is not SWCI");
  ExpectRefused(CreateRunner("my runner"), kSwci, StatusCode::kInvalidArgument,
                "taskrunner name 'my runner' has the character ' '; expected letters, digits and . _ -");
  ExpectRefused(CreateRunner(""), kSwci, StatusCode::kInvalidArgument,
                "taskrunner name must be 1 to 255 characters; got 0");
  ExpectRefused(CreateRunner(std::string(256, 'a')), kSwci, StatusCode::kInvalidArgument, "got 256");
  EXPECT_TRUE(Run(CreateRunner(std::string(255, 'a')), kSwci).ok());
}

// --- enrolment -------------------------------------------------------------------------------

TEST_F(TaskRunnersTest, SwopsEnrolInOrderAndEnrollingAgainKeepsTheirPlace) {
  Enroll("s2");
  Enroll("s4", kSwop2);
  Enroll("s1");
  const int64_t first = Tr().swops[0].enrolled.unix_ms;
  Enroll("s2");  // a restarted SWOP enrols again: a no-op
  ASSERT_EQ(Tr().swops.size(), 3u);
  EXPECT_EQ(Tr().swops[0].uid, "s2");  // swopIndex 0
  EXPECT_EQ(Tr().swops[1].uid, "s4");
  EXPECT_EQ(Tr().swops[2].uid, "s1");
  EXPECT_EQ(Tr().swops[0].enrolled.unix_ms, first);
}

TEST_F(TaskRunnersTest, OnlyARegisteredSwopEnrolsAndOnlyItself) {
  ExpectRefused(
      EnrollTx("s1"), kSwci, StatusCode::kPermissionDenied,
      "only SWOP nodes enrol on taskrunners and report on tasks; 'swci-1' (role swci) is not a SWOP");
  ExpectRefused(EnrollTx("nobody"), kSwop1, StatusCode::kNotFound,
                "no SWOP node with uid nobody is registered; a SWOP registers before it enrols");
  ExpectRefused(EnrollTx("sl-a"), kSwop1, StatusCode::kNotFound, "no SWOP node with uid sl-a");
  ExpectRefused(EnrollTx("s4"), kSwop1, StatusCode::kPermissionDenied,
                "a node acts only for itself: uid s4 belongs to another certificate");
  ExpectRefused(EnrollTx(""), kSwop1, StatusCode::kInvalidArgument, "names no SWOP uid");
  ExpectRefused(EnrollTx("s1", "nope"), kSwop1, StatusCode::kNotFound,
                "no taskrunner named 'nope'; SWCI creates it with CREATE TASKRUNNER");
}

// --- assigning -------------------------------------------------------------------------------

TEST_F(TaskRunnersTest, AssigningNeedsAFinalizedTaskOtherThanRootTaskAndAtLeastOnePeer) {
  ExpectRefused(AssignTx("run", 1), kSwop1, StatusCode::kPermissionDenied,
                "ASSIGN TASK run TO tr refused: only SWCI may do this");
  ExpectRefused(AssignTx("run", 1, "nope"), kSwci, StatusCode::kNotFound, "no taskrunner named 'nope'");
  ExpectRefused(AssignTx("ghost", 1), kSwci, StatusCode::kNotFound,
                "no task named 'ghost'; LIST TASKS shows the tasks there are");
  ExpectRefused(AssignTx("draft", 1), kSwci, StatusCode::kFailedPrecondition,
                "task 'draft' is not finalized; FINALIZE TASK draft first");
  ExpectRefused(AssignTx(kRootTask, 1), kSwci, StatusCode::kInvalidArgument,
                "ROOTTASK is the root of every task's prereqs; it cannot be assigned");
  ExpectRefused(AssignTx("run", 0), kSwci, StatusCode::kInvalidArgument,
                "the peers needed must be at least 1 (ASSIGN TASK run TO tr WITH <n> PEERS); got 0");
  Assign("run", 2);
  const Assignment& a = Current();
  EXPECT_EQ(a.number, 1u);
  EXPECT_EQ(a.task, "run");
  EXPECT_EQ(a.task_type, "RUN_SWARM");
  EXPECT_EQ(a.peers_needed, 2u);
  EXPECT_EQ(a.state, AssignmentState::kActive);
  EXPECT_EQ(a.assigned.height, static_cast<uint64_t>(height_));
  EXPECT_EQ(a.assigned.unix_ms, 1000 * static_cast<int64_t>(height_));
}

TEST_F(TaskRunnersTest, AnActiveAssignmentBlocksTheNextOneAndAFinishedOneDoesNot) {
  Enroll("s1");
  Assign("build", 1);
  ExpectRefused(AssignTx("run", 1), kSwci, StatusCode::kFailedPrecondition,
                "taskrunner 'tr' is running task 'build' (ACTIVE); wait for it or RESET TASKRUNNER tr");
  Report(ReportTx("s1", 1, kCompleted));
  ASSERT_EQ(Current().state, AssignmentState::kCompleted);
  // COMPLETED: the next assignment takes the next number and starts without reports.
  Assign("build", 1);
  EXPECT_EQ(Current().number, 2u);
  EXPECT_TRUE(Current().reports.empty());
  EXPECT_EQ(Current().state, AssignmentState::kActive);
  Report(ReportTx("s1", 2, kFailed, 0, {}, "docker build failed"));
  ASSERT_EQ(Current().state, AssignmentState::kFailed);
  Assign("run", 1);  // FAILED: may be superseded too
  EXPECT_EQ(Current().number, 3u);
  EXPECT_EQ(Tr().assignments, 3u);
}

// --- resetting -------------------------------------------------------------------------------

TEST_F(TaskRunnersTest, ResetDropsTheAssignmentKeepsEnrolmentsAndNeverReusesANumber) {
  Enroll("s1");
  Enroll("s2");
  Assign("run", 2);
  Report(ReportTx("s1", 1, kRunning, 1, {Sl("sl-1", kRunning)}));
  ExpectRefused(ResetTx(), kSwop1, StatusCode::kPermissionDenied, "RESET TASKRUNNER tr refused: only SWCI");
  ExpectRefused(ResetTx("nope"), kSwci, StatusCode::kNotFound, "no taskrunner named 'nope'");
  ASSERT_TRUE(Run(ResetTx(), kSwci).ok());
  EXPECT_FALSE(Tr().current.has_value());
  EXPECT_EQ(Tr().resets, 1u);
  EXPECT_EQ(Tr().last_reset.height, static_cast<uint64_t>(height_));
  EXPECT_EQ(Tr().last_reset.unix_ms, 1000 * static_cast<int64_t>(height_));
  EXPECT_EQ(Tr().swops.size(), 2u);
  // s1 did not see the reset yet: its report on assignment 1 is refused.
  ExpectRefused(ReportTx("s1", 1, kCompleted, 1, {Sl("sl-1", kCompleted)}), kSwop1,
                StatusCode::kFailedPrecondition,
                "report of SWOP s1 on assignment 1 refused: taskrunner 'tr' has no task assigned now "
                "(it was reset after assignment 1)");
  Assign("run", 2);
  EXPECT_EQ(Current().number, 2u);  // not 1 again
  ExpectRefused(ReportTx("s1", 1, kCompleted, 1, {Sl("sl-1", kCompleted)}), kSwop1,
                StatusCode::kFailedPrecondition,
                "report of SWOP s1 on assignment 1 refused: taskrunner 'tr' is at assignment 2 (task 'run')");
  ASSERT_TRUE(Run(ResetTx(), kSwci).ok());  // a reset with nothing assigned is fine too
  ASSERT_TRUE(Run(ResetTx(), kSwci).ok());
  EXPECT_EQ(Tr().resets, 3u);
}

// --- reports ---------------------------------------------------------------------------------

TEST_F(TaskRunnersTest, OnlyAnEnrolledSwopReportsOnTheCurrentActiveAssignment) {
  Enroll("s1");
  ExpectRefused(ReportTx("s1", 1, kRunning), kSwop1, StatusCode::kFailedPrecondition,
                "report of SWOP s1 on assignment 1 refused: taskrunner 'tr' has had no task assigned yet");
  Assign("build", 1);
  ExpectRefused(ReportTx("s1", 1, kRunning), kSwci, StatusCode::kPermissionDenied, "is not a SWOP");
  ExpectRefused(ReportTx("s4", 1, kRunning), kSwop1, StatusCode::kPermissionDenied,
                "uid s4 belongs to another certificate");
  ExpectRefused(ReportTx("s2", 1, kRunning), kSwop1, StatusCode::kFailedPrecondition,
                "report of SWOP s2 on assignment 1 refused: the SWOP is not enrolled on taskrunner 'tr'; "
                "it enrols first");
  ExpectRefused(
      ReportTx("s1", 2, kRunning), kSwop1, StatusCode::kFailedPrecondition,
      "report of SWOP s1 on assignment 2 refused: taskrunner 'tr' is at assignment 1 (task 'build')");
  Report(ReportTx("s1", 1, kCompleted));
  ExpectRefused(ReportTx("s1", 1, kFailed), kSwop1, StatusCode::kFailedPrecondition,
                "report of SWOP s1 on assignment 1 refused: assignment 1 (task 'build') is COMPLETED and "
                "takes no more reports");
}

TEST_F(TaskRunnersTest, AReportMustBeWellFormedForItsTaskType) {
  Enroll("s1");
  Assign("build", 1);
  ExpectRefused(ReportTx("s1", 1, swarm::v1::PEER_STATE_UNSPECIFIED), kSwop1, StatusCode::kInvalidArgument,
                "SWOP s1's report has no state; expected RUNNING, COMPLETED or FAILED");
  ExpectRefused(
      ReportTx("s1", 1, kRunning, 1, {Sl("sl-1", kRunning)}), kSwop1, StatusCode::kInvalidArgument,
      "SWOP s1 lists SL peers for task 'build' of type MAKE_USER_CONTAINER; only RUN_SWARM tasks have "
      "SL peers");
  Report(ReportTx("s1", 1, kCompleted));
  Assign("run", 2);
  ExpectRefused(ReportTx("s1", 2, kRunning, 1, {Sl("sl-1", kRunning), Sl("sl-2", kRunning)}), kSwop1,
                StatusCode::kInvalidArgument,
                "SWOP s1 lists 2 SL peers but plans 1; sl_peers_planned counts every SL peer it runs");
  ExpectRefused(ReportTx("s1", 2, kRunning, 2, {Sl("sl-1", kRunning), Sl("sl-1", kRunning)}), kSwop1,
                StatusCode::kInvalidArgument, "SWOP s1 lists SL peer sl-1 twice");
  ExpectRefused(ReportTx("s1", 2, kRunning, 1, {Sl("", kRunning)}), kSwop1, StatusCode::kInvalidArgument,
                "SWOP s1 lists an SL peer without a uid");
  ExpectRefused(ReportTx("s1", 2, kRunning, 1, {Sl("sl-1", swarm::v1::PEER_STATE_UNSPECIFIED)}), kSwop1,
                StatusCode::kInvalidArgument,
                "SL peer sl-1 of SWOP s1 has no state; expected RUNNING, COMPLETED or FAILED");
}

TEST_F(TaskRunnersTest, EachReportReplacesTheSwopsPreviousOne) {
  Enroll("s1");
  Assign("run", 2);
  Report(ReportTx("s1", 1, kRunning, 2, {}, "building"));
  Report(ReportTx("s1", 1, kRunning, 2, {Sl("sl-1", kRunning), Sl("sl-2", kRunning)}, "training"));
  const PeerReport& r = Current().reports.at("s1");
  EXPECT_EQ(r.report.description(), "training");
  EXPECT_EQ(r.report.sl_peers_size(), 2);
  EXPECT_EQ(r.at.height, static_cast<uint64_t>(height_));
  EXPECT_EQ(Current().reports.size(), 1u);
}

// --- RUN_SWARM: SL peers ---------------------------------------------------------------------

TEST_F(TaskRunnersTest, RunSwarmCompletesWhenEnoughSlPeersCompleted) {
  Enroll("s1");
  Enroll("s4", kSwop2);
  Assign("run", 2);
  Report(ReportTx("s1", 1, kRunning, 1, {Sl("sl-1", kRunning)}));
  Report(ReportTx("s4", 1, kRunning, 2, {Sl("sl-2", kRunning), Sl("sl-3", kRunning)}), kSwop2);
  Report(ReportTx("s1", 1, kCompleted, 1, {Sl("sl-1", kCompleted)}));
  EXPECT_EQ(Current().state, AssignmentState::kActive);
  EXPECT_EQ(Current().finished.height, 0u);
  Report(ReportTx("s4", 1, kRunning, 2, {Sl("sl-2", kCompleted), Sl("sl-3", kRunning)}), kSwop2);
  EXPECT_EQ(Current().state, AssignmentState::kCompleted);  // 2 of 2, though sl-3 still runs
  EXPECT_EQ(Current().finished.height, static_cast<uint64_t>(height_));
  EXPECT_EQ(Current().finished.unix_ms, 1000 * static_cast<int64_t>(height_));
  const TaskRunnerView v = View({"s1", "s4"});
  EXPECT_EQ(v.state, AssignmentState::kCompleted);
  EXPECT_EQ(v.tally.completed, 2u);
  EXPECT_EQ(v.tally.running, 1u);
  EXPECT_EQ(v.reason, "2 SL peers completed; the task needed 2");
}

TEST_F(TaskRunnersTest, RunSwarmFailsOnlyOnceEverySwopReportedAndThePeersAreOutOfReach) {
  Enroll("s1");
  Enroll("s2");
  Enroll("s3");
  Assign("run", 2);
  Report(ReportTx("s1", 1, kRunning, 1, {Sl("sl-1", kRunning)}));
  Report(ReportTx("s2", 1, kRunning, 1, {Sl("sl-2", kRunning)}));
  Report(ReportTx("s1", 1, kRunning, 1, {Sl("sl-1", kFailed, "exit code 1")}));
  // 2 planned, 1 failed: out of reach, but s3 has not said how many it runs.
  EXPECT_EQ(Current().state, AssignmentState::kActive);
  EXPECT_EQ(View({"s1", "s2", "s3"}).reason,
            "0 of 2 SL peers completed, 1 running, 1 failed; the 3 enrolled SWOPs plan 2 SL peers so far "
            "(1 SWOP has not reported yet)");
  Report(ReportTx("s3", 1, kCompleted, 0));  // a SWOP without SL nodes in its profile
  EXPECT_EQ(Current().state, AssignmentState::kFailed);
  EXPECT_EQ(Current().finished.height, static_cast<uint64_t>(height_));
  EXPECT_EQ(View({"s1", "s2", "s3"}).reason,
            "1 of 2 SL peers failed, so at most 1 of the 2 needed can complete; first failure: SL sl-1: exit "
            "code 1 (RESET TASKRUNNER tr, then ASSIGN TASK again)");
  // FAILED stays FAILED: sl-2 completing later changes nothing.
  ExpectRefused(ReportTx("s2", 1, kCompleted, 1, {Sl("sl-2", kCompleted)}), kSwop1,
                StatusCode::kFailedPrecondition, "is FAILED and takes no more reports");
}

TEST_F(TaskRunnersTest, RunSwarmWithSpareSlPeersSurvivesAFailure) {
  Enroll("s1");
  Enroll("s2");
  Assign("run", 2);
  Report(ReportTx("s1", 1, kRunning, 2, {Sl("sl-1", kFailed, "oom"), Sl("sl-2", kRunning)}));
  Report(ReportTx("s2", 1, kRunning, 1, {Sl("sl-3", kRunning)}));
  EXPECT_EQ(Current().state, AssignmentState::kActive);  // 3 planned, 1 failed: 2 can complete
  EXPECT_EQ(View({"s1", "s2"}).reason,
            "0 of 2 SL peers completed, 2 running, 1 failed; the 2 enrolled SWOPs plan 3 SL peers");
  Report(ReportTx("s2", 1, kCompleted, 1, {Sl("sl-3", kCompleted)}));
  Report(ReportTx("s1", 1, kCompleted, 2, {Sl("sl-1", kFailed, "oom"), Sl("sl-2", kCompleted)}));
  EXPECT_EQ(Current().state, AssignmentState::kCompleted);
}

TEST_F(TaskRunnersTest, ARunSwarmSwopThatFailedLosesEveryPeerItDidNotComplete) {
  Enroll("s1");
  Enroll("s2");
  Assign("run", 2);
  Report(ReportTx("s2", 1, kRunning, 1, {Sl("sl-3", kRunning)}));
  // s1 planned 2 SL peers but could not even start them: both count failed.
  Report(ReportTx("s1", 1, kFailed, 2, {}, "cannot pull image"));
  EXPECT_EQ(Current().state, AssignmentState::kFailed);
  const TaskRunnerView v = View({"s1", "s2"});
  EXPECT_EQ(v.tally.failed, 2u);
  EXPECT_EQ(v.tally.planned, 3u);
  EXPECT_THAT(v.reason, HasSubstr("2 of 3 SL peers failed, so at most 1 of the 2 needed can complete; "
                                  "first failure: SWOP s1: cannot pull image"));
}

TEST_F(TaskRunnersTest, RunSwarmWaitsForMorePeersThanItsSwopsPlan) {
  Enroll("s1");
  Enroll("s2");
  Assign("run", 3);
  Report(ReportTx("s1", 1, kRunning, 1, {Sl("sl-1", kCompleted)}));
  Report(ReportTx("s2", 1, kRunning, 1, {Sl("sl-2", kRunning)}));
  const TaskRunnerView v = View({"s1", "s2"});
  EXPECT_EQ(v.state, AssignmentState::kActive);
  EXPECT_EQ(v.reason,
            "1 of 3 SL peers completed, 1 running, 0 failed; the 2 enrolled SWOPs plan 2 SL peers: 1 more "
            "needed (enrol another SWOP or lower the peers)");
  // A new SWOP enrols and takes part.
  Enroll("s3");
  Report(ReportTx("s3", 1, kRunning, 1, {Sl("sl-4", kCompleted)}));
  Report(ReportTx("s2", 1, kRunning, 1, {Sl("sl-2", kCompleted)}));
  EXPECT_EQ(Current().state, AssignmentState::kCompleted);
}

// --- other task types: SWOP peers ------------------------------------------------------------

TEST_F(TaskRunnersTest, OtherTypesTakeExactlyThePeersNeededAndAFailedSwopGivesItsPlaceUp) {
  Enroll("s1");
  Enroll("s2");
  Enroll("s3");
  Assign("build", 2);
  Report(ReportTx("s1", 1, kRunning));
  Report(ReportTx("s2", 1, kRunning));
  ExpectRefused(ReportTx("s3", 1, kRunning), kSwop1, StatusCode::kFailedPrecondition,
                "task 'build' already has its 2 SWOP peers; SWOP s3 does not take part in assignment 1");
  EXPECT_EQ(
      View({"s1", "s2", "s3"}).reason,
      "0 of 2 SWOPs completed, 2 running, 0 failed; 2 of the 3 enrolled SWOPs take part (1 SWOP has not "
      "reported yet)");
  Report(ReportTx("s1", 1, kFailed, 0, {}, "build step 3 failed"));
  EXPECT_EQ(Current().state, AssignmentState::kActive);  // 3 enrolled, 1 failed: 2 can complete
  // s1 cannot come back while s3 holds the place it gave up.
  Report(ReportTx("s3", 1, kRunning));
  ExpectRefused(ReportTx("s1", 1, kRunning), kSwop1, StatusCode::kFailedPrecondition,
                "already has its 2 SWOP peers");
  Report(ReportTx("s2", 1, kCompleted));
  Report(ReportTx("s3", 1, kCompleted));
  EXPECT_EQ(Current().state, AssignmentState::kCompleted);
  const TaskRunnerView v = View({"s1", "s2", "s3"});
  EXPECT_EQ(v.tally.completed, 2u);
  EXPECT_EQ(v.tally.failed, 1u);
  EXPECT_EQ(v.reason, "2 SWOPs completed; the task needed 2");
}

TEST_F(TaskRunnersTest, OtherTypesFailWhenTooFewSwopsAreLeft) {
  Enroll("s1");
  Enroll("s2");
  Assign("build", 2);
  Report(ReportTx("s1", 1, kFailed, 0, {}, "no space left"));
  EXPECT_EQ(Current().state, AssignmentState::kActive);  // s2 has not reported
  EXPECT_EQ(
      View({"s1", "s2"}).reason,
      "0 of 2 SWOPs completed, 0 running, 1 failed; 1 of the 2 enrolled SWOPs take part (1 SWOP has not "
      "reported yet)");
  Report(ReportTx("s2", 1, kRunning));
  EXPECT_EQ(Current().state, AssignmentState::kFailed);
  EXPECT_EQ(
      View({"s1", "s2"}).reason,
      "1 of 2 SWOPs failed, so at most 1 of the 2 needed can complete; first failure: SWOP s1: no space "
      "left (RESET TASKRUNNER tr, then ASSIGN TASK again)");
}

// --- reads: liveness and reasons -------------------------------------------------------------

TEST_F(TaskRunnersTest, ANewTaskRunnerShowsNothingAssigned) {
  const TaskRunnerView v = View({});
  EXPECT_FALSE(v.state.has_value());
  EXPECT_EQ(v.reason, "no task assigned; ASSIGN TASK <task> TO tr WITH <n> PEERS starts one");
  Assign("run", 1);
  EXPECT_EQ(View({}).reason,
            "0 of 1 SL peers completed, 0 running, 0 failed; no SWOP is enrolled on taskrunner 'tr' yet (a "
            "SWOP enrols on the taskrunner of its profile)");
}

TEST_F(TaskRunnersTest, AStoppedSwopsRunningPeersReadAsFailedWithoutChangingTheChain) {
  Enroll("s1");
  Enroll("s2");
  Assign("run", 2);
  Report(ReportTx("s1", 1, kRunning, 1, {Sl("sl-1", kRunning)}));
  Report(ReportTx("s2", 1, kRunning, 2, {Sl("sl-2", kCompleted), Sl("sl-3", kRunning)}));
  // Both alive: 3 planned, nothing failed.
  EXPECT_EQ(View({"s1", "s2"}).state, AssignmentState::kActive);
  // s2 stops: sl-3 is lost; 3 planned, 1 failed, 2 can still complete.
  TaskRunnerView v = View({"s1"});
  EXPECT_EQ(v.state, AssignmentState::kActive);
  EXPECT_EQ(v.tally.failed, 1u);
  ASSERT_EQ(v.swops.size(), 2u);
  EXPECT_FALSE(v.swops[1].alive);
  EXPECT_TRUE(v.swops[1].stopped);
  EXPECT_EQ(v.swops[1].report.state(), kFailed);
  EXPECT_EQ(v.swops[1].report.sl_peers(0).state(), kCompleted);  // finished work stays finished
  EXPECT_EQ(v.swops[1].report.sl_peers(1).state(), kFailed);
  EXPECT_EQ(v.swops[1].report.sl_peers(1).description(),
            "SWOP s2 stopped (no i-am-alive): its SL/ML pairs are lost");
  EXPECT_EQ(v.swops[1].reported->report.sl_peers(1).state(), kRunning);  // as reported
  // s1 stops as well: 1 completed, 2 failed of 3: out of reach.
  v = View({});
  EXPECT_EQ(v.state, AssignmentState::kFailed);
  EXPECT_EQ(
      v.reason,
      "2 of 3 SL peers failed, so at most 1 of the 2 needed can complete; first failure: SL sl-1: SWOP s1 "
      "stopped (no i-am-alive): its SL/ML pairs are lost (RESET TASKRUNNER tr, then ASSIGN TASK again)");
  // The chain knows nothing of liveness.
  EXPECT_EQ(Current().state, AssignmentState::kActive);
}

TEST_F(TaskRunnersTest, AStoppedSwopThatNeverReportedNoLongerHoldsTheAssignmentUp) {
  Enroll("s1");
  Enroll("s2");
  Enroll("s3");
  Assign("build", 2);
  Report(ReportTx("s1", 1, kFailed, 0, {}, "disk full"));
  Report(ReportTx("s2", 1, kRunning));
  // On the chain s3 may still take s1's place.
  EXPECT_EQ(View({"s1", "s2", "s3"}).state, AssignmentState::kActive);
  // With s3 stopped only s2 is left: FAILED.
  const TaskRunnerView v = View({"s1", "s2"});
  EXPECT_EQ(v.state, AssignmentState::kFailed);
  EXPECT_EQ(v.tally.planned, 2u);
  EXPECT_FALSE(v.swops[2].alive);
  EXPECT_EQ(v.swops[2].reported, nullptr);
  // A stopped SWOP of another type loses its task.
  const TaskRunnerView w = View({"s1", "s3"});
  EXPECT_EQ(w.swops[1].report.state(), kFailed);
  EXPECT_EQ(w.swops[1].report.description(), "SWOP s2 stopped (no i-am-alive): its task is lost");
}

TEST_F(TaskRunnersTest, LivenessDoesNotChangeAFinishedAssignment) {
  Enroll("s1");
  Enroll("s2");
  Assign("run", 1);
  Report(ReportTx("s1", 1, kRunning, 1, {Sl("sl-1", kCompleted)}));
  ASSERT_EQ(Current().state, AssignmentState::kCompleted);
  const TaskRunnerView v = View({});
  EXPECT_EQ(v.state, AssignmentState::kCompleted);
  EXPECT_FALSE(v.swops[0].stopped);
  EXPECT_EQ(v.swops[0].report.sl_peers(0).state(), kCompleted);
}

// --- the API's view --------------------------------------------------------------------------

TEST_F(TaskRunnersTest, TaskRunnerInfoShowsTheAssignmentAndItsPeers) {
  Enroll("s1");
  Enroll("s4", kSwop2);
  Assign("run", 2);
  Report(ReportTx("s1", 1, kRunning, 2, {Sl("sl-1", kRunning)}, "starting"));
  const swarm::v1::TaskRunnerInfo info = TaskRunnerInfoOf(Tr(), {"s1"}, true);
  EXPECT_EQ(info.name(), "tr");
  EXPECT_EQ(info.creator_fingerprint(), "fp-swci-1");
  EXPECT_EQ(info.created_height(), Tr().created.height);
  EXPECT_EQ(info.task(), "run");
  EXPECT_EQ(info.task_type(), "RUN_SWARM");
  EXPECT_EQ(info.peer_type(), "SL");
  EXPECT_EQ(info.peers_needed(), 2u);
  EXPECT_EQ(info.assignment(), 1u);
  EXPECT_EQ(info.state(), swarm::v1::TASK_STATE_ACTIVE);
  EXPECT_EQ(info.active_peers(), 1u);
  EXPECT_EQ(info.completed_peers(), 0u);
  EXPECT_EQ(info.failed_peers(), 0u);
  EXPECT_EQ(info.assigned_unix_ms(), Current().assigned.unix_ms);
  EXPECT_EQ(info.finished_unix_ms(), 0);
  EXPECT_THAT(info.state_reason(), HasSubstr("0 of 2 SL peers completed, 1 running, 0 failed"));
  ASSERT_EQ(info.peers_size(), 2);
  EXPECT_EQ(info.peers(0).uid(), "s1");
  EXPECT_TRUE(info.peers(0).alive());
  EXPECT_TRUE(info.peers(0).reported());
  EXPECT_EQ(info.peers(0).state(), kRunning);
  EXPECT_EQ(info.peers(0).description(), "starting");
  EXPECT_EQ(info.peers(0).sl_peers_planned(), 2u);
  EXPECT_EQ(info.peers(0).sl_peers_size(), 1);
  EXPECT_EQ(info.peers(0).updated_unix_ms(), 1000 * static_cast<int64_t>(height_));
  EXPECT_EQ(info.peers(1).uid(), "s4");
  EXPECT_FALSE(info.peers(1).alive());
  EXPECT_FALSE(info.peers(1).reported());
  EXPECT_EQ(info.peers(1).enrolled_unix_ms(), Tr().swops[1].enrolled.unix_ms);
  // Lists leave the peers out.
  EXPECT_EQ(TaskRunnerInfoOf(Tr(), {"s1"}, false).peers_size(), 0);
  // After a reset: nothing assigned.
  ASSERT_TRUE(Run(ResetTx(), kSwci).ok());
  const swarm::v1::TaskRunnerInfo reset = TaskRunnerInfoOf(Tr(), {"s1"}, true);
  EXPECT_EQ(reset.task(), "");
  EXPECT_EQ(reset.state(), swarm::v1::TASK_STATE_UNSPECIFIED);
  EXPECT_EQ(reset.assignment(), 0u);
  EXPECT_EQ(reset.resets(), 1u);
  EXPECT_EQ(reset.reset_unix_ms(), 1000 * static_cast<int64_t>(height_));
  EXPECT_FALSE(reset.peers(0).reported());
  EXPECT_EQ(reset.peers_size(), 2);
}

}  // namespace
}  // namespace swarm::ledger
