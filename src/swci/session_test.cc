// The commands end to end inside one process: a Session over a fake SN and a fake clock,
// its output rendered as the transcript shows it.

#include "swci/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "swci/render_text.h"
#include "swci/repl.h"
#include "swci/testing/fake_sn_api.h"

namespace swarm::swci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

constexpr char kTr[] = "defaulttaskbb.taskdb.sml.hpe";

class SwciSessionTest : public ::testing::Test {
 protected:
  SwciSessionTest() {
    usr_ = fs::temp_directory_path() / ("swci_session_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(usr_);
    fs::create_directories(usr_ / "taskdefs");
    Services s;
    s.connect = [this](const snapi::Endpoint& e) -> StatusOr<std::unique_ptr<snapi::SnApi>> {
      return testing::MakeFakeSnApi(e.port == 1 ? dead_ : sn_, e.ToString());
    };
    s.clock = &clock_;
    s.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = process_env_.find(name);
      if (it == process_env_.end()) return std::nullopt;
      return it->second;
    };
    dead_.health = Unavailable("connection refused");
    session_ = std::make_unique<Session>(std::move(s), usr_);
  }
  ~SwciSessionTest() override { fs::remove_all(usr_); }

  // The transcript of one command: its progress, then its result or error.
  std::string Run(const std::string& line) {
    std::ostringstream out;
    TextProgress progress(out);
    last_ = session_->Execute(line, progress);
    progress.EndLine();
    if (last_.status.ok()) {
      RenderText(last_.result, out);
    } else {
      RenderError(last_.status, out);
    }
    return out.str();
  }
  void Connect() {
    ASSERT_EQ(Run("CREATE CONTEXT c WITH IP 127.0.0.1 7000"), "API Server is UP!\nCONTEXT CREATED : c\n");
    ASSERT_EQ(Run("SWITCH CONTEXT c"), "DEFAULT CONTEXT SET TO : c\n");
  }
  void Write(const std::string& name, const std::string& text) { std::ofstream(usr_ / name) << text; }
  void AddFinalizedTask(const std::string& name, const std::string& type) {
    auto& t = sn_.tasks[name];
    t.set_name(name);
    t.set_type(type);
    t.set_finalized(true);
  }

  testing::FakeSn sn_, dead_;
  testing::FakeClock clock_;
  std::map<std::string, std::string> process_env_;
  fs::path usr_;
  std::unique_ptr<Session> session_;
  Outcome last_;
};

constexpr char kPullTask[] = R"(Name: pull-task-tf2
TaskType : PULL_IMAGE
Author   : HPE-TEST
Prereq   : ROOTTASK
Outcome  : "hub.docker.hpecorp.net/hub/tensorflow-tensorflow:2.7.0"
Body     :
    Tag       : "2.7.0"
    RepoName  : "tensorflow-tensorflow"
    OrgAndReg : "hub.docker.hpecorp.net/hub/"
    Auth      : ~
)";

TEST_F(SwciSessionTest, BlankAndCommentLinesDoNotCount) {
  EXPECT_EQ(Run("   # nothing"), "");
  EXPECT_FALSE(last_.ran);
  EXPECT_EQ(session_->Prompt(), "SWCI:0 > ");
  EXPECT_EQ(Run("CREATE CONTRACT \"half"),
            "ERROR: unterminated quote: the '\"' at column 17 has no closing '\"'\n");
  EXPECT_TRUE(last_.ran);
  EXPECT_EQ(session_->Prompt(), "SWCI:1 > ");
}

TEST_F(SwciSessionTest, Contexts) {
  EXPECT_EQ(Run("LIST CONTRACTS"),
            "ERROR: no default context; create one with CREATE CONTEXT and select it with SWITCH CONTEXT\n");
  Connect();
  EXPECT_EQ(Run("CREATE CONTEXT c WITH IP 127.0.0.1"), "ERROR: context 'c' already exists\n");
  EXPECT_EQ(Run("CREATE CONTEXT d WITH IP 127.0.0.1 1"),
            "ERROR: API server at 127.0.0.1:1 is not up: connection refused\n");
  EXPECT_EQ(Run("CREATE CONTEXT d WITH IP 127.0.0.1 99999"),
            "ERROR: port '99999' is not a number from 1 to 65535\n");
  EXPECT_EQ(Run("CREATE CONTEXT other WITH IP 10.0.0.1"), "API Server is UP!\nCONTEXT CREATED : other\n");
  EXPECT_EQ(Run("GET CONTEXT INFO"), "Name    : c\nIP      : 127.0.0.1\nPort    : 7000\nDefault : yes\n");
  EXPECT_EQ(Run("GET CONTEXT INFO other"),
            "Name    : other\nIP      : 10.0.0.1\nPort    : 30304\nDefault : no\n");
  EXPECT_EQ(Run("LIST CONTEXTS"), "c (default)\nother\n");
  EXPECT_EQ(Run("GET CONTEXT VERSION"),
            "Context     : c\nAPI server  : 127.0.0.1:7000\nSN version  : 0.1.0\nAPI version : 1\n");
}

