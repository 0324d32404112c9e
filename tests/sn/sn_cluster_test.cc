// `swarm sn` processes on loopback: a sentinel and joined SNs with real etcd members,
// real certificates from `swarm gen-cert`, mutual TLS everywhere.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "ledger/chain.h"
#include "ledger/etcd_process.h"
#include "ledger/store.h"
#include "pki/cert_gen.h"
#include "pki/tls.h"
#include "support/child_process.h"
#include "support/sn_command.h"
#include "swarm/v1/health.grpc.pb.h"
#include "swarm/v1/sn.grpc.pb.h"

namespace swarm {
namespace {
namespace fs = std::filesystem;
using pki::Role;
using ::testing::HasSubstr;

using Process = testing::ChildProcess;
using testing::ReadAll;

class SnClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/swarm_sn_cluster_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    for (int host : {1, 2, 3})
      Run({SWARM_BIN, "gen-cert", "-e", "t", "-i", std::to_string(host), "-o", ws()});
    // A host whose CA nobody trusts.
    Run({SWARM_BIN, "gen-cert", "-e", "t", "-i", "9", "-o", (dir_ / "stranger").string()});
    for (int i = 0; i < 3; ++i) {
      api_[i] = *ledger::FreeLocalPort();
      p2p_[i] = *ledger::FreeLocalPort();
    }
  }
  void TearDown() override {
    for (auto& p : sn_) p.reset();
    fs::remove_all(dir_);
  }

  static void Run(const std::vector<std::string>& args) {
    std::string cmd;
    for (const auto& a : args) cmd += "'" + a + "' ";
    ASSERT_EQ(std::system((cmd + ">/dev/null").c_str()), 0) << cmd;
  }
  std::string ws() const { return (dir_ / "ws").string(); }
  fs::path CertDir() const { return dir_ / "ws" / "t" / "cert"; }
  pki::TlsFiles Files(Role role, int host) const {
    return {pki::RoleKeyPath(CertDir(), role, host), pki::RoleCertPath(CertDir(), role, host),
            CertDir() / "ca" / "capath"};
  }

  // Starts SN i (0: the sentinel) with certificate `cert_host` of `role`.
  Process* StartSn(int i, Role role = Role::kSn) {
    const pki::TlsFiles f = Files(role, i + 1);
    const auto args = testing::SnCommand(SWARM_BIN, f, api_[i], p2p_[i], dir_ / ("sn" + std::to_string(i)),
                                         i == 0 ? 0 : api_[0]);
    // A new log per start, so that waiting for a line never finds one from an earlier run.
    const std::string log = "sn" + std::to_string(i) + "-" + std::to_string(starts_[i]++) + ".log";
    sn_[i] = std::make_unique<Process>(args, dir_ / log);
    return sn_[i].get();
  }
  void StartReady(int i) {
    Process* p = StartSn(i);
    ASSERT_TRUE(p->WaitForLog("Starting SWARM-API-SERVER on port: " + std::to_string(api_[i]))) << p->Log();
  }

  std::unique_ptr<swarm::v1::SwarmNetwork::Stub> Stub(int i, const pki::TlsFiles& f) {
    auto id = pki::TlsIdentity::Load(f);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return swarm::v1::SwarmNetwork::NewStub(
        pki::MakeSecureChannel(*id, "127.0.0.1:" + std::to_string(api_[i])));
  }

  static grpc::ClientContext* Ctx(grpc::ClientContext& c) {
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return &c;
  }

  // CREATE CONTRACT through SN i, as SWCI of host 1.
  grpc::Status CreateContract(int i, const std::string& name, swarm::v1::SubmitResponse* out = nullptr) {
    const pki::TlsFiles f = Files(Role::kSwci, 1);
    swarm::v1::Transaction tx;
    tx.mutable_create_contract()->set_name(name);
    swarm::v1::SubmitRequest req;
    *req.add_transactions() = *ledger::SignTransaction(tx, *pki::Signer::Load(f.key, f.cert));
    swarm::v1::SubmitResponse resp;
    grpc::ClientContext c;
    return Stub(i, f)->Submit(Ctx(c), req, out ? out : &resp);
  }

