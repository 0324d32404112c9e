// Swarm training end to end with real processes: a sentinel SN (real etcd, real TLS)
// and three `swarm sl` nodes, each running a small C++ ML program (toy_ml) as its
// sidecar over the Unix socket.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>

#include "ledger/etcd_process.h"
#include "pki/tls.h"
#include "sl/bridge_service.h"
#include "support/child_process.h"
#include "support/sn_command.h"
#include "swarm/v1/sl.grpc.pb.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm {
namespace {
namespace fs = std::filesystem;
using Process = testing::ChildProcess;
using ::testing::HasSubstr;
using SteadyClock = std::chrono::steady_clock;
using testing::ChildrenOf;

bool Gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

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

  // SL i (host i+1's certificate) with toy_ml as its program (none if min_peers is 0).
  // `ml_env`: more KEY=VALUE for the program.
  Process* StartSl(int i, int min_peers, const std::vector<std::string>& ml_env = {}) {
    std::vector<std::string> args = SlArgs(i, min_peers, (dir_ / ("sl" + std::to_string(i + 1))).string());
    if (min_peers == 0) args.resize(args.size() - 10);  // from --ml-entrypoint on
    for (const auto& kv : ml_env) args.insert(args.end(), {"--ml-e", kv});
    sl_[i] = std::make_unique<Process>(args, dir_ / ("sl" + std::to_string(i + 1) + ".log"));
    return sl_[i].get();
  }
  // `swarm sl` for node i with host i+1's certificate, running toy_ml; the ML flags come last.
  std::vector<std::string> SlArgs(int i, int min_peers, const std::string& data_dir) const {
    const std::string h = std::to_string(i + 1);
    return {SWARM_BIN,         "sl",
            "--host-ip",       "127.0.0.1",
            "--sn-ip",         "127.0.0.1",
            "--sn-api-port",   std::to_string(api_),
            "--sl-fs-port",    std::to_string(*ledger::FreeLocalPort()),
            "--key",           Cert("sl-" + h + "-key.pem"),
            "--cert",          Cert("sl-" + h + "-cert.pem"),
            "--capath",        Cert("ca/capath"),
            "--data-dir",      data_dir,
            "--ml-name",       "toy-" + h,
            "--ml-entrypoint", TOY_ML_BIN,
            "--ml-e",          "TOY_SEED=" + h,
            "--ml-e",          "TOY_MIN_PEERS=" + std::to_string(min_peers),
            "--ml-e",          "TOY_OUT=" + Out(i)};
  }
  // The SN's API as SWCI (any role may read progress).
  std::unique_ptr<swarm::v1::SwarmNetwork::Stub> SnStub() const {
    auto id = pki::TlsIdentity::Load({Cert("swci-1-key.pem"), Cert("swci-1-cert.pem"), Cert("ca/capath")});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return swarm::v1::SwarmNetwork::NewStub(pki::MakeSecureChannel(*id, "127.0.0.1:" + std::to_string(api_)));
  }
  // Runs SWCI with `script` as its init script; returns its transcript.
  std::string Swci(const std::string& script) {
    const fs::path usr = dir_ / "swci-usr";
    fs::create_directories(usr);
    std::ofstream(usr / "swci-init") << "CREATE CONTEXT c WITH IP 127.0.0.1 " << api_
                                     << "\nSWITCH CONTEXT c\n"
                                     << script << "EXIT\n";
    Process swci({SWARM_BIN, "swci", "--key", Cert("swci-1-key.pem"), "--cert", Cert("swci-1-cert.pem"),
                  "--capath", Cert("ca/capath"), "--usr-dir", usr.string()},
                 dir_ / "swci.log");
    EXPECT_EQ(swci.WaitExit(std::chrono::seconds(60)), 0) << swci.Log();
    const std::string transcript = swci.Log();
    fs::remove(dir_ / "swci.log");
    return transcript;
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

  // Each node's training progress, as its program reported it at every epoch end, is
  // readable through the SN's API (PERFDATA and the web UI read it there).
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  swarm::v1::ListProgressResponse progress;
  ASSERT_TRUE(SnStub()->ListProgress(&ctx, {}, &progress).ok());
  ASSERT_EQ(progress.progress_size(), 3) << progress.DebugString();
  std::set<std::string> uids;
  for (const auto& p : progress.progress()) {
    uids.insert(p.uid());
    EXPECT_EQ(p.contract(), "defaultbb.cqdb.sml.hpe");
    EXPECT_EQ(p.epochs_done(), 3u);
    EXPECT_EQ(p.total_epochs(), 3u);
    EXPECT_GT(p.rounds_done(), 0u);
    EXPECT_GT(p.loss(), 0);
    EXPECT_GT(p.updated_unix_ms(), 0);
  }
  EXPECT_EQ(uids.size(), 3u);
}

// An ML program that dies takes its SL down with a non-zero status and a log line that
// says so; the peers carry on (quorum 2 holds) and end with the same final model.
TEST_F(SwarmTrainingTest, AnMlProgramThatDiesEndsItsSlAndThePeersCarryOn) {
  StartSl(0, 2);
  StartSl(1, 2);
  StartSl(2, 2, {"TOY_DIE_AFTER=12"});
  EXPECT_NE(sl_[2]->WaitExit(), 0);
  EXPECT_THAT(sl_[2]->Log(), HasSubstr("ML program 'toy-3' exited with status 9"));
  EXPECT_THAT(sl_[2]->Log(), HasSubstr("leaving the swarm: serving peers the blobs this node holds"));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(sl_[i]->WaitExit(), 0) << sl_[i]->Log();
    EXPECT_THAT(sl_[i]->Log(), HasSubstr("Final Swarm model was loaded."));
  }
  EXPECT_FALSE(Read(Out(0)).empty());
  EXPECT_EQ(Read(Out(0)), Read(Out(1)));
}