// HPE's reverse-proxy form: the SN API by its service name, port 443 unless given.
TEST_F(SwciSessionTest, ContextsWithAService) {
  EXPECT_EQ(Run("create context rp with service api.sn-1.swarm"),
            "API Server is UP!\nCONTEXT CREATED : rp\n");
  EXPECT_EQ(Run("GET CONTEXT INFO rp"),
            "Name    : rp\nIP      : api.sn-1.swarm\nPort    : 443\nDefault : no\n");
  EXPECT_EQ(Run("CREATE CONTEXT rp2 WITH SERVICE api.sn-1.swarm:17000"),
            "API Server is UP!\nCONTEXT CREATED : rp2\n");
  EXPECT_EQ(Run("GET CONTEXT INFO rp2"),
            "Name    : rp2\nIP      : api.sn-1.swarm\nPort    : 17000\nDefault : no\n");
  EXPECT_EQ(Run("CREATE CONTEXT rp3 WITH SERVICE api.sn-1.swarm:1"),
            "ERROR: API server at api.sn-1.swarm:1 is not up: connection refused\n");
  EXPECT_THAT(Run("CREATE CONTEXT rp3 WITH SERVICE 10.0.0.1"),
              HasSubstr("ERROR: service '10.0.0.1' is an IP address, not a service name"));
  EXPECT_THAT(Run("CREATE CONTEXT rp3 WITH SERVICE api_sn"), HasSubstr("'api_sn' is not a DNS name"));
  EXPECT_EQ(Run("CREATE CONTEXT rp3 WITH HOST x"),
            "ERROR: Usage: CREATE CONTEXT <contextName : string> WITH IP <ip : string> [port : string]\n"
            "   or: CREATE CONTEXT <contextName : string> WITH SERVICE <service : string>\n");
  EXPECT_THAT(Run("HELP CREATE CONTEXT"), HasSubstr("WITH SERVICE <service : string>"));
  EXPECT_EQ(Run("WAIT FOR SERVICE api.sn-1.swarm"), "API Server is UP!\n");
  EXPECT_EQ(Run("WAIT FOR SERVICE api.sn-1.swarm:1 2"),
            "ERROR: API server at api.sn-1.swarm:1 is not up: connection refused\n");
  EXPECT_THAT(Run("WAIT FOR SERVICE 127.0.0.1"), HasSubstr("is an IP address"));
}

TEST_F(SwciSessionTest, ContextEnv) {
  Connect();
  EXPECT_EQ(Run("LIST CONTEXT ENV c"), "");
  EXPECT_EQ(Run("SET CONTEXT ENV c SWCI_TASK_MAX_WAIT_TIME 0.5"),
            "CONTEXT ENV SET : SWCI_TASK_MAX_WAIT_TIME = 0.5 (context c)\n");
  EXPECT_EQ(Run("SET CONTEXT ENV c MY_VAR \"a b\""), "CONTEXT ENV SET : MY_VAR = a b (context c)\n");
  EXPECT_EQ(Run("GET CONTEXT ENV c MY_VAR"), "MY_VAR : a b\n");
  EXPECT_EQ(Run("LIST CONTEXT ENV c"), "MY_VAR                  : a b\nSWCI_TASK_MAX_WAIT_TIME : 0.5\n");
  EXPECT_EQ(
      Run("GET CONTEXT ENV c NOPE"),
      "ERROR: context 'c' has no variable 'NOPE'; SET CONTEXT ENV sets one, LIST CONTEXT ENV lists them\n");
  EXPECT_EQ(
      Run("SET CONTEXT ENV c SWCI_TASK_MAX_WAIT_TIME soon"),
      "ERROR: SWCI_TASK_MAX_WAIT_TIME is 'soon'; expected a number of minutes above 0, e.g. 120 or 0.5\n");
  EXPECT_EQ(Run("SET CONTEXT ENV c 1X v"),
            "ERROR: variable name '1X' is not a name; expected letters, digits and _\n");
  EXPECT_EQ(Run("SET CONTEXT ENV nope X v"), "ERROR: no context named 'nope'; LIST CONTEXTS shows them\n");
}

