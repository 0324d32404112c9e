// Swarm training end to end with real processes: a sentinel SN (real etcd, real TLS)
// and three `swarm sl` nodes, each running a small C++ ML program (toy_ml) as its
// sidecar over the Unix socket.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "ledger/etcd_process.h"
#include "support/child_process.h"
#include "support/sn_command.h"

namespace swarm {
namespace {
namespace fs = std::filesystem;
using Process = testing::ChildProcess;
using ::testing::HasSubstr;

class SwarmTrainingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/swarm_training_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    for (int host : {1, 2, 3}) {
      const std::string cmd = std::string(SWARM_BIN) + " gen-cert -e t -i " + std::to_string(host) + " -o " +
                              (dir_ / "ws").string() + " >/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0);
    }
    api_ = *ledger::FreeLocalPort();
    const pki::TlsFiles tls{Cert("sn-1-key.pem"), Cert("sn-1-cert.pem"), Cert("ca/capath")};
    sn_ = std::make_unique<Process>(
        testing::SnCommand(SWARM_BIN, tls, api_, *ledger::FreeLocalPort(), dir_ / "sn"), dir_ / "sn.log");
    ASSERT_TRUE(sn_->WaitForLog("Starting SWARM-API-SERVER")) << sn_->Log();
    // Short deadlines for tests: the grace period after quorum and the leader's merge deadline.
    ::setenv("SL_WAIT_FOR_FULL_QUORUM_SECONDS", "1", 1);
    ::setenv("SL_LEADER_FAILURE_BASE_TIMEOUT", "10", 1);
  }
  void TearDown() override {
    for (auto& p : sl_) p.reset();
    sn_.reset();
    fs::remove_all(dir_);
  }
  std::string Cert(const std::string& name) const { return (dir_ / "ws" / "t" / "cert" / name).string(); }

  // SL i (host i+1's certificate) with toy_ml as its program.
  // `ml_env`: more KEY=VALUE for the program.
  Process* StartSl(int i, int min_peers, const std::vector<std::string>& ml_env = {}) {
    const std::string h = std::to_string(i + 1);
    std::vector<std::string> args{SWARM_BIN,         "sl",
                                  "--host-ip",       "127.0.0.1",
                                  "--sn-ip",         "127.0.0.1",
                                  "--sn-api-port",   std::to_string(api_),
                                  "--sl-fs-port",    std::to_string(*ledger::FreeLocalPort()),
                                  "--key",           Cert("sl-" + h + "-key.pem"),
                                  "--cert",          Cert("sl-" + h + "-cert.pem"),
                                  "--capath",        Cert("ca/capath"),
                                  "--data-dir",      (dir_ / ("sl" + h)).string(),
                                  "--ml-name",       "toy-" + h,
                                  "--ml-entrypoint", TOY_ML_BIN,
                                  "--ml-e",          "TOY_SEED=" + h,
                                  "--ml-e",          "TOY_MIN_PEERS=" + std::to_string(min_peers),
                                  "--ml-e",          "TOY_OUT=" + Out(i)};
    for (const auto& kv : ml_env) args.insert(args.end(), {"--ml-e", kv});
    sl_[i] = std::make_unique<Process>(args, dir_ / ("sl" + h + ".log"));
    return sl_[i].get();
  }
  std::string Out(int i) const { return (dir_ / ("out" + std::to_string(i + 1) + ".txt")).string(); }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::string s;
    std::getline(in, s);
    return s;
  }

  fs::path dir_;
  int api_ = 0;
  std::unique_ptr<Process> sn_, sl_[3];
};