  std::vector<std::string> Contracts(int i) {
    swarm::v1::ListContractsResponse resp;
    grpc::ClientContext c;
    auto s = Stub(i, Files(Role::kSwci, 1))->ListContracts(Ctx(c), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> names;
    for (const auto& ct : resp.contracts()) names.push_back(ct.name());
    return names;
  }

  fs::path dir_;
  int api_[3] = {}, p2p_[3] = {}, starts_[3] = {};
  std::unique_ptr<Process> sn_[3];
};

TEST_F(SnClusterTest, SentinelIsReadyInUnderFiveSecondsAndAnswersHealth) {
  const auto start = std::chrono::steady_clock::now();
  Process* p = StartSn(0);
  ASSERT_TRUE(
      p->WaitForLog("swarm.blCnt : INFO : Starting SWARM-API-SERVER on port: " + std::to_string(api_[0]),
                    std::chrono::seconds(5)))
      << p->Log();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("sentinel_ready_seconds", std::to_string(seconds));
  EXPECT_LT(seconds, 5.0);
  auto id = *pki::TlsIdentity::Load(Files(Role::kSl, 2));
  auto health =
      swarm::v1::Health::NewStub(pki::MakeSecureChannel(id, "127.0.0.1:" + std::to_string(api_[0])));
  swarm::v1::HealthCheckResponse out;
  grpc::ClientContext c;
  ASSERT_TRUE(health->Check(Ctx(c), {}, &out).ok());
  EXPECT_EQ(out.status(), "OK");
  // The default contract exists from the start.
  EXPECT_THAT(Contracts(0), ::testing::Contains("defaultbb.cqdb.sml.hpe"));
  EXPECT_EQ(p->Kill(SIGTERM), 0);
}

TEST_F(SnClusterTest, MissingSentinelFlagsGiveHpesMessage) {
  Process p(
      {SWARM_BIN, "sn", "--key", "k", "--cert", "c", "--capath", "p", "--data-dir", (dir_ / "x").string()},
      dir_ / "x.log");
  EXPECT_EQ(p.WaitExit(), 2);
  EXPECT_THAT(p.Log(), HasSubstr("either --sentinel or --sentinel-ip must be specified"));
}

TEST_F(SnClusterTest, ThreeSnsShareOneLedgerSurviveAKillAndCatchUp) {
  StartReady(0);
  StartReady(1);
  StartReady(2);
  ASSERT_TRUE(CreateContract(1, "through-sn2").ok());
  EXPECT_THAT(Contracts(2), ::testing::Contains("through-sn2"));

  // SIGKILL one SN: writes still succeed through the other two.
  EXPECT_EQ(sn_[2]->Kill(SIGKILL), 128 + SIGKILL);
  auto s = CreateContract(0, "while-sn3-down");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(Contracts(1), ::testing::Contains("while-sn3-down"));
  // Restarted with the same data dir, it catches up.
  StartReady(2);
  EXPECT_THAT(Contracts(2), ::testing::IsSupersetOf({"through-sn2", "while-sn3-down"}));

  // Stop all three and start them again: history persists.
  for (int i = 2; i >= 0; --i) EXPECT_EQ(sn_[i]->Kill(SIGTERM), 0) << sn_[i]->Log();
  for (int i = 0; i < 3; ++i) {
    StartSn(i);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sn_[i]->WaitForLog("Starting SWARM-API-SERVER on port: " + std::to_string(api_[i])))
        << sn_[i]->Log();
  }
  EXPECT_THAT(Contracts(1),
              ::testing::IsSupersetOf({"defaultbb.cqdb.sml.hpe", "through-sn2", "while-sn3-down"}));
  swarm::v1::ListNodesResponse nodes;
  grpc::ClientContext c;
  ASSERT_TRUE(Stub(0, Files(Role::kSwci, 1))->ListNodes(Ctx(c), {}, &nodes).ok());
  int sentinels = 0, sns = 0;
  for (const auto& n : nodes.nodes()) {
    sentinels += n.record().type() == swarm::v1::NODE_TYPE_SENTINEL;
    sns += n.record().type() == swarm::v1::NODE_TYPE_SN;
    EXPECT_TRUE(n.alive()) << n.record().name();
  }
  EXPECT_EQ(sentinels, 1);
  EXPECT_EQ(sns, 2);
}