TEST_F(SwciSessionTest, Contracts) {
  Connect();
  EXPECT_EQ(Run("CREATE CONTRACT m"), "CONTRACT CREATED : m\n");
  ASSERT_EQ(sn_.submissions.size(), 1u);
  EXPECT_EQ(sn_.submissions[0][0].create_contract().name(), "m");
  auto& t = sn_.trainings["m"];
  t.mutable_current()->set_number(3);
  t.mutable_current()->set_closed(true);
  t.mutable_current()->set_leader("sl-a");
  t.mutable_current()->add_checkins();
  t.mutable_last()->set_number(2);
  // In round 2: sl-a merged one round late, sl-b left out, sl-c without a contribution.
  auto* late = t.mutable_last()->add_checkins();
  late->set_uid("sl-a");
  late->set_round(2);
  late->set_base_round(0);
  late->set_weight(4);
  late->set_model_digest(std::string(32, 'a'));
  auto* left = t.mutable_last()->add_checkins();
  left->set_uid("sl-b");
  left->set_round(2);
  left->set_base_round(1);
  left->set_model_digest(std::string(32, 'b'));
  t.mutable_last()->add_checkins()->set_uid("sl-c");
  auto* why = t.mutable_last()->add_left_out();
  why->set_uid("sl-b");
  why->set_reason("its model cannot be fetched: connection refused");
  auto* a = t.add_members();
  a->set_uid("sl-a");
  a->set_alive(true);
  auto* b = t.add_members();
  b->set_uid("sl-b");
  b->set_finished(true);
  EXPECT_EQ(Run("GET CONTRACT STATUS m"),
            "Name           : m\nResets         : 0\nLast reset     : never\n"
            "Current round  : 3 (closed, 1 check-ins, leader sl-a)\nLast merged    : round 2\n"
            "Left out       : sl-b: its model cannot be fetched: connection refused\n"
            "Late           : sl-a: built on round 0, merged with weight 4/2\n"
            "Members        : 2 (1 finished, 1 alive)\nDone           : no\n");
  swarm::v1::Progress p;
  p.set_uid("sl-b");
  p.set_contract("m");
  p.set_loss(0.25);
  p.set_metric(0.9);
  p.set_total_epochs(5);
  p.set_epochs_done(5);
  sn_.progress.push_back(p);
  p.set_uid("sl-a");
  p.set_epochs_done(2);
  sn_.progress.push_back(p);
  p.set_contract("other");
  sn_.progress.push_back(p);
  p.set_contract("m");
  p.set_uid("sl-c");
  sn_.progress.push_back(p);
  p.set_uid("sl-d");
  sn_.progress.push_back(p);
  EXPECT_EQ(Run("PERFDATA CONTRACT m"),
            "UID   STATUS     LOSS    METRIC  TOTAL EPOCHS  COMPLETED EPOCHS  LAST ROUND\n"
            "sl-a  RUNNING    0.2500  0.9000  5             2                 2: merged, 1 late\n"
            "sl-b  COMPLETED  0.2500  0.9000  5             5                 2: left out\n"
            "sl-c  RUNNING    0.2500  0.9000  5             2                 2: not contributing\n"
            "sl-d  RUNNING    0.2500  0.9000  5             2                 2: not in it\n");
  EXPECT_EQ(Run("PERFDATA CONTRACT nope"), "ERROR: no contract named 'nope'\n");
}

