// The ledger on a real etcd member (package etcd-server), started for each test.

#include "ledger/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "ledger/etcd_process.h"
#include "pki/cert_gen.h"
#include "pki/test_certs.h"

namespace swarm::ledger {
namespace {
using pki::Role;
using ::testing::HasSubstr;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EtcdOptions o;
    o.name = "test";
    o.data_dir = certs_.dir() / "etcd";
    o.log_file = certs_.dir() / "etcd.log";
    o.peer_port = *FreeLocalPort();
    auto etcd = EtcdProcess::Start(o);
    ASSERT_TRUE(etcd.ok()) << etcd.status().ToString();
    etcd_ = std::move(etcd).value();
  }

  pki::TrustStore Trust() { return *pki::TrustStore::Load(certs_.capath()); }
  // The key an SN signs its blocks with.
  pki::Signer Sn() {
    const auto f = certs_.Files(Role::kSn, 1);
    return *pki::Signer::Load(f.key, f.cert);
  }

  swarm::v1::SignedTransaction Create(const std::string& name, int host = 1) {
    swarm::v1::Transaction tx;
    tx.mutable_create_contract()->set_name(name);
    const auto f = certs_.Files(Role::kSwci, host);
    return *SignTransaction(tx, *pki::Signer::Load(f.key, f.cert));
  }

  pki::testing::TestCerts certs_;
  std::unique_ptr<EtcdProcess> etcd_;
};

// Signatures and signers are checked before a submission joins a block: a tampered one,
// or one signed with an expired certificate, is refused naming it, and nothing is written.
TEST_F(StoreTest, BadSignaturesAndExpiredSignersAreRefusedBeforeABlock) {
  LedgerStore store(&etcd_->client(), Trust(), Sn());
  auto tampered = Create("t");
  tampered.set_signature(tampered.signature().substr(1));
  auto r = store.Submit({Create("fine"), tampered});
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(r.status().message(), HasSubstr("transaction 1"));
  EXPECT_THAT(r.status().message(), HasSubstr("bad signature"));

  swarm::v1::Transaction tx;
  tx.mutable_create_contract()->set_name("late");
  const auto f = certs_.Expired(Role::kSwci);
  auto expired = store.Submit({*SignTransaction(tx, *pki::Signer::Load(f.key, f.cert))});
  EXPECT_THAT(expired.status().message(), HasSubstr("expired"));
  EXPECT_TRUE(store.LoadChain()->empty());
}

// A store that loses the race for the head learns the winning blocks from its failed
// write; a transaction it was appending that is already in them (sent through two SNs, or
// written by a retry after a timeout) is reported where it landed, not refused as a repeat.
TEST_F(StoreTest, ALosingStoreCatchesUpAndFindsATransactionThatLanded) {
  LedgerStore first(&etcd_->client(), Trust(), Sn()), second(&etcd_->client(), Trust(), Sn());
  const auto tx = Create("twice");
  auto a = first.Submit({tx});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = second.Submit({tx});  // its head is stale: the write fails and it catches up
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->height, a->height);
  EXPECT_EQ(b->hash, a->hash);
  auto c = second.Submit({Create("after")});  // and appends on top of what it caught up with
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->height, a->height + 1);
  EXPECT_EQ((*first.Sync())->contracts.count("after"), 1u);
  EXPECT_FALSE(VerifyChain(*first.LoadChain(), Trust()).first_bad_height);
}