// Every SN forwards its callers' transactions to one writer (the SN whose etcd member leads
// Raft), so blocks are appended by one SN; when the writer dies, the others append.
TEST_F(SnClusterTest, SnsAppendThroughOneWriterAndWithoutItWhenItDies) {
  for (int i = 0; i < 3; ++i) StartReady(i);
  std::string names[3];
  for (int i = 0; i < 3; ++i) names[i] = pki::Certificate::Load(Files(Role::kSn, i + 1).cert)->CommonName();
  // The writer advertises itself within a second or two of starting.
  std::string writer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (int n = 0; writer.empty() && std::chrono::steady_clock::now() < deadline; ++n) {
    std::set<std::string> by;
    for (int i = 0; i < 3; ++i) {
      swarm::v1::SubmitResponse out;
      ASSERT_TRUE(CreateContract(i, "probe-" + std::to_string(n) + "-" + std::to_string(i), &out).ok());
      by.insert(out.appended_by());
    }
    if (by.size() == 1) writer = *by.begin();
    else std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(writer.empty()) << "the SNs kept appending each for itself";
  int w = -1;
  for (int i = 0; i < 3; ++i) w = names[i] == writer ? i : w;
  ASSERT_GE(w, 0) << writer;
  // Submits through each SN land in blocks of the writer.
  for (int i = 0; i < 3; ++i) {
    swarm::v1::SubmitResponse out;
    ASSERT_TRUE(CreateContract(i, "via-" + std::to_string(i), &out).ok());
    EXPECT_EQ(out.appended_by(), writer) << "through SN " << i;
  }
  // Each SN vouches for the same head with its own key (what SNs compare with each other).
  std::set<std::string> hashes;
  auto trust = *pki::TrustStore::Load(CertDir() / "ca" / "capath");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(CreateContract(0, "sync-" + std::to_string(i)).ok());  // SN i has applied it when this returns
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // every SN syncs each second
  for (int i = 0; i < 3; ++i) {
    swarm::v1::SignedHead head;
    grpc::ClientContext c;
    ASSERT_TRUE(Stub(i, Files(Role::kSl, 1))->GetHead(Ctx(c), {}, &head).ok());
    auto who = ledger::CheckSignedHead(head, trust);
    ASSERT_TRUE(who.ok()) << who.status().ToString();
    EXPECT_EQ(who->common_name, names[i]);
    hashes.insert(head.hash() + "@" + std::to_string(head.height()));
  }
  EXPECT_EQ(hashes.size(), 1u) << "the SNs' heads differ after they synced";
  // Without the writer the others still append (after a failed forward, or a new writer).
  EXPECT_EQ(sn_[w]->Kill(SIGKILL), 128 + SIGKILL);
  for (int i = 0; i < 3; ++i) {
    if (i == w) continue;
    swarm::v1::SubmitResponse out;
    auto s = CreateContract(i, "after-" + std::to_string(i), &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_NE(out.appended_by(), writer);
    EXPECT_THAT(Contracts(3 - w - i), ::testing::Contains("after-" + std::to_string(i)));
  }
}

TEST_F(SnClusterTest, AnSnWhoseEtcdDiesSaysSoAndStops) {
  StartReady(0);
  const std::string pgrep = "pgrep -P " + std::to_string(sn_[0]->pid()) + " etcd";
  FILE* out = ::popen(pgrep.c_str(), "r");
  ASSERT_NE(out, nullptr) << pgrep;
  int etcd_pid = 0;
  ASSERT_EQ(std::fscanf(out, "%d", &etcd_pid), 1);
  ::pclose(out);
  ::kill(etcd_pid, SIGKILL);
  EXPECT_EQ(sn_[0]->WaitExit(), 1);
  EXPECT_THAT(sn_[0]->Log(),
              HasSubstr("swarm.blCnt : ERROR : This SN's etcd member (ledger store) exited: killed by "
                        "signal 9"));
  EXPECT_THAT(sn_[0]->Log(), HasSubstr("The SN stops."));
}

TEST_F(SnClusterTest, VerifyNamesTheHeightOfATamperedBlock) {
  StartReady(0);
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(CreateContract(0, name).ok());
  EXPECT_EQ(sn_[0]->Kill(SIGTERM), 0);
  // Tamper with block 3 directly in etcd, as an attacker with disk access would.
  {
    ledger::EtcdOptions o;
    o.name = "tamper";
    o.data_dir = dir_ / "sn0" / "etcd";
    o.log_file = dir_ / "tamper.log";
    o.peer_port = *ledger::FreeLocalPort();
    o.force_new_cluster = true;
    auto etcd = ledger::EtcdProcess::Start(o);
    ASSERT_TRUE(etcd.ok()) << etcd.status().ToString();
    auto kv = (*etcd)->client().Get(ledger::BlockKey(3));
    ASSERT_TRUE(kv.ok() && kv->has_value());
    swarm::v1::Block block;
    ASSERT_TRUE(block.ParseFromString((*kv)->value));
    block.mutable_transactions(0)->mutable_transaction()->back() ^= 1;
    ASSERT_TRUE((*etcd)->client().Put(ledger::BlockKey(3), block.SerializeAsString()).ok());
  }
  Process verify({SWARM_BIN, "sn", "verify", "--data-dir", (dir_ / "sn0").string()}, dir_ / "verify.log");
  EXPECT_EQ(verify.WaitExit(), 1);
  EXPECT_THAT(verify.Log(), HasSubstr("ledger BAD at height 3"));
}

// The client port of SN i's etcd member, from the member's command line.
int EtcdClientPort(pid_t sn) {
  for (pid_t child : testing::ChildrenOf(sn)) {
    const std::string cmd = ReadAll(fs::path("/proc") / std::to_string(child) / "cmdline");
    const std::string flag = std::string("--listen-client-urls") + '\0' + "https://127.0.0.1:";
    if (const size_t at = cmd.find(flag); at != std::string::npos) return std::stoi(cmd.substr(at + flag.size()));
  }
  return 0;
}

// History only grows. A store rolled back under a live SN (here with the SN's own link
// keys, as a restore from an old backup would) stops that SN, saying why; restarted, the
// SN refuses the shorter chain, naming the block it had seen.
TEST_F(SnClusterTest, AnSnStopsOnALedgerThatWentBackAndWillNotStartOnIt) {
  StartReady(0);
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(CreateContract(0, name).ok());
  const int port = EtcdClientPort(sn_[0]->pid());
  ASSERT_GT(port, 0);
  const fs::path tls = dir_ / "sn0" / "etcd-client-tls";
  ledger::EtcdClient etcd("127.0.0.1", port, std::chrono::seconds(5),
                          ledger::EtcdTls{tls / "ca.pem", tls / "client-cert.pem", tls / "client-key.pem"});
  auto head = etcd.Get(ledger::kHeadKey);
  ASSERT_TRUE(head.ok() && head->has_value()) << head.status().ToString();
  const uint64_t height = std::stoull((*head)->value);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the SN records the head it saw
  ASSERT_TRUE(etcd.Put(ledger::kHeadKey, std::to_string(height - 1)).ok());
  EXPECT_EQ(sn_[0]->WaitExit(std::chrono::seconds(30)), 1) << sn_[0]->Log();
  EXPECT_THAT(sn_[0]->Log(), HasSubstr("its head went back from block " + std::to_string(height)));
  EXPECT_THAT(sn_[0]->Log(), HasSubstr("The SN stops"));
  Process* again = StartSn(0);
  EXPECT_EQ(again->WaitExit(std::chrono::seconds(60)), 1) << again->Log();
  EXPECT_THAT(again->Log(), HasSubstr("ends at block " + std::to_string(height - 1) + ", but this SN had seen block " +
                                      std::to_string(height)));
}

// The head block replaced behind a live SN by another at the same height, validly signed
// (with an SN's key, as only an SN could): the SN notices within seconds, says so and stops.
TEST_F(SnClusterTest, AnSnStopsWhenItsHeadBlockIsRewrittenBehindIt) {
  StartReady(0);
  for (const char* name : {"a", "b"}) ASSERT_TRUE(CreateContract(0, name).ok());
  const int port = EtcdClientPort(sn_[0]->pid());
  ASSERT_GT(port, 0);
  const fs::path tls = dir_ / "sn0" / "etcd-client-tls";
  ledger::EtcdClient etcd("127.0.0.1", port, std::chrono::seconds(5),
                          ledger::EtcdTls{tls / "ca.pem", tls / "client-cert.pem", tls / "client-key.pem"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the SN has synced to the head
  auto head = etcd.Get(ledger::kHeadKey);
  ASSERT_TRUE(head.ok() && head->has_value()) << head.status().ToString();
  const uint64_t height = std::stoull((*head)->value);
  auto prev = etcd.Get(ledger::BlockKey(height - 1));
  swarm::v1::Block before;
  ASSERT_TRUE(prev.ok() && prev->has_value() && before.ParseFromString((*prev)->value));
  const pki::TlsFiles sn2 = Files(Role::kSn, 2), swci = Files(Role::kSwci, 1);
  swarm::v1::Transaction tx;
  tx.mutable_create_contract()->set_name("rewritten");
  auto block = ledger::MakeBlock(height, *Digest::FromBytes(before.hash()), UnixMillis(),
                                 {*ledger::SignTransaction(tx, *pki::Signer::Load(swci.key, swci.cert))},
                                 *pki::Signer::Load(sn2.key, sn2.cert));
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  ASSERT_TRUE(etcd.Put(ledger::BlockKey(height), block->SerializeAsString()).ok());
  EXPECT_EQ(sn_[0]->WaitExit(std::chrono::seconds(30)), 1) << sn_[0]->Log();
  EXPECT_THAT(sn_[0]->Log(), HasSubstr("history was rewritten behind this SN"));
  EXPECT_THAT(sn_[0]->Log(), HasSubstr("The SN stops"));
}

// Verify replays the whole chain (seconds of CPU on a long one): only SWCI and SNs may
// ask, so an SL or SWOP certificate cannot load every SN with it.
// GetTraining's long poll: an unchanged training is held until the wait is over; a change
// (here a RESET CONTRACT submitted meanwhile) is answered at once.
TEST_F(SnClusterTest, ALongPollIsHeldWhileTheTrainingIsUnchangedAndAnsweredWhenItChanges) {
  StartReady(0);
  ASSERT_TRUE(CreateContract(0, "polled").ok());
  auto stub = Stub(0, Files(Role::kSl, 2));
  swarm::v1::GetTrainingRequest req;
  req.set_contract("polled");
  swarm::v1::TrainingInfo first;
  {
    grpc::ClientContext c;
    ASSERT_TRUE(stub->GetTraining(Ctx(c), req, &first).ok());
  }
  ASSERT_EQ(first.version().size(), 32u);
  req.set_unchanged_since(first.version());
  req.set_wait_ms(1500);
  auto start = std::chrono::steady_clock::now();
  swarm::v1::TrainingInfo same;
  {
    grpc::ClientContext c;
    ASSERT_TRUE(stub->GetTraining(Ctx(c), req, &same).ok());
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
  EXPECT_EQ(same.version(), first.version());

  req.set_wait_ms(5000);
  std::thread reset([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const pki::TlsFiles f = Files(Role::kSwci, 1);
    swarm::v1::Transaction tx;
    tx.mutable_reset_contract()->set_name("polled");
    swarm::v1::SubmitRequest sub;
    *sub.add_transactions() = *ledger::SignTransaction(tx, *pki::Signer::Load(f.key, f.cert));
    swarm::v1::SubmitResponse out;
    grpc::ClientContext c;
    EXPECT_TRUE(Stub(0, f)->Submit(Ctx(c), sub, &out).ok());
  });
  start = std::chrono::steady_clock::now();
  swarm::v1::TrainingInfo changed;
  grpc::ClientContext c;
  const grpc::Status s = stub->GetTraining(Ctx(c), req, &changed);
  const auto took = std::chrono::steady_clock::now() - start;
  reset.join();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(changed.resets(), first.resets() + 1);
  EXPECT_NE(changed.version(), first.version());
  EXPECT_LT(took, std::chrono::milliseconds(4500));  // not held until the wait was over
}

TEST_F(SnClusterTest, OnlySwciAndSnCertificatesMayAskForAVerify) {
  StartReady(0);
  for (Role role : {Role::kSl, Role::kSwop}) {
    swarm::v1::VerifyResponse out;
    grpc::ClientContext c;
    auto s = Stub(0, Files(role, 2))->Verify(Ctx(c), {}, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(s.error_message(), HasSubstr("not by " + std::string(pki::RoleName(role))));
  }
  for (Role role : {Role::kSwci, Role::kSn}) {
    swarm::v1::VerifyResponse out;
    grpc::ClientContext c;
    ASSERT_TRUE(Stub(0, Files(role, 1))->Verify(Ctx(c), {}, &out).ok()) << pki::RoleName(role);
    EXPECT_TRUE(out.ok()) << out.reason();
  }
}

// The ledger page's blocks: a window below a height, newest first, for SWCI and SNs only.
TEST_F(SnClusterTest, ListBlocksAnswersTheNewestBlocksBelowAHeight) {
  StartReady(0);
  const auto list = [&](uint32_t limit, uint64_t below, Role role, swarm::v1::ListBlocksResponse* out) {
    swarm::v1::ListBlocksRequest req;
    req.set_limit(limit);
    req.set_below_height(below);
    grpc::ClientContext c;
    return Stub(0, Files(role, 1))->ListBlocks(Ctx(c), req, out);
  };
  swarm::v1::ListBlocksResponse head;
  ASSERT_TRUE(list(0, 0, Role::kSwci, &head).ok());
  EXPECT_EQ(head.blocks_size(), 0);
  const uint64_t h = head.height();
  ASSERT_GE(h, 1u);
  swarm::v1::ListBlocksResponse newest;
  ASSERT_TRUE(list(2, 0, Role::kSn, &newest).ok());
  ASSERT_EQ(newest.blocks_size(), static_cast<int>(std::min<uint64_t>(2, h)));
  EXPECT_EQ(newest.blocks(0).height(), h);
  EXPECT_FALSE(newest.blocks(0).transactions().empty());
  EXPECT_FALSE(newest.blocks(0).transactions(0).type().empty());
  EXPECT_EQ(newest.blocks(0).appended_by(), pki::Certificate::Load(Files(Role::kSn, 1).cert)->CommonName());
  swarm::v1::ListBlocksResponse first;
  ASSERT_TRUE(list(5, 2, Role::kSwci, &first).ok());
  ASSERT_EQ(first.blocks_size(), 1);
  EXPECT_EQ(first.blocks(0).height(), 1u);
  swarm::v1::ListBlocksResponse out;
  grpc::Status too_many = list(201, 0, Role::kSwci, &out);
  EXPECT_EQ(too_many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(too_many.error_message(), HasSubstr("at most 200 blocks at a time, not 201"));
  EXPECT_EQ(list(1, 0, Role::kSl, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SnClusterTest, OnlySnCertificatesJoinAndUnknownCasCannotConnect) {
  StartReady(0);
  // An SL certificate is refused by `swarm sn` itself...
  Process* p = StartSn(1, Role::kSl);
  EXPECT_EQ(p->WaitExit(), 1);
  EXPECT_THAT(p->Log(), HasSubstr("has role sl; an SN needs a certificate of role sn"));
  // ...and by the sentinel, for SL and SWCI callers alike.
  for (Role role : {Role::kSl, Role::kSwci}) {
    swarm::v1::JoinRequest req;
    req.set_name("intruder");
    req.set_peer_url("https://127.0.0.1:1");
    swarm::v1::JoinResponse resp;
    grpc::ClientContext c;
    auto s = Stub(0, Files(role, 2))->Join(Ctx(c), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(s.error_message(),
                HasSubstr("may be called by sn, not by " + std::string(pki::RoleName(role))));
  }
  // A certificate from an unknown CA gets no call through at all.
  const fs::path stranger = dir_ / "stranger" / "t" / "cert";
  pki::TlsFiles f{pki::RoleKeyPath(stranger, Role::kSn, 9), pki::RoleCertPath(stranger, Role::kSn, 9),
                  CertDir() / "ca" / "capath"};
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = pki::TrustStore::Load(f.capath)->RootsPem();
  o.pem_private_key = ReadAll(f.key);
  o.pem_cert_chain = ReadAll(f.cert);
  auto stub = swarm::v1::SwarmNetwork::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(api_[0]), grpc::SslCredentials(o)));
  swarm::v1::ListContractsResponse resp;
  grpc::ClientContext c;
  auto s = stub->ListContracts(Ctx(c), {}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown CA"));
  EXPECT_THAT(sn_[0]->Log(), HasSubstr("unknown CA"));
}

}  // namespace
}  // namespace swarm