TEST_F(SwciSessionTest, TaskCommands) {
  Connect();
  EXPECT_EQ(Run("CREATE TASK PULL_IMAGE t1 me ROOTTASK img"), "TASK CREATED : t1\n");
  EXPECT_EQ(Run("APPEND TASK BODY t1 2 \"Tag: 2.7.0\""), "TASK BODY UPDATED : t1 line 2\n");
  EXPECT_EQ(Run("APPEND TASK BODY t1 0 x"), "ERROR: idx '0' is not a number from 1 to 1000000\n");
  EXPECT_EQ(Run("APPEND TASK BODY t1 1 Tag: 2.7.0"),
            "ERROR: Usage: APPEND TASK BODY <taskName : string> <idx : int> <contentLine : string> "
            "('2.7.0' is one word too many; quote an argument that holds blanks)\n");
  EXPECT_EQ(Run("GET TASK BODY t1"), "\nTag: 2.7.0\n");
  EXPECT_THAT(Run("GET TASK INFO t1"),
              StartsWith("Name      : t1\nType      : PULL_IMAGE\nAuthor    : me\n"));
  EXPECT_EQ(Run("LIST TASKS"), "ROOTTASK\nt1\n");
  EXPECT_EQ(Run("FINALIZE TASK t1"), "TASK FINALIZED : t1\n");
  EXPECT_EQ(Run("DELETE TASK t1"), "ERROR: task is finalized\n");
  EXPECT_EQ(Run("CREATE TASK PULL_IMAGE t2 me ROOTTASK img"), "TASK CREATED : t2\n");
  EXPECT_EQ(Run("DELETE TASK t2"), "TASK DELETED : t2\n");
  EXPECT_EQ(Run("GET TASK INFO t2"), "ERROR: no task named 't2'\n");
}

TEST_F(SwciSessionTest, CreateTaskFromSendsOneSubmission) {
  Connect();
  Write("taskdefs/pull.yaml", kPullTask);
  const std::string out = Run("CREATE TASK FROM taskdefs/pull.yaml");
  EXPECT_THAT(out, StartsWith("TASK CREATED : pull-task-tf2 (PULL_IMAGE, "));
  EXPECT_THAT(out, HasSubstr(" body lines from taskdefs/pull.yaml)"));
  ASSERT_EQ(sn_.submissions.size(), 1u);
  const auto& txs = sn_.submissions[0];
  ASSERT_GE(txs.size(), 2u);
  EXPECT_EQ(txs[0].create_task().name(), "pull-task-tf2");
  EXPECT_EQ(txs[0].create_task().type(), "PULL_IMAGE");
  EXPECT_EQ(txs[0].create_task().prereq(), "ROOTTASK");
  for (size_t i = 1; i < txs.size(); ++i) {
    EXPECT_EQ(txs[i].append_task_body().idx(), i);
    EXPECT_LT(txs[i].append_task_body().line().size(), 80u);
  }
  EXPECT_EQ(sn_.tasks["pull-task-tf2"].body_size(), static_cast<int>(txs.size() - 1));
  // The same file again: the name is taken, and nothing of it is written.
  EXPECT_EQ(Run("CREATE TASK FROM taskdefs/pull.yaml"), "ERROR: task 'pull-task-tf2' already exists\n");
  EXPECT_EQ(sn_.submissions.size(), 1u);
}

TEST_F(SwciSessionTest, CreateTaskFromABadFileWritesNothing) {
  Connect();
  std::string bad = kPullTask;
  bad.replace(bad.find("PULL_IMAGE"), 10, "PULL_IMAGES");
  Write("taskdefs/bad.yaml", bad);
  const std::string out = Run("CREATE TASK FROM taskdefs/bad.yaml");
  EXPECT_THAT(out, StartsWith("ERROR: taskdefs/bad.yaml, line 2"));
  EXPECT_THAT(out, HasSubstr("TaskType"));
  EXPECT_TRUE(sn_.submissions.empty());
  EXPECT_THAT(Run("CREATE TASK FROM taskdefs/none.yaml"),
              StartsWith("ERROR: no task definition file 'taskdefs/none.yaml' (looked for " + usr_.string()));
  EXPECT_TRUE(sn_.submissions.empty());
}

TEST_F(SwciSessionTest, HpeScriptsPathsMapToTheUsrDir) {
  Connect();
  fs::create_directories(usr_ / "sub");
  EXPECT_EQ(Run("pwd"), usr_.string() + "\n");
  EXPECT_EQ(Run("cd sub"), "");
  EXPECT_EQ(Run("pwd"), (usr_ / "sub").string() + "\n");
  EXPECT_EQ(Run("cd /platform/swarm/usr"), "");
  EXPECT_EQ(Run("pwd"), usr_.string() + "\n");
  EXPECT_EQ(Run("cd /platform/swarm/usr/sub/"), "");
  EXPECT_EQ(Run("pwd"), (usr_ / "sub").string() + "\n");
  EXPECT_EQ(Run("cd .."), "");
  Write("taskdefs/pull.yaml", kPullTask);
  EXPECT_EQ(Run("ls"), "sub/\ntaskdefs/\n");
  EXPECT_EQ(Run("ls /platform/swarm/usr/taskdefs"), "pull.yaml\n");
  EXPECT_EQ(Run("cd nowhere"), "ERROR: no directory 'nowhere' (" + (usr_ / "nowhere").string() + ")\n");
  EXPECT_EQ(
      Run("cd taskdefs/pull.yaml"),
      "ERROR: 'taskdefs/pull.yaml' (" + (usr_ / "taskdefs/pull.yaml").string() + ") is not a directory\n");
  EXPECT_EQ(Run("cd /platform/swarm/usr"), "");
  EXPECT_THAT(Run("create task from /platform/swarm/usr/taskdefs/pull.yaml"), StartsWith("TASK CREATED"));
}