// A live store notices a block rewritten at its head behind it (validly signed: with an SN
// key, as only an SN could), and a signed head from another SN that its chain contradicts.
TEST_F(StoreTest, RewrittenHeadsAndDivergedPeersAreNamed) {
  LedgerStore store(&etcd_->client(), Trust(), Sn());
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(store.Submit({Create(name)}).ok());
  EXPECT_TRUE(store.CheckHeadInStore().ok());
  const auto [height, hash] = store.Head();
  const auto f = certs_.Files(Role::kSn, 2);
  const pki::Signer other = *pki::Signer::Load(f.key, f.cert);

  // Another SN's head: the same block passes, another block at that height is named.
  EXPECT_TRUE(store.CompareHead(*MakeSignedHead(height, hash, other)).ok());
  EXPECT_TRUE(store.CompareHead(*MakeSignedHead(height + 5, Digest{}, other)).ok());  // ahead: not judged
  Digest forked = hash;
  forked.bytes[0] ^= 1;
  const Status diverged = store.CompareHead(*MakeSignedHead(height, forked, other));
  EXPECT_EQ(diverged.code(), StatusCode::kDataLoss);
  EXPECT_THAT(diverged.message(), HasSubstr("SN 'sn-2' vouches for block " + std::to_string(height)));
  auto unsigned_head = *MakeSignedHead(height, forked, other);
  unsigned_head.set_signature("");
  EXPECT_FALSE(store.CompareHead(unsigned_head).ok());

  // The head block replaced in etcd by another, signed by an SN key, same height.
  auto prev = store.HashAt(height - 1);
  ASSERT_TRUE(prev.ok());
  auto block = MakeBlock(height, *prev, UnixMillis(), {Create("rewritten")}, other);
  ASSERT_TRUE(etcd_->client().Put(BlockKey(height), block->SerializeAsString()).ok());
  const Status rewritten = store.CheckHeadInStore();
  EXPECT_EQ(rewritten.code(), StatusCode::kDataLoss);
  EXPECT_THAT(rewritten.message(), HasSubstr("history was rewritten behind this SN"));
}

// The member's client port takes only the SN's own throwaway TLS keys: plain HTTP (what any
// local process could send to a port it sees in `ps`) and another link's keys get nothing.
TEST_F(StoreTest, TheEtcdClientPortTakesOnlyTheSnsOwnTlsKeys) {
  EXPECT_TRUE(etcd_->client().Health().ok());
  EXPECT_TRUE(etcd_->client().Put("k", "v").ok());
  EtcdClient plain("127.0.0.1", etcd_->client_port(), std::chrono::seconds(2));
  EXPECT_FALSE(plain.Health().ok());
  EXPECT_FALSE(plain.Put("k", "rewritten").ok());
  auto other = pki::MakeLocalTls(certs_.dir() / "other-link", "other");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  // Trusting the member's CA but presenting a certificate of another link's CA.
  EtcdClient stranger("127.0.0.1", etcd_->client_port(), std::chrono::seconds(2),
                      EtcdTls{etcd_->client_tls().ca, other->client_cert, other->client_key});
  EXPECT_FALSE(stranger.Put("k", "rewritten").ok());
  auto kv = etcd_->client().Get("k");
  ASSERT_TRUE(kv.ok() && kv->has_value());
  EXPECT_EQ((*kv)->value, "v");
  EXPECT_EQ(std::filesystem::status(etcd_->client_tls().key.parent_path()).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
}

TEST_F(StoreTest, AppendsVerifiesAndRefusesInvalidTransactions) {
  LedgerStore store(&etcd_->client(), Trust(), Sn());
  auto b1 = store.Submit({Create("c1")});
  ASSERT_TRUE(b1.ok()) << b1.status().ToString();
  EXPECT_EQ(b1->height, 1u);
  auto dup = store.Submit({Create("c1", 2)});
  EXPECT_THAT(dup.status().message(), HasSubstr("contract 'c1' already exists"));
  // Nothing was written for the refused transaction.
  auto chain = store.LoadChain();
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->size(), 1u);
  // Another store (another SN on the same cluster) sees the same state.
  LedgerStore other(&etcd_->client(), Trust(), Sn());
  auto state = other.Sync();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ((*state)->contracts.count("c1"), 1u);
  EXPECT_EQ((*state)->contracts.count(kDefaultContract), 1u);
}