// minPeers=3 with two nodes: they wait and say so; the third arrives; all three finish
// with the same final model and HPE's closing line.
TEST_F(SwarmTrainingTest, ThreeNodesWaitForQuorumTrainAndEndWithTheSameModel) {
  StartSl(0, 3);
  StartSl(1, 3);
  ASSERT_TRUE(sl_[0]->WaitForLog("waiting for peers in round 1: 2 checked in, minPeers 3")) << sl_[0]->Log();
  StartSl(2, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sl_[i]->WaitExit(), 0) << sl_[i]->Log();
    EXPECT_THAT(sl_[i]->Log(),
                HasSubstr("SwarmCallback : INFO : All peers and Swarm training rounds finished. "
                          "Final Swarm model was loaded."));
  }
  const std::string final_model = Read(Out(0));
  EXPECT_FALSE(final_model.empty());
  EXPECT_EQ(Read(Out(1)), final_model);
  EXPECT_EQ(Read(Out(2)), final_model);
}

// A node whose model has another schema than the training's is refused before it checks
// in, and its error names the first difference.
TEST_F(SwarmTrainingTest, ANodeWithAnotherModelSchemaIsRefusedWithTheFirstDifference) {
  StartSl(0, 2);
  ASSERT_TRUE(sl_[0]->WaitForLog("checked in to round 1")) << sl_[0]->Log();
  StartSl(1, 2, {"TOY_EXTRA=1"});
  EXPECT_NE(sl_[1]->WaitExit(), 0) << sl_[1]->Log();
  EXPECT_THAT(sl_[1]->Log(),
              HasSubstr("cannot join training 'defaultbb.cqdb.sml.hpe': schema mismatch at tensor 2: "
                        "this node's model has 3 tensors, the training's model (set by node "));
  EXPECT_THAT(sl_[1]->Log(), HasSubstr("(first extra tensor 'extra' f32[2])"));
}

// SIGKILL of the leader in the middle of its merge: the round completes under the next
// leader and training goes on; the killed node, restarted with its data dir, catches up
// with the latest merged model, and everyone ends with the same final model.
TEST_F(SwarmTrainingTest, KilledLeaderIsReplacedAndRejoinsAfterRestart) {
  ::setenv("SWARM_TESTING_MERGE_DELAY_SECONDS", "1", 1);  // every leader pauses before merging
  ::setenv("SL_LEADER_FAILURE_BASE_TIMEOUT", "4", 1);
  for (int i = 0; i < 3; ++i) StartSl(i, 2);
  int leader = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (leader < 0 && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 3 && leader < 0; ++i) {
      if (sl_[i]->Log().find("leading the merge of round 1 ") != std::string::npos) leader = i;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(leader, 0) << sl_[0]->Log();
  EXPECT_THAT(sl_[leader]->Log(), ::testing::Not(HasSubstr("merged model of round 1 loaded")));
  sl_[leader]->Kill(SIGKILL);

  const int survivor = (leader + 1) % 3, other = (leader + 2) % 3;
  // Either survivor may notice first; watch both (waiting on one would let the other finish
  // the whole training before the killed node is back).
  const std::string replaced = "of round 1 missed its merge deadline; choosing the next leader";
  const auto replace_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (sl_[survivor]->Log().find(replaced) == std::string::npos &&
         sl_[other]->Log().find(replaced) == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), replace_deadline) << sl_[survivor]->Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(sl_[survivor]->WaitForLog("merged model of round 1 loaded")) << sl_[survivor]->Log();
  EXPECT_TRUE(sl_[survivor]->Log().find("leading the merge of round 1 ") != std::string::npos ||
              sl_[other]->Log().find("leading the merge of round 1 ") != std::string::npos);

  StartSl(leader, 2);  // same data dir: same uid; its program starts from scratch
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sl_[i]->WaitExit(), 0) << sl_[i]->Log();
    EXPECT_THAT(sl_[i]->Log(), HasSubstr("Final Swarm model was loaded."));
  }
  EXPECT_THAT(sl_[leader]->Log(), HasSubstr("before contributing"));  // it caught up first
  EXPECT_EQ(Read(Out(leader)), Read(Out(survivor)));
  EXPECT_EQ(Read(Out(other)), Read(Out(survivor)));
  ::unsetenv("SWARM_TESTING_MERGE_DELAY_SECONDS");
}

}  // namespace
}  // namespace swarm