TEST_F(SwciSessionTest, TaskRunnerCommands) {
  Connect();
  EXPECT_EQ(Run("CREATE TASKRUNNER tr1"), "TASKRUNNER CREATED : tr1\n");
  EXPECT_EQ(Run("LIST TASKRUNNERS"), std::string(kTr) + "\ntr1\n");
  EXPECT_THAT(
      Run("GET TASKRUNNER STATUS tr1"),
      StartsWith(
          "TASKRUNNER      : tr1\nTASK NAME       : Empty\nPEER TYPE       : -\nTASK STATE      : -\n"));
  EXPECT_EQ(Run("ASSIGN TASK build TO tr1 WITH 2 PEERS"), "ERROR: no task named 'build'\n");
  sn_.tasks["build"].set_name("build");
  EXPECT_EQ(Run("ASSIGN TASK build TO tr1 WITH 2 PEERS"), "ERROR: task 'build' is not finalized\n");
  AddFinalizedTask("build", "MAKE_USER_CONTAINER");
  EXPECT_EQ(Run("ASSIGN TASK build TO tr1 WITH 0 PEERS"),
            "ERROR: peersNeeded '0' is not a number from 1 to 100000\n");
  EXPECT_EQ(Run("assign task build to tr1 with 2 peers"), "TASK ASSIGNED : build TO tr1 WITH 2 PEERS\n");
  EXPECT_EQ(Run("ASSIGN TASK build TO tr1 WITH 2 PEERS"), "ERROR: taskrunner is busy\n");
  EXPECT_THAT(
      Run("GET TASKRUNNER STATUS tr1"),
      HasSubstr("TASK NAME       : build\nTASK TYPE       : MAKE_USER_CONTAINER\nPEER TYPE       : SWOP\n"
                "TASK STATE      : ACTIVE\nPEERS NEEDED    : 2\n"));
  EXPECT_EQ(Run("GET TASKRUNNER PEER STATUS tr1 0"), "ERROR: no SWOP is enrolled on taskrunner 'tr1' yet\n");
  auto& tr = sn_.task_runners["tr1"];
  auto* p = tr.add_peers();
  p->set_uid("swop-a");
  p->set_alive(true);
  p->set_reported(true);
  p->set_state(swarm::v1::PEER_STATE_RUNNING);
  p->set_description("building");
  tr.add_peers()->set_uid("swop-b");
  EXPECT_EQ(Run("LIST TASKRUNNER PEERS tr1"),
            "SWOP INDEX  SWOP UID  ALIVE  STATUS        ENROLLED AT\n"
            "0           swop-a    yes    RUNNING       -\n"
            "1           swop-b    no     NOT REPORTED  -\n");
  EXPECT_THAT(Run("GET TASKRUNNER PEER STATUS tr1 0"),
              StartsWith("SWOP INDEX  : 0\nSWOP UID    : swop-a\nALIVE       : yes\nTASK NAME   : build\n"
                         "STATUS      : RUNNING\nDESCRIPTION : building\n"));
  EXPECT_THAT(Run("GET TASKRUNNER PEER STATUS tr1 swop-b"), StartsWith("SWOP INDEX  : 1\n"));
  EXPECT_EQ(
      Run("GET TASKRUNNER PEER STATUS tr1 2"),
      "ERROR: swopIndex 2 is not enrolled on taskrunner 'tr1'; expected 0 to 1 (LIST TASKRUNNER PEERS shows "
      "them)\n");
  EXPECT_EQ(
      Run("GET TASKRUNNER PEER STATUS tr1 swop-x"),
      "ERROR: no SWOP with uid 'swop-x' is enrolled on taskrunner 'tr1'; LIST TASKRUNNER PEERS shows them\n");
  EXPECT_EQ(Run("RESET TASKRUNNER tr1"), "TASKRUNNER RESET : tr1\n");
  EXPECT_THAT(Run("GET TASKRUNNER INFO tr1"),
              HasSubstr("Resets         : 1, last at -\n"
                        "Enrolled SWOPs : 2 (1 alive)\nCurrent task   : Empty\n"));
}