TEST_F(StoreTest, LoadBlocksReadsAHeightRange) {
  LedgerStore store(&etcd_->client(), Trust(), Sn());
  for (const char* c : {"c1", "c2", "c3"}) ASSERT_TRUE(store.Submit({Create(c)}).ok());
  const auto heights = [&](uint64_t from, uint64_t to) {
    auto blocks = store.LoadBlocks(from, to);
    EXPECT_TRUE(blocks.ok()) << blocks.status().message();
    std::vector<uint64_t> out;
    for (const auto& b : *blocks) out.push_back(b.height());
    return out;
  };
  EXPECT_EQ(heights(2, 4), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(heights(2, 100), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(heights(3, 3), std::vector<uint64_t>{});
  EXPECT_EQ(heights(1, 4).size(), store.LoadChain()->size());
}

TEST_F(StoreTest, ConcurrentWritersGetOneLinearChain) {
  constexpr int kWriters = 4, kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::vector<std::unique_ptr<EtcdClient>> clients;
  std::vector<std::unique_ptr<LedgerStore>> stores;
  for (int w = 0; w < kWriters; ++w) {
    clients.push_back(etcd_->NewClient());
    stores.push_back(std::make_unique<LedgerStore>(clients.back().get(), Trust(), Sn()));
  }
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      LedgerStore& store = *stores[w];
      for (int i = 0; i < kEach; ++i) {
        auto r = store.Submit({Create("w" + std::to_string(w) + "-" + std::to_string(i))});
        if (!r.ok()) {
          ADD_FAILURE() << r.status().ToString();
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  LedgerStore reader(&etcd_->client(), Trust());
  const ChainReport r = VerifyChain(*reader.LoadChain(), Trust());
  EXPECT_FALSE(r.first_bad_height) << r.reason;
  EXPECT_EQ(r.blocks, static_cast<uint64_t>(kWriters * kEach));
  EXPECT_EQ(r.state.contracts.size(), kWriters * kEach + 1u);
  // Every writer lost some compare-and-swaps on the way and rolled back what it had applied
  // for them: each one's state is still the chain's.
  const Digest head = BlockHash(reader.LoadChain()->back());
  for (auto& store : stores) {
    auto state = store->Sync();
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    EXPECT_EQ((*state)->height, r.blocks);
    EXPECT_EQ((*state)->contracts.size(), r.state.contracts.size());
    EXPECT_EQ(store->Head().second, head);
  }
}

// Concurrent Submits on one store share blocks (group commit); each still gets its own
// answer: of the callers racing to create the same contract exactly one succeeds, and a
// multi-transaction submission with a bad member is refused whole.
TEST_F(StoreTest, ConcurrentSubmitsShareBlocksButAreJudgedOneByOne) {
  constexpr int kThreads = 16, kEach = 20;
  LedgerStore store(&etcd_->client(), Trust(), Sn());
  std::atomic<int> unique_ok{0}, shared_ok{0}, shared_refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (store.Submit({Create("u" + std::to_string(t) + "-" + std::to_string(i))}).ok()) ++unique_ok;
      }
      auto r = store.Submit({Create("shared", 1 + t % 2)});
      if (r.ok()) {
        ++shared_ok;
      } else if (r.status().message().find("contract 'shared' already exists") != std::string::npos) {
        ++shared_refused;
      }
    });
  }
  auto mixed = store.Submit({Create("first-of-two"), Create(kDefaultContract)});
  for (auto& t : threads) t.join();
  EXPECT_EQ(unique_ok.load(), kThreads * kEach);
  EXPECT_EQ(shared_ok.load(), 1);
  EXPECT_EQ(shared_refused.load(), kThreads - 1);
  EXPECT_THAT(mixed.status().message(), HasSubstr("transaction 1"));

  const auto chain = *store.LoadChain();
  const ChainReport r = VerifyChain(chain, Trust());
  EXPECT_FALSE(r.first_bad_height) << r.reason;
  EXPECT_EQ(r.state.contracts.count("first-of-two"), 0u);
  EXPECT_EQ(r.state.contracts.size(), kThreads * kEach + 2u);  // + shared + the default one
  size_t txs = 0, largest = 0;
  for (const auto& b : chain) {
    txs += b.transactions_size();
    largest = std::max(largest, static_cast<size_t>(b.transactions_size()));
  }
  EXPECT_EQ(txs, kThreads * kEach + 1u);
  EXPECT_GT(largest, 1u) << "no two submissions were ever committed together";
}

// A store that joins late replays the chain in batches of range reads; across a batch
// boundary nothing is lost or applied twice.
TEST_F(StoreTest, ALateStoreReplaysALongChain) {
  LedgerStore writer(&etcd_->client(), Trust(), Sn());
  constexpr int kBlocks = 300;  // more than one batch of 256
  for (int i = 0; i < kBlocks; ++i) ASSERT_TRUE(writer.Submit({Create("c" + std::to_string(i))}).ok());
  LedgerStore late(&etcd_->client(), Trust(), Sn());
  auto state = late.Sync();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ((*state)->height, static_cast<uint64_t>(kBlocks));
  EXPECT_EQ((*state)->contracts.size(), kBlocks + 1u);
  // The late store appends on top of what it replayed.
  auto next = late.Submit({Create("after")});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->height, kBlocks + 1u);
}