// The SL refuses a program that speaks another API version, naming both versions.
TEST_F(SwarmTrainingTest, TheSlRefusesAProgramOfAnotherApiVersion) {
  StartSl(0, 0);  // no program: the socket waits for one
  const fs::path socket = dir_ / "sl1" / "sl.sock";
  ASSERT_TRUE(sl_[0]->WaitForLog("ML socket")) << sl_[0]->Log();
  auto stub = swarm::v1::SwarmLearning::NewStub(
      grpc::CreateChannel("unix:" + socket.string(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ctx.set_wait_for_ready(true);
  swarm::v1::HelloRequest req;
  req.set_api_version(sl::kSlApiVersion + 1);
  swarm::v1::HelloResponse out;
  const grpc::Status s = stub->Hello(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(),
              HasSubstr("the ML program speaks SL API version " + std::to_string(sl::kSlApiVersion + 1) +
                        ", this SL speaks version " + std::to_string(sl::kSlApiVersion)));
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

// SIGKILL of the leader as it starts its merge: it dies before recording the merge (the
// next leader is chosen), after (nobody can fetch its model, and the round is merged
// again), or, the merge being quick, after peers fetched it; the round completes each way
// and training goes on. The killed node, restarted
// with its data dir, catches up with the latest merged model, and everyone ends with the
// same final model. (Each path on its own, at an exact point: sl/round_driver_test.cc.)
TEST_F(SwarmTrainingTest, KilledLeaderIsReplacedAndRejoinsAfterRestart) {
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
  sl_[leader]->Kill(SIGKILL);

  const int survivor = (leader + 1) % 3, other = (leader + 2) % 3;
  // Either survivor may notice first; watch both (waiting on one would let the other finish
  // the whole training before the killed node is back).
  const auto noticed = [&](int i) {
    const std::string log = sl_[i]->Log();
    return log.find("of round 1 missed its merge deadline; choosing the next leader") != std::string::npos ||
           log.find("of round 1 is no longer alive; choosing the next leader") != std::string::npos ||
           log.find("the merged model of round 1 is lost") != std::string::npos ||
           log.find("merged model of round 1 loaded") != std::string::npos;
  };
  const auto replace_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!noticed(survivor) && !noticed(other)) {
    ASSERT_LT(std::chrono::steady_clock::now(), replace_deadline)
        << sl_[survivor]->Log() << "\n---- SL " << other << "\n"
        << sl_[other]->Log() << "\n---- SL " << leader << " (killed)\n"
        << sl_[leader]->Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(sl_[survivor]->WaitForLog("merged model of round 1 loaded")) << sl_[survivor]->Log();

  StartSl(leader, 2);  // same data dir: same uid; its program starts afresh
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sl_[i]->WaitExit(), 0) << sl_[i]->Log();
    EXPECT_THAT(sl_[i]->Log(), HasSubstr("Final Swarm model was loaded."));
  }
  // It resumed from the latest merged model, not from its program's first weights.
  EXPECT_THAT(sl_[leader]->Log(), HasSubstr("resuming Swarm training from the merged model of round"));
  EXPECT_EQ(Read(Out(leader)), Read(Out(survivor)));
  EXPECT_EQ(Read(Out(other)), Read(Out(survivor)));
}

// Tried as a new user would: `swarm sl --data-dir sl1` (relative) with the program started
// in another directory (--ml-w). Every path the SL hands its program must be absolute, or the
// program fails at its first sync (it once did: "cannot create 'sl1/blobs/incoming/...'").
TEST_F(SwarmTrainingTest, AnSlWithARelativeDataDirHandsItsProgramPathsItCanUse) {
  const fs::path elsewhere = dir_ / "elsewhere";
  fs::create_directories(elsewhere);
  std::vector<std::unique_ptr<Process>> sls;
  for (int i = 0; i < 2; ++i) {
    const std::string h = std::to_string(i + 1);
    std::vector<std::string> args = SlArgs(i, 2, "rel-sl" + h);  // relative to where the SL starts
    args.insert(args.end(), {"--ml-w", elsewhere.string()});
    sls.push_back(std::make_unique<Process>(args, dir_ / ("rel-sl" + h + ".log"), dir_));
  }
  for (auto& sl : sls) {
    EXPECT_EQ(sl->WaitExit(), 0) << sl->Log();
    EXPECT_THAT(sl->Log(), HasSubstr("Final Swarm model was loaded."));
  }
  EXPECT_TRUE(fs::is_directory(dir_ / "rel-sl1" / "blobs"));  // relative to where the SL started
  EXPECT_EQ(Read(Out(0)), Read(Out(1)));
}

// An ML program killed while its sync waits for peers ends its SL, which says so and exits
// (it used to wait for peers forever on behalf of a dead program).
TEST_F(SwarmTrainingTest, AnMlProgramKilledWhileItsSyncWaitsEndsItsSl) {
  Process* sl = StartSl(0, 2);  // alone: its first sync waits for a second peer
  ASSERT_TRUE(sl->WaitForLog("waiting for peers in round 1: 1 checked in, minPeers 2")) << sl->Log();
  const std::vector<pid_t> program = ChildrenOf(sl->pid());
  ASSERT_EQ(program.size(), 1u);
  ASSERT_EQ(::kill(program[0], SIGKILL), 0);
  const auto killed = SteadyClock::now();
  EXPECT_EQ(sl->WaitExit(std::chrono::seconds(40)), 128 + SIGKILL) << sl->Log();
  // It lingers 11 s for its peers (the lease), not more.
  EXPECT_LT(SteadyClock::now() - killed, std::chrono::seconds(25)) << sl->Log();
  EXPECT_THAT(sl->Log(), HasSubstr("ML program 'toy-1' was killed by signal 9"));
  EXPECT_THAT(sl->Log(), HasSubstr("leaving the swarm"));
}

// SIGTERM or SIGINT to an SL that runs its program (here waiting in a sync): the program
// gets SIGTERM, the SL exits within the grace period saying so, and nothing is left.
TEST_F(SwarmTrainingTest, SigtermOrSigintToAnSlStopsItAndItsProgramWithinTheGrace) {
  StartSl(0, 3);
  StartSl(1, 3);  // minPeers 3 with two nodes: both wait
  ASSERT_TRUE(sl_[0]->WaitForLog("waiting for peers in round 1: 2 checked in, minPeers 3")) << sl_[0]->Log();
  std::vector<pid_t> programs;
  for (int i = 0; i < 2; ++i) {
    const auto kids = ChildrenOf(sl_[i]->pid());
    ASSERT_EQ(kids.size(), 1u);
    programs.push_back(kids[0]);
  }
  const auto asked = SteadyClock::now();
  ASSERT_EQ(::kill(sl_[0]->pid(), SIGTERM), 0);  // the SL alone, not its group
  ASSERT_EQ(::kill(sl_[1]->pid(), SIGINT), 0);
  for (int i = 0; i < 2; ++i) {
    // toy_ml does not catch SIGTERM: it ends by it, and the SL reports that.
    EXPECT_EQ(sl_[i]->WaitExit(std::chrono::seconds(60)), 128 + SIGTERM) << sl_[i]->Log();
    EXPECT_THAT(sl_[i]->Log(), HasSubstr("stopping: asking ML program 'toy-" + std::to_string(i + 1) +
                                         "' to end (SIGTERM; SIGKILL after 5000 ms)"));
    EXPECT_THAT(sl_[i]->Log(), HasSubstr("stopped on request; ML program 'toy-" + std::to_string(i + 1) +
                                         "' was killed by signal 15"));
    EXPECT_TRUE(Gone(programs[i])) << "program " << programs[i] << " outlived its SL";
  }
  EXPECT_LT(SteadyClock::now() - asked, std::chrono::seconds(10));
}

// No wait is without a deadline: a sync that cannot get its quorum fails after
// SL_SYNC_MAX_WAIT_SECONDS, saying what it waited for and who was there.
TEST_F(SwarmTrainingTest, ASyncPastItsDeadlineFailsSayingWhatItWaitedFor) {
  ::setenv("SL_SYNC_MAX_WAIT_SECONDS", "3", 1);
  Process* sl = StartSl(0, 2);
  ::unsetenv("SL_SYNC_MAX_WAIT_SECONDS");
  EXPECT_NE(sl->WaitExit(std::chrono::seconds(60)), 0) << sl->Log();
  EXPECT_THAT(sl->Log(),
              HasSubstr("waited 3 s for minPeers 2 in round 1 of contract 'defaultbb.cqdb.sml.hpe'; "
                        "1 checked in: "));
  EXPECT_THAT(sl->Log(), HasSubstr("SL_SYNC_MAX_WAIT_SECONDS sets the deadline"));
}

// RESET CONTRACT during a training is refused with the way out; RESET CONTRACT ... FORCE
// ends it, and every member stops saying its contract was reset (it used to wait forever).
TEST_F(SwarmTrainingTest, ResetContractDuringATrainingIsRefusedAndForceEndsEveryMember) {
  StartSl(0, 3, {"TOY_EPOCHS=1000"});
  StartSl(1, 3, {"TOY_EPOCHS=1000"});
  StartSl(2, 3, {"TOY_EPOCHS=1000"});
  ASSERT_TRUE(sl_[0]->WaitForLog("merged model of round 2 loaded")) << sl_[0]->Log();
  const std::string refused = Swci("RESET CONTRACT defaultbb.cqdb.sml.hpe\n");
  EXPECT_THAT(refused, HasSubstr("contract 'defaultbb.cqdb.sml.hpe' has a training in progress"));
  EXPECT_THAT(refused, HasSubstr("RESET CONTRACT defaultbb.cqdb.sml.hpe FORCE"));
  const std::string forced = Swci("RESET CONTRACT defaultbb.cqdb.sml.hpe FORCE\n");
  EXPECT_THAT(forced, HasSubstr("CONTRACT RESET : defaultbb.cqdb.sml.hpe"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(sl_[i]->WaitExit(std::chrono::seconds(60)), 0) << sl_[i]->Log();
    EXPECT_THAT(sl_[i]->Log(), HasSubstr("the training on contract 'defaultbb.cqdb.sml.hpe' was reset "
                                         "(RESET CONTRACT) while this node took part in it"));
  }
}

}  // namespace
}  // namespace swarm