TEST_F(SwciSessionTest, PeerStatusOfARunSwarmTaskListsItsSlPeers) {
  Connect();
  auto& tr = sn_.task_runners[kTr];
  tr.set_task("run");
  tr.set_task_type("RUN_SWARM");
  tr.set_state(swarm::v1::TASK_STATE_ACTIVE);
  auto* p = tr.add_peers();
  p->set_uid("swop-a");
  p->set_reported(true);
  p->set_state(swarm::v1::PEER_STATE_RUNNING);
  p->set_sl_peers_planned(2);
  auto* sl = p->add_sl_peers();
  sl->set_uid("sl-1");
  sl->set_state(swarm::v1::PEER_STATE_COMPLETED);
  sl = p->add_sl_peers();
  sl->set_uid("sl-2");
  sl->set_state(swarm::v1::PEER_STATE_FAILED);
  sl->set_description("exit status 1");
  EXPECT_THAT(Run(std::string("GET TASKRUNNER PEER STATUS ") + kTr + " 0"),
              HasSubstr("SL PEERS    : 2\nSL UID  STATUS     DESCRIPTION\nsl-1    COMPLETED  -\n"
                        "sl-2    FAILED     exit status 1\n"));
}

class SwciWaitTest : public SwciSessionTest {
 protected:
  void SetUp() override {
    Connect();
    AddFinalizedTask("build", "MAKE_USER_CONTAINER");
    ASSERT_EQ(Run(std::string("ASSIGN TASK build TO ") + kTr + " WITH 1 PEERS"),
              std::string("TASK ASSIGNED : build TO ") + kTr + " WITH 1 PEERS\n");
    sn_.task_runners[kTr].set_state_reason("0 of 1 SWOPs completed; no SWOP is enrolled");
  }
  std::string Wait() { return Run(std::string("WAIT FOR TASKRUNNER ") + kTr); }
};

TEST_F(SwciWaitTest, CompletesPrintingProgressAndTheFinalState) {
  sn_.on_get_task_runner = [](testing::FakeSn& sn) {
    if (sn.get_task_runner_calls == 25) {
      auto& tr = sn.task_runners[kTr];
      tr.set_state(swarm::v1::TASK_STATE_COMPLETED);
      tr.set_completed_peers(1);
    }
  };
  const std::string out = Wait();
  EXPECT_TRUE(last_.status.ok());
  // A '#' every 10 s of the 24 s waited: at 0, 10 and 20.
  EXPECT_THAT(out, StartsWith("WAITING FOR TASKRUNNER TO COMPLETE - Maximum wait time is : 120 mins\n###\n"
                              "TASKRUNNER      : defaulttaskbb.taskdb.sml.hpe\nTASK NAME       : build\n"));
  EXPECT_THAT(out, HasSubstr("TASK STATE      : COMPLETED\n"));
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(24));
}

TEST_F(SwciWaitTest, RunsOutOfTimeSayingWhatItWaitsFor) {
  process_env_["SWCI_TASK_MAX_WAIT_TIME"] = "0.05";
  EXPECT_EQ(Wait(),
            "WAITING FOR TASKRUNNER TO COMPLETE - Maximum wait time is : 0.05 mins\n#\n"
            "WARNING - Maximum configured SWCI wait time is over\n"
            "ERROR: task 'build' on taskrunner 'defaulttaskbb.taskdb.sml.hpe' did not finish in 0.05 mins; "
            "it still "
            "waits for: 0 of 1 SWOPs completed; no SWOP is enrolled\n");
  EXPECT_EQ(last_.status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(3));
}