TEST_F(StoreTest, TamperingInEtcdIsFoundAtItsHeight) {
  LedgerStore store(&etcd_->client(), Trust(), Sn());
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(store.Submit({Create(name)}).ok());
  auto kv = *etcd_->client().Get(BlockKey(2));
  swarm::v1::Block block;
  ASSERT_TRUE(block.ParseFromString(kv->value));
  block.set_timestamp_unix_ms(block.timestamp_unix_ms() + 1);
  ASSERT_TRUE(etcd_->client().Put(BlockKey(2), block.SerializeAsString()).ok());
  const ChainReport r = VerifyChain(*store.LoadChain(), Trust());
  EXPECT_EQ(r.first_bad_height, 2u);
  LedgerStore fresh(&etcd_->client(), Trust(), Sn());
  EXPECT_THAT(fresh.Sync().status().message(), HasSubstr("ledger is damaged at height 2"));
}

// Blocks are only added: a head that goes back (truncation, a rollback of the store) or a
// head that is not a height is damage, said so, never an exception.
TEST_F(StoreTest, AHeadThatGoesBackOrIsNotAHeightIsDamage) {
  LedgerStore store(&etcd_->client(), Trust(), Sn());
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(store.Submit({Create(name)}).ok());
  ASSERT_TRUE(etcd_->client().Put(kHeadKey, "2").ok());
  auto s = store.Sync();
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(s.status().message(), HasSubstr("its head went back from block 3 to block 2"));
  EXPECT_THAT(store.CheckHead(3).message(), HasSubstr("head key names block 2 but 3 blocks are stored"));
  for (const char* bad : {"abc", "99999999999999999999999", ""}) {
    ASSERT_TRUE(etcd_->client().Put(kHeadKey, bad).ok());
    LedgerStore fresh(&etcd_->client(), Trust(), Sn());
    auto f = fresh.Sync();
    EXPECT_EQ(f.status().code(), StatusCode::kDataLoss) << bad;
    EXPECT_THAT(f.status().message(), HasSubstr("not a block height")) << bad;
  }
}

// A store without an SN's key reads but never appends (`swarm sn verify` uses one).
// A block is checked as a replay will check it before it is written: an SN whose own
// certificate has expired writes nothing (else every SN would stop at that block).
TEST_F(StoreTest, AnSnWithAnExpiredCertificateWritesNoBlock) {
  const auto f = certs_.Expired(Role::kSn);
  LedgerStore store(&etcd_->client(), Trust(), *pki::Signer::Load(f.key, f.cert));
  auto r = store.Submit({Create("x")});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("this SN cannot sign blocks"));
  EXPECT_THAT(r.status().message(), HasSubstr("expired"));
  EXPECT_TRUE(store.LoadChain()->empty());
}

TEST_F(StoreTest, AStoreWithoutAnSnKeyOnlyReads) {
  LedgerStore reader(&etcd_->client(), Trust());
  EXPECT_THAT(reader.Submit({Create("x")}).status().message(), HasSubstr("has no SN key to sign blocks"));
  EXPECT_TRUE(reader.Sync().ok());
}

TEST_F(StoreTest, LeasesExpireWhenNotKeptAlive) {
  auto lease = etcd_->client().LeaseGrant(std::chrono::seconds(1));
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  ASSERT_TRUE(etcd_->client().Put("/swarm/alive/x", "1", *lease).ok());
  EXPECT_TRUE(etcd_->client().LeaseKeepAlive(*lease).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_FALSE(etcd_->client().Get("/swarm/alive/x")->has_value());
  EXPECT_FALSE(etcd_->client().LeaseKeepAlive(*lease).ok());
}

TEST(EtcdProcessTest, AMissingBinaryOrBadFlagsSayWhy) {
  EtcdOptions o;
  o.name = "x";
  o.data_dir = "/tmp/swarm_etcd_missing";
  o.log_file = "/tmp/swarm_etcd_missing.log";
  o.peer_port = *FreeLocalPort();
  o.etcd_binary = "no-such-etcd";
  EXPECT_THAT(EtcdProcess::Start(o).status().message(), HasSubstr("cannot start 'no-such-etcd'"));
  std::filesystem::remove_all(o.data_dir);
  std::filesystem::remove(o.log_file);
}

TEST(Base64Test, RoundTrips) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                                       std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(Base64Decode("a*b").has_value());
}

}  // namespace
}  // namespace swarm::ledger