TEST_F(SwciWaitTest, TheContextsSettingOverridesTheEnvironment) {
  process_env_["SWCI_TASK_MAX_WAIT_TIME"] = "0.05";
  ASSERT_THAT(Run("SET CONTEXT ENV c SWCI_TASK_MAX_WAIT_TIME 0.1"), StartsWith("CONTEXT ENV SET"));
  EXPECT_THAT(Wait(), StartsWith("WAITING FOR TASKRUNNER TO COMPLETE - Maximum wait time is : 0.1 mins\n"));
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(6));
  process_env_["SWCI_TASK_MAX_WAIT_TIME"] = "never";
  ASSERT_THAT(Run("CREATE CONTEXT d WITH IP 127.0.0.2"), HasSubstr("CONTEXT CREATED"));
  ASSERT_THAT(Run("SWITCH CONTEXT d"), HasSubstr("DEFAULT CONTEXT SET"));
  EXPECT_EQ(
      Wait(),
      "ERROR: SWCI_TASK_MAX_WAIT_TIME is 'never'; expected a number of minutes above 0, e.g. 120 or 0.5\n");
}

TEST_F(SwciWaitTest, AFailedTaskFailsTheCommandWithEachFailedPeer) {
  sn_.on_get_task_runner = [](testing::FakeSn& sn) {
    if (sn.get_task_runner_calls < 3) return;
    auto& tr = sn.task_runners[kTr];
    tr.set_state(swarm::v1::TASK_STATE_FAILED);
    tr.set_state_reason("1 of 1 SWOPs failed");
    if (tr.peers_size() == 0) {
      auto* p = tr.add_peers();
      p->set_uid("swop-a");
      p->set_state(swarm::v1::PEER_STATE_FAILED);
      p->set_description("docker build: exit 1");
    }
  };
  const std::string out = Wait();
  EXPECT_EQ(last_.status.code(), StatusCode::kAborted);
  EXPECT_THAT(out, HasSubstr("TASK STATE      : FAILED\n"));
  EXPECT_THAT(
      out, HasSubstr("FAILED PEER  DESCRIPTION\nSWOP swop-a  docker build: exit 1\n"
                     "ERROR: task 'build' FAILED on taskrunner 'defaulttaskbb.taskdb.sml.hpe': 1 of 1 SWOPs "
                     "failed\n"));
}

TEST_F(SwciWaitTest, AnUnreachableSnDoesNotEndTheWaitButOtherErrorsDo) {
  sn_.on_get_task_runner = [](testing::FakeSn& sn) {
    if (sn.get_task_runner_calls == 2) sn.next_get_task_runner_error = Unavailable("SN down");
    if (sn.get_task_runner_calls == 4) sn.task_runners[kTr].set_state(swarm::v1::TASK_STATE_COMPLETED);
  };
  EXPECT_THAT(Wait(), HasSubstr("TASK STATE      : COMPLETED\n"));
  EXPECT_EQ(sn_.get_task_runner_calls, 4);
  sn_.task_runners[kTr].set_state(swarm::v1::TASK_STATE_ACTIVE);
  sn_.on_get_task_runner = [](testing::FakeSn& sn) {
    if (sn.get_task_runner_calls == 6) sn.task_runners.erase(kTr);
  };
  EXPECT_THAT(Wait(), HasSubstr("ERROR: no taskrunner named 'defaulttaskbb.taskdb.sml.hpe'"));
}

TEST_F(SwciWaitTest, CtrlCStopsTheWait) {
  clock_.on_sleep = [this] {
    if (clock_.slept() >= std::chrono::seconds(5)) session_->stop().Request(SIGINT);
  };
  const std::string out = Wait();
  EXPECT_EQ(last_.status.code(), StatusCode::kCancelled);
  EXPECT_THAT(out, HasSubstr("ERROR: WAIT FOR TASKRUNNER defaulttaskbb.taskdb.sml.hpe interrupted\n"));
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(5));
}

TEST_F(SwciWaitTest, NothingToWaitFor) {
  ASSERT_EQ(Run(std::string("RESET TASKRUNNER ") + kTr), std::string("TASKRUNNER RESET : ") + kTr + "\n");
  EXPECT_EQ(Wait(), std::string("ERROR: taskrunner '") + kTr +
                        "' has no task to wait for; ASSIGN TASK <task> TO " + kTr +
                        " WITH <n> PEERS starts one\n");
  EXPECT_EQ(Run("WAIT FOR TASKRUNNER nope"), "ERROR: no taskrunner named 'nope'\n");
}

TEST_F(SwciSessionTest, SleepAndWaitForIpUseTheClockAndStop) {
  EXPECT_EQ(Run("SLEEP 90"), "");
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(90));
  EXPECT_EQ(Run("SLEEP soon"), "ERROR: seconds 'soon' is not a number from 0 to 86400\n");
  EXPECT_EQ(Run("WAIT FOR IP 127.0.0.1 1 4"),
            "ERROR: API server at 127.0.0.1:1 is not up: connection refused\n");
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(90 + 3 * 5));
  EXPECT_EQ(Run("WAIT FOR IP 127.0.0.1"), "API Server is UP!\n");
  clock_.on_sleep = [this] { session_->stop().Request(SIGTERM); };
  EXPECT_EQ(Run("SLEEP 100"), "ERROR: SLEEP interrupted\n");
  EXPECT_EQ(last_.status.code(), StatusCode::kCancelled);
}

TEST_F(SwciSessionTest, ExitAndExitOnFailure) {
  EXPECT_EQ(Run("EXIT ON FAILURE"), "EXIT ON FAILURE : ON\n");
  EXPECT_EQ(Run("exit on failure off"), "EXIT ON FAILURE : OFF\n");
  EXPECT_EQ(Run("EXIT ON FAILURE MAYBE"), "ERROR: Usage: EXIT ON FAILURE [ON/OFF]\n");
  EXPECT_FALSE(last_.end);
  EXPECT_EQ(Run("EXIT ON FAILURE ON"), "EXIT ON FAILURE : ON\n");
  Run("LIST NODES");
  EXPECT_TRUE(last_.end);
  Run("EXIT");
  EXPECT_TRUE(last_.end);
  EXPECT_TRUE(last_.status.ok());
}

TEST_F(SwciSessionTest, ListNodesShowsLiveNodesButNotSwci) {
  Connect();
  auto add = [&](swarm::v1::NodeType type, const std::string& name, bool alive) {
    auto& n = sn_.nodes.emplace_back();
    n.mutable_record()->set_type(type);
    n.mutable_record()->set_host("127.0.0.1");
    n.mutable_record()->set_port(30304);
    n.mutable_record()->set_name(name);
    n.mutable_record()->set_uid("u-" + name);
    n.set_alive(alive);
  };
  add(swarm::v1::NODE_TYPE_SENTINEL, "sn-1", true);
  add(swarm::v1::NODE_TYPE_SL, "sl-1", false);
  add(swarm::v1::NODE_TYPE_SWCI, "swci-1", true);
  EXPECT_EQ(
      Run("LIST NODES"),
      "NODE TYPE HOST             PORT   NAME      UID                               PARENT UID           "
      "             LAST I-AM-ALIVE\n"
      "SENTINEL  127.0.0.1        30304  sn-1      u-sn-1                            -                    "
      "             -\n");
}

TEST_F(SwciSessionTest, HelpCoversEveryCommand) {
  const std::string all = Run("HELP");
  for (const char* name : {"ASSIGN TASK", "CD", "CREATE TASK FROM", "GET TASKRUNNER PEER STATUS", "LS", "PWD",
                           "PERFDATA CONTRACT", "SET CONTEXT ENV", "WAIT FOR TASKRUNNER"}) {
    EXPECT_THAT(all, HasSubstr(std::string(" ") + name + "\n"));
  }
  EXPECT_THAT(Run("help wait for taskrunner"), StartsWith(" WAIT FOR TASKRUNNER <trName : string>\n\n"));
  EXPECT_EQ(Run("HELP GET CONTEXT"), " GET CONTEXT ENV\n GET CONTEXT INFO\n GET CONTEXT VERSION\n");
}

TEST(SwciRunLines, EchoesRendersAndEndsAsTheSessionSays) {
  Services s;
  s.connect = [](const snapi::Endpoint&) -> StatusOr<std::unique_ptr<snapi::SnApi>> {
    return Unavailable("no SN in this test");
  };
  Session session(std::move(s), fs::temp_directory_path());
  std::istringstream in("# comment\nEXIT ON FAILURE\nFROBNICATE\nLIST NODES\n");
  std::ostringstream out;
  EXPECT_EQ(RunLines(session, in, out, {}), 1);
  EXPECT_EQ(out.str(),
            "SWCI:0 > # comment\nSWCI:0 > EXIT ON FAILURE\nEXIT ON FAILURE : ON\nSWCI:1 > FROBNICATE\n"
            "ERROR: unknown command 'FROBNICATE'; type HELP for the list of commands\n");
  std::istringstream rest("pwd\n");
  EXPECT_EQ(RunLines(session, rest, out, {}), std::nullopt);
  std::istringstream exit("EXIT\nLIST NODES\n");
  EXPECT_EQ(RunLines(session, exit, out, {}), 0);
}

}  // namespace
}  // namespace swarm::swci
